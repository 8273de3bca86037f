"""The output dataset under ``OUT/``: documents, quarantine and run manifests."""

from pressroom.dataset.writer import (
    existing_ids,
    parquet_files,
    read_rows,
    write_cluster_changes,
    write_documents,
    write_manifest,
    write_quarantine,
    write_table_atomic,
)

__all__ = [
    "existing_ids",
    "parquet_files",
    "read_rows",
    "write_cluster_changes",
    "write_documents",
    "write_manifest",
    "write_quarantine",
    "write_table_atomic",
]
