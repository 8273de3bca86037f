"""The dataset's contract: record types and the Parquet schemas, defined once."""

from schemas.records import (
    ClusterChange,
    Document,
    Extraction,
    QuarantineRecord,
    RawDocument,
    Repair,
    SpanFlag,
    StageError,
)
from schemas.tables import CLUSTER_CHANGES, DOCUMENTS, QUARANTINE, SCHEMA_VERSION

__all__ = [
    "CLUSTER_CHANGES",
    "DOCUMENTS",
    "QUARANTINE",
    "SCHEMA_VERSION",
    "ClusterChange",
    "Document",
    "Extraction",
    "QuarantineRecord",
    "RawDocument",
    "Repair",
    "SpanFlag",
    "StageError",
]
