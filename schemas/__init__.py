"""The dataset's contract: record types and the Parquet schemas, defined once.

The Parquet schemas (``schemas.tables``) are imported on first use: pyarrow takes a while to
import, and reading or extracting a page needs only the records.
"""

from importlib import import_module

from pressroom.schemas.records import (
    ClusterChange,
    Document,
    Extraction,
    QuarantineReason,
    QuarantineRecord,
    RawDocument,
    Repair,
    SpanFlag,
    StageError,
)

__all__ = [
    "CLUSTER_CHANGES",
    "DOCUMENTS",
    "QUARANTINE",
    "RUNS",
    "SCHEMA_VERSION",
    "ClusterChange",
    "Document",
    "Extraction",
    "QuarantineReason",
    "QuarantineRecord",
    "RawDocument",
    "Repair",
    "SpanFlag",
    "StageError",
]


def __getattr__(name: str) -> object:
    if name not in {"CLUSTER_CHANGES", "DOCUMENTS", "QUARANTINE", "RUNS", "SCHEMA_VERSION"}:
        raise AttributeError(f"module 'schemas' has no attribute {name!r}")
    return getattr(import_module("pressroom.schemas.tables"), name)
