"""The ingest pipeline's steps as plain functions; ``flows/ingest.py`` orchestrates them.

Each step takes and returns plain records, so every one is testable without Prefect.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TypeVar

from pressroom import progress
from pressroom.dedup.shingles import content_hash
from pressroom.extractors.patterns import is_release_status
from pressroom.extractors.recurring import learn_recurring_lines, remove_recurring_lines, site_key
from pressroom.extractors.text import HEADER_LINE_SEPARATOR
from pressroom.process import EMPTY_BODY, process_document, warm_up
from pressroom.repair import repair_text
from pressroom.repair import warm_up as load_repair_data
from pressroom.repair.fields import RepairedField, repaired_field
from pressroom.repair.language_model import ScoringModel, default_language_model
from pressroom.sandbox import ItemTimeout, Sandbox, SandboxPool, WorkerDied, start_fork_server
from pressroom.schemas import Document, QuarantineRecord, RawDocument, StageError
from pressroom.settings import BoilerplateSettings, ExtractSettings, ReadSettings, SpinSettings
from pressroom.sources import iter_input_files, read_file

T = TypeVar("T")
PARALLEL_REPAIR_MIN_DOCS = 200
"""Fewer documents are repaired in the calling process: a repair worker needs about half a second
to start (the lexicon and n-gram counts), as long as a hundred documents take."""
_NOUNS = {"extract": "extraction", "repair": "repair"}
EXTRACTION_PRELOAD = ("pressroom.extraction_preload",)
"""What the sandboxes' fork server imports: the extraction code, libraries and language model,
loaded once and shared by every sandbox forked from it."""


@dataclass
class BatchResult:
    """What one extraction batch produced."""

    documents: list[Document] = field(default_factory=list)
    failures: list[QuarantineRecord] = field(default_factory=list)
    read: int = 0
    """Raw items read: pages found in the batch's files, plus files that could not be read."""
    known: int = 0
    """Pages skipped because the dataset already holds them (same source, same bytes)."""


def discover(paths: Iterable[str]) -> list[str]:
    """Every input file under ``paths``, sorted, each once."""
    return list(dict.fromkeys(str(p) for p in iter_input_files(paths)))


def batches(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def extraction_sandbox(settings: ExtractSettings = ExtractSettings()) -> Sandbox:
    """A sandbox that turns raw pages into documents within the per-document time limit."""
    extract = partial(process_document, settings=settings)
    return Sandbox(extract, settings.timeout_s, warm_up, EXTRACTION_PRELOAD)


def start_extraction_server() -> None:
    """Start the extraction sandboxes' fork server now, in the background (it loads the
    extraction libraries and the language model), so that the first sandbox starts warm."""
    start_fork_server(EXTRACTION_PRELOAD)


def extract_batch(
    files: Sequence[str],
    read: ReadSettings = ReadSettings(),
    extract: ExtractSettings = ExtractSettings(),
    sandbox: Sandbox | None = None,
    known: Collection[str] = frozenset(),
) -> BatchResult:
    """Read, decode and extract the pages of ``files`` in a time-limited sandbox; pages whose
    ``doc_id`` is in ``known`` (already in the dataset) are only counted.

    Without a ``sandbox``, the batch starts (and stops) one of its own.
    """
    if sandbox is None:
        with extraction_sandbox(extract) as own:
            return extract_batch(files, read, extract, own, known)
    result = BatchResult()
    for outcome in sandbox.map(_pages(files, read, known, result)):
        if outcome.error is None:
            result.documents.append(outcome.result)
        else:
            result.failures.append(quarantined(outcome.item, "extract", outcome.error))
    return result


def _pages(
    files: Sequence[str], read: ReadSettings, known: Collection[str], result: BatchResult
) -> Iterator[RawDocument]:
    """The pages of ``files`` to extract; unreadable files and known pages are counted in
    ``result``."""
    for file in files:
        for item in read_file(Path(file), read.max_bytes):
            result.read += 1
            if isinstance(item, QuarantineRecord):
                result.failures.append(item)
            elif item.doc_id in known:
                result.known += 1
            else:
                yield item
        progress.advance("extract")


def failure(raw: RawDocument | Document, stage: str, error: str) -> QuarantineRecord:
    """The quarantine record of a page that failed at ``stage``."""
    return QuarantineRecord(
        item_id=raw.doc_id,
        source_uri=raw.source_uri,
        raw_path=raw.raw_path,
        raw_offset=raw.raw_offset,
        stage=stage,
        error=error,
    )


def quarantined(item: RawDocument | Document, stage: str, error: Exception) -> QuarantineRecord:
    """The quarantine record of an item whose work at ``stage`` (in a sandbox) raised ``error``."""
    if isinstance(error, StageError):
        return failure(item, error.stage, error.message)
    if isinstance(error, ItemTimeout):
        return failure(item, stage, f"{_NOUNS[stage]} timed out: {error}")
    if isinstance(error, WorkerDied):
        return failure(item, stage, f"{_NOUNS[stage]} {error}")
    # a bug or library failure on this item
    return failure(item, stage, f"{type(error).__name__}: {error}")


def drop_repeated(docs: Iterable[Document]) -> tuple[list[Document], int]:
    """Keep one of each ``doc_id`` (the same source and bytes given twice); count the repeats."""
    unique: dict[str, Document] = {}
    total = 0
    for doc in docs:
        total += 1
        unique.setdefault(doc.doc_id, doc)
    return list(unique.values()), total - len(unique)


def remove_site_boilerplate(
    docs: Sequence[Document], settings: BoilerplateSettings = BoilerplateSettings()
) -> tuple[list[Document], list[QuarantineRecord], int]:
    """Strip lines learned as recurring boilerplate per site.

    Returns the cleaned documents, those left empty (as quarantine records) and the number of
    documents that lost at least one line.
    """
    recurring = learn_recurring_lines(docs, settings)
    cleaned: list[Document] = []
    emptied: list[QuarantineRecord] = []
    changed = 0
    for doc in docs:
        lines = recurring.get(site_key(doc))
        text = remove_recurring_lines(doc.text, lines) if lines else doc.text
        if text == doc.text:
            cleaned.append(doc)
            continue
        changed += 1
        if not text:
            emptied.append(
                failure(
                    doc, "boilerplate", f"{EMPTY_BODY}: every line recurs across the site's pages"
                )
            )
            continue
        cleaned.append(replace(doc, text=text, content_hash=content_hash(text)))
    return cleaned, emptied, changed


def repair_document(
    doc: Document,
    settings: SpinSettings = SpinSettings(),
    model: ScoringModel | None = None,
) -> Document:
    """Normalise and repair one document's body, then its title and header with the body's
    verdict; the body as extracted is kept alongside, header fields' originals in ``repairs``.
    ``model`` scores restoration candidates (default: the shipped language model)."""
    repaired = repair_text(doc.text, doc.language, settings=settings, model=model)
    if not repaired.text:
        raise StageError("repair", f"{EMPTY_BODY}: only invisible or control characters")
    header = repair_header(doc, repaired.is_spun, settings, model)
    return replace(
        doc,
        title=header["title"].value or None,
        issuer=header["issuer"].value or None,
        release_status=header["release_status"].value or None,
        extracted_text=doc.text,
        text=repaired.text,
        content_hash=content_hash(repaired.text),
        repairs=[r for value in header.values() for r in value.repairs] + repaired.repairs,
        spin_score=repaired.spin_score,
        is_spun=repaired.is_spun,
        spin_flags=[f for value in header.values() for f in value.flags] + repaired.flags,
    )


def repair_header(
    doc: Document,
    judged_spun: bool,
    settings: SpinSettings = SpinSettings(),
    model: ScoringModel | None = None,
) -> dict[str, RepairedField]:
    """``title``, ``issuer`` and ``release_status`` repaired with the body's verdict.

    Each issuer line is repaired on its own; one that reads as a release status once restored
    ("For Instant Launch" -> "For Immediate Release") moves to ``release_status``.
    """
    restore = partial(
        repair_text,
        language=doc.language,
        settings=settings,
        judged_spun=judged_spun,
        model=model,
    )
    issuer = [restore(line) for line in _header_lines(doc.issuer)]
    status = [restore(line) for line in _header_lines(doc.release_status)]
    status += [line for line in issuer if is_release_status(line.text)]
    issuer = [line for line in issuer if not is_release_status(line.text)]
    title = [restore(doc.title)] if doc.title else []
    return {
        "title": repaired_field("title", title, HEADER_LINE_SEPARATOR),
        "issuer": repaired_field("issuer", issuer, HEADER_LINE_SEPARATOR),
        "release_status": repaired_field("release_status", status, HEADER_LINE_SEPARATOR),
    }


def _header_lines(value: str | None) -> list[str]:
    return value.split(HEADER_LINE_SEPARATOR) if value else []


def repair_sandbox(settings: SpinSettings = SpinSettings()) -> Sandbox:
    """A sandbox that repairs documents within the per-document time limit."""
    return Sandbox(
        partial(repair_document, settings=settings), settings.timeout_s, load_repair_data
    )


def repair_documents(
    docs: Iterable[Document],
    settings: SpinSettings = SpinSettings(),
    workers: int = 1,
    min_parallel: int = PARALLEL_REPAIR_MIN_DOCS,
) -> tuple[list[Document], list[QuarantineRecord]]:
    """:func:`repair_document` for each document, in order; failures become quarantine records.

    With several ``workers`` and at least ``min_parallel`` documents, batches of documents are
    repaired in that many sandbox processes at once (about eight batches per worker, for a
    balanced finish), each document within ``settings.timeout_s``; else here, without a limit.
    """
    docs = list(docs)
    progress.expect("repair", len(docs))
    if workers < 2 or len(docs) < min_parallel:
        return _repair_here(docs, settings)
    size = math.ceil(len(docs) / (workers * 8))
    sandboxes = [repair_sandbox(settings) for _ in range(workers)]
    with SandboxPool(sandboxes) as pool, ThreadPoolExecutor(workers) as threads:
        parts = list(threads.map(partial(_repair_batch, pool=pool), batches(docs, size)))
    return [d for done, _ in parts for d in done], [f for _, failed in parts for f in failed]


def _repair_here(
    docs: list[Document], settings: SpinSettings
) -> tuple[list[Document], list[QuarantineRecord]]:
    repaired: list[Document] = []
    failures: list[QuarantineRecord] = []
    for doc in docs:
        try:
            repaired.append(repair_document(doc, settings))
        except Exception as error:  # a bug or library failure on this text: quarantine it
            failures.append(quarantined(doc, "repair", error))
        progress.advance("repair")
    return repaired, failures


def _repair_batch(
    docs: list[Document], pool: SandboxPool
) -> tuple[list[Document], list[QuarantineRecord]]:
    repaired: list[Document] = []
    failures: list[QuarantineRecord] = []
    with pool.borrow() as sandbox:
        for outcome in sandbox.map(docs):
            if outcome.error is None:
                repaired.append(outcome.result)
            else:
                failures.append(quarantined(outcome.item, "repair", outcome.error))
            progress.advance("repair")
    return repaired, failures


def repair_spun_in_context(
    extracted: Sequence[Document],
    repaired: Sequence[Document],
    clean_texts: Iterable[str],
    settings: SpinSettings = SpinSettings(),
) -> list[Document]:
    """``repaired`` with each document judged spun repaired again, from its ``extracted`` form,
    by the language model adapted to ``clean_texts`` (the dataset's clean English documents, up
    to ``settings.context_words`` words): the dataset's own wording decides close candidates.

    A document whose second pass fails keeps its first repair.
    """
    if settings.context_words <= 0 or not any(doc.is_spun for doc in repaired):
        return list(repaired)
    model = default_language_model().adapted(_bounded(clean_texts, settings.context_words))
    before = {doc.doc_id: doc for doc in extracted}
    again = []
    for doc in repaired:
        if doc.is_spun and doc.doc_id in before:
            with suppress(Exception):  # the first repair (made within the time limit) stands
                doc = repair_document(before[doc.doc_id], settings, model)
        again.append(doc)
    return again


def _bounded(texts: Iterable[str], max_words: int) -> Iterator[str]:
    """``texts`` in order until they hold ``max_words`` words (by spaces)."""
    words = 0
    for text in texts:
        if words >= max_words:
            return
        words += text.count(" ") + 1
        yield text


def count_failures(failures: Iterable[QuarantineRecord]) -> dict[str, int]:
    counts = Counter(record.stage for record in failures)
    return dict(sorted(counts.items()))
