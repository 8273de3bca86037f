"""Records passed between stages. Field names match the Parquet columns in ``schemas.tables``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


def stable_id(*parts: str) -> str:
    """A short, stable hex id for the given parts."""
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class RawDocument:
    """Bytes of one page as read from disk, a WARC record or the web, with where they came from."""

    source_uri: str
    """The path or URL the page came from (for WARC records, the record's target URI)."""
    content: bytes
    media_type: str
    """``"html"`` or ``"text"``."""
    raw_path: str
    """The file the raw bytes can be re-read from."""
    raw_offset: int | None = None
    """Byte offset of the record inside ``raw_path`` (WARC), else None."""
    url: str | None = None
    declared_charset: str | None = None

    @property
    def doc_id(self) -> str:
        """Stable for the same source and the same raw bytes."""
        return stable_id(self.source_uri, hashlib.sha256(self.content).hexdigest())


@dataclass
class Extraction:
    """What an extractor found in one page: the body and the metadata it could read."""

    text: str
    extractor: str
    title: str | None = None
    published_at: datetime | None = None
    author: str | None = None
    site: str | None = None
    url: str | None = None
    language: str | None = None
    issuer: str | None = None
    release_status: str | None = None


@dataclass(frozen=True)
class Repair:
    """One change made to a document's text or header; ``row[field][start:end] == after``."""

    start: int
    end: int
    before: str
    """What the extracted text said."""
    after: str
    method: str
    """``unicode``, ``reference``, ``lexicon`` or ``context``."""
    confidence: float
    field: str = "text"
    """The column the repair applies to: ``text`` (the body), ``title``, ``issuer`` or
    ``release_status``."""


@dataclass(frozen=True)
class SpanFlag:
    """A span that looks spun but was left as it is; ``row[field][start:end] == span``."""

    start: int
    end: int
    span: str
    reason: str
    score: float
    field: str = "text"
    """The column the span is in, as for :class:`Repair`."""


@dataclass
class Document:
    """One output row of ``OUT/documents``; dedup and run fields are filled in by later stages."""

    doc_id: str
    source_uri: str
    raw_path: str
    raw_offset: int | None
    url: str | None
    title: str | None
    published_at: datetime | None
    author: str | None
    site: str | None
    language: str | None
    issuer: str | None
    release_status: str | None
    text: str
    content_hash: str
    encoding: str | None
    extractor: str
    cluster_id: str = ""
    is_canonical: bool = True
    duplicate_of: str | None = None
    dup_kind: str | None = None
    similarity: float | None = None
    run_id: str = ""
    ingested_at: datetime | None = None
    schema_version: str = ""
    extracted_text: str | None = None
    """The body as extracted, before any repair; ``text`` is the repaired body."""
    repairs: list[Repair] = field(default_factory=list)
    spin_score: float = 0.0
    is_spun: bool = False
    spin_flags: list[SpanFlag] = field(default_factory=list)
    minhash: bytes | None = None
    """MinHash signature (``num_perm`` little-endian uint32), kept for later runs' dedup."""
    lsh_bands: list[int] = field(default_factory=list)
    """LSH band keys of the signature, kept so later runs find candidates without the text."""
    paraphrase_keys: list[int] | None = None
    """Keys of its first anchors (``dedup.paraphrase``), set on English canonicals: later runs
    find the originals of paraphrased copies by them without reading texts."""


@dataclass
class ClusterChange:
    """A cluster's canonical replaced by a newcomer under the canonical policy."""

    change_id: str
    cluster_id: str
    previous_canonical: str
    canonical: str
    reason: str
    run_id: str = ""
    changed_at: datetime | None = None
    schema_version: str = ""


QuarantineReason = Literal[
    "unreadable",
    "undecodable",
    "unparseable",
    "empty",
    "filtered",
    "timeout",
    "crashed",
    "fetch_failed",
    "listing_failed",
    "error",
]
"""What kind of failure put an item in quarantine (``error`` says exactly what happened):
unreadable (the file: missing, empty, truncated, corrupt, too large, of an unsupported type),
undecodable (bytes that are no text), unparseable (markup too deep to parse), empty (no article
text left), filtered (dropped by a filter stage), timeout (over the stage's time limit), crashed
(the worker process died), fetch_failed, listing_failed (a feed or sitemap that listed nothing
usable), error (a bug or library failure)."""


@dataclass
class QuarantineRecord:
    """An input that failed, with the stage and a specific reason; one row of ``OUT/quarantine``."""

    item_id: str
    source_uri: str
    raw_path: str
    raw_offset: int | None
    stage: str
    error: str
    reason: QuarantineReason = "error"
    run_id: str = ""
    quarantined_at: datetime | None = None
    schema_version: str = ""


class StageError(Exception):
    """A document failed at ``stage`` for the reason given (``message``, and its kind,
    ``reason``); it goes to quarantine."""

    def __init__(self, stage: str, message: str, reason: QuarantineReason = "error"):
        super().__init__(stage, message)
        self.stage = stage
        self.message = message
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.stage}: {self.message}"
