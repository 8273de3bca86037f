"""The output dataset (``Dataset``): Delta Lake tables of documents, quarantine records, canonical
changes and run manifests, in a local folder or an object store."""

from pressroom.dataset.dataset import Dataset, NeedsLocalDataset, WrittenChunk
from pressroom.dataset.table import DatasetDamaged

__all__ = ["Dataset", "DatasetDamaged", "NeedsLocalDataset", "WrittenChunk"]
