"""The dataset's contract: record types and the Parquet schemas, defined once."""

from schemas.records import (
    Document,
    Extraction,
    QuarantineRecord,
    RawDocument,
    Repair,
    SpanFlag,
    StageError,
)
from schemas.tables import DOCUMENTS, QUARANTINE, SCHEMA_VERSION

__all__ = [
    "DOCUMENTS",
    "QUARANTINE",
    "SCHEMA_VERSION",
    "Document",
    "Extraction",
    "QuarantineRecord",
    "RawDocument",
    "Repair",
    "SpanFlag",
    "StageError",
]
