"""Repair: Unicode damage and spun wording, in the body and the header fields; a document judged
spun is repaired again with the language model adapted to the dataset's clean English text."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import replace
from functools import partial

from pressroom.dedup.shingles import content_hash
from pressroom.extractors.patterns import is_release_status
from pressroom.extractors.text import HEADER_LINE_SEPARATOR
from pressroom.repair import repair_text
from pressroom.repair import warm_up as load_repair_data
from pressroom.repair.fields import RepairedField, repaired_field
from pressroom.repair.language_model import ScoringModel, default_language_model
from pressroom.repair.settings import SpinSettings
from pressroom.schemas import Document, StageError
from pressroom.stages.base import DocumentStage, StageOutput
from pressroom.stages.extract import EMPTY_BODY

PARALLEL_REPAIR_MIN_DOCS = 200
"""Fewer documents are repaired in the calling process: a repair worker needs about half a second
to start (the lexicon and n-gram counts), as long as a hundred documents take."""


class Repair(DocumentStage):
    """Repair each document (in ``workers`` sandboxes for a large chunk, each document within
    ``SpinSettings.timeout_s``), then repair those judged spun again in the wording of the
    dataset's clean English text (``clean_texts``: a function giving the dataset's clean English
    canonicals, read only when a chunk has a spun document). Counts ``spun``."""

    name = "repair"
    noun = "repair"
    counted = ("spun",)

    def __init__(
        self,
        settings: SpinSettings = SpinSettings(),
        workers: int = 1,
        clean_texts: Callable[[], Iterable[str]] = tuple,
    ):
        super().__init__()
        self.settings = settings
        self.timeout_s = settings.timeout_s
        self.workers = workers
        self.min_sandboxed = PARALLEL_REPAIR_MIN_DOCS if workers > 1 else float("inf")
        self.clean_texts = clean_texts

    def process(self, doc: Document) -> Document:
        return repair_document(doc, self.settings)

    def warm_up(self) -> None:
        load_repair_data()

    def process_batch(self, docs: list[Document]) -> StageOutput:
        output = super().process_batch(docs)
        spun = sum(doc.is_spun for doc in output.docs)
        self.count("spun", spun)
        if spun:
            chunk = (d.text for d in output.docs if not d.is_spun and d.language == "en")
            context = itertools.chain(chunk, _lazy(self.clean_texts))
            output.docs = repair_spun_in_context(docs, output.docs, context, self.settings)
        return output

    def __getstate__(self) -> dict:
        # nor the dataset reader
        return {**super().__getstate__(), "clean_texts": tuple}


def _lazy(function: Callable[[], Iterable[str]]) -> Iterator[str]:
    """``function()``'s items, computed only when the first one is asked for."""
    yield from function()


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
        raise StageError("repair", f"{EMPTY_BODY}: only invisible or control characters", "empty")
    header = repair_header(doc, repaired.is_spun, settings, model)
    return replace(
        doc,
        title=header["title"].value or None,
        issuer=header["issuer"].value or None,
        release_status=header["release_status"].value or None,
        extracted_text=doc.text,
        text=repaired.text,
        content_hash=doc.content_hash if repaired.text == doc.text else content_hash(repaired.text),
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
