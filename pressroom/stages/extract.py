"""Extraction: a raw page becomes a document (decoded; body, title and metadata extracted).

``process_document`` does one page, pure and without Prefect; the ``Extract`` stage runs it in
time-limited sandbox processes. The body is kept as extracted: the ``Repair`` stage normalises
and repairs it later (after site boilerplate is removed), recording every change.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pressroom.dedup.shingles import content_hash
from pressroom.extractors import detect_language, extract_html, extract_text
from pressroom.extractors.settings import ExtractSettings
from pressroom.repair import normalize_text
from pressroom.schemas import Document, RawDocument, StageError
from pressroom.sources.encoding import decode
from pressroom.stages.base import DocumentStage

EMPTY_BODY = "no article text found"


def as_paragraphs(text: str) -> str:
    """HTML extractors give one paragraph per line; separate paragraphs by a blank line."""
    return "\n\n".join(line for line in text.splitlines() if line.strip())


def warm_up() -> None:
    """Import the extraction libraries and load the language model ahead of the first page."""
    import trafilatura  # noqa: F401

    detect_language("Warm-up text long enough to load the language identification model.")


def process_document(raw: RawDocument, settings: ExtractSettings = ExtractSettings()) -> Document:
    """Decode and extract one page; raise :class:`StageError` if no body is found."""
    text, encoding = decode(raw.content, raw.declared_charset)
    if raw.media_type == "html":
        extraction = extract_html(
            text,
            raw.url,
            favor_precision=settings.favor_precision,
            favor_recall=settings.favor_recall,
        )
    else:
        extraction = extract_text(text)
    body = (as_paragraphs(extraction.text) if raw.media_type == "html" else extraction.text).strip()
    if not body:
        raise StageError(
            "extract",
            f"{EMPTY_BODY} ({extraction.extractor} extractor returned an empty body)",
            "empty",
        )
    url = extraction.url or raw.url
    return Document(
        doc_id=raw.doc_id,
        source_uri=raw.source_uri,
        raw_path=raw.raw_path,
        raw_offset=raw.raw_offset,
        url=url,
        title=normalize_text(extraction.title) if extraction.title else None,
        published_at=extraction.published_at,
        author=extraction.author,
        site=extraction.site or (urlsplit(url).hostname if url else None),
        language=detect_language(body) or extraction.language,
        issuer=extraction.issuer,
        release_status=extraction.release_status,
        text=body,
        content_hash=content_hash(body),
        encoding=encoding,
        extractor=extraction.extractor,
    )


class Extract(DocumentStage):
    """Decode and extract each raw page in a sandbox, within ``ExtractSettings.timeout_s``."""

    name = "extract"
    noun = "extraction"
    unit = "files"
    reports_each = False  # the reader reports files (``pressroom.pipeline.extract_files``)

    def __init__(self, settings: ExtractSettings = ExtractSettings(), workers: int = 1):
        super().__init__()
        self.settings = settings
        self.timeout_s = settings.timeout_s
        self.workers = workers

    def process(self, doc: RawDocument) -> Document:
        return process_document(doc, self.settings)

    def warm_up(self) -> None:
        warm_up()
