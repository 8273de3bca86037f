"""The pipeline: the stages a document goes through, composed in one place.

Extraction turns raw pages into documents (``extract_files``: read, decode, extract, each page in
a time-limited sandbox); the flow runs it as concurrent tasks, batch by batch. Every later stage
works on a chunk of documents: ``build_stages`` lists them in order and ``run_chunk`` takes a
chunk through them. The flow, the CLI's one-file commands and the benchmarks all call these;
docs/architecture.md follows one document through them and shows how to add a stage.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from pressroom.dataset.dataset import Dataset
from pressroom.dedup.spun import earlier_references
from pressroom.execution import progress
from pressroom.execution.sandbox import SandboxPool
from pressroom.schemas import ClusterChange, Document, QuarantineRecord, RawDocument
from pressroom.settings import IngestSettings, ReadSettings
from pressroom.sources import iter_input_files, read_file
from pressroom.stages.base import Stage
from pressroom.stages.boilerplate import DropRepeated, SiteBoilerplate
from pressroom.stages.dedup import Deduplicate
from pressroom.stages.extract import Extract
from pressroom.stages.repair import Repair


def build_stages(
    settings: IngestSettings = IngestSettings(),
    dataset: Dataset | None = None,
    sandboxes: SandboxPool | None = None,
) -> list[Stage]:
    """The stages after extraction, in order; ``dataset`` is the one a run writes to (None: a
    chunk deduplicated alone, as the one-file commands do), ``sandboxes`` the run's sandbox
    processes, which repair shares with extraction (None: repair starts its own for a large
    chunk)."""
    repair = Repair(settings.spin, settings.workers, partial(clean_canonical_texts, dataset))
    repair.pool = sandboxes
    return [
        DropRepeated(),
        SiteBoilerplate(settings.boilerplate),
        *settings.filters.stages(),
        repair,
        Deduplicate(settings.dedup, settings.spin, dataset),
    ]


@dataclass
class ChunkResult:
    """A chunk after every stage: its documents, the quarantined items, and the canonical changes
    of earlier clusters."""

    docs: list[Document]
    failures: list[QuarantineRecord] = field(default_factory=list)
    changes: list[ClusterChange] = field(default_factory=list)


def run_chunk(
    docs: Sequence[Document],
    stages: Sequence[Stage],
    failures: Sequence[QuarantineRecord] = (),
) -> ChunkResult:
    """Take ``docs`` through ``stages`` in order; ``failures`` are those of earlier steps
    (reading, fetching, extraction) that go out with the chunk."""
    result = ChunkResult(list(docs), list(failures))
    for stage in stages:
        output = stage.run(result.docs)
        result.docs = output.docs
        result.failures += output.failures
        result.changes += output.changes
    return result


def clean_canonical_texts(dataset: Dataset | None) -> Iterator[str]:
    """The texts of the dataset's clean English canonicals (what a spun document's second repair
    pass learns the dataset's wording from)."""
    if dataset is not None:
        yield from (reference.text for reference in earlier_references(dataset))


# --- extraction --------------------------------------------------------------------------------


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


def extract_files(
    files: Sequence[str],
    extract: Extract,
    read: ReadSettings = ReadSettings(),
    sandboxes: SandboxPool | None = None,
    known: Collection[str] = frozenset(),
) -> BatchResult:
    """Read the pages of ``files`` and extract them with ``extract`` in a sandbox borrowed from
    ``sandboxes`` (without a pool, in a sandbox of the batch's own); pages whose ``doc_id`` is in
    ``known`` (already in the dataset) are only counted."""
    if sandboxes is None:
        with extract.sandboxes() as own:
            return extract_files(files, extract, read, own, known)
    result = BatchResult()
    output = extract.in_sandbox(_pages(files, read, known, result), sandboxes)
    result.documents, result.failures = output.docs, result.failures + output.failures
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
