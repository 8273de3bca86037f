"""The output dataset under ``OUT/``: documents, quarantine and run manifests."""

from dataset.writer import (
    existing_ids,
    read_rows,
    write_documents,
    write_manifest,
    write_quarantine,
    write_table_atomic,
)

__all__ = [
    "existing_ids",
    "read_rows",
    "write_documents",
    "write_manifest",
    "write_quarantine",
    "write_table_atomic",
]
