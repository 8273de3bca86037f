"""The ``ingest`` flow's input in chunks: local files, then fetched pages, each chunk's
extraction submitted as soon as its files are at hand."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from prefect.futures import PrefectFuture

from pressroom.dataset.dataset import Dataset
from pressroom.execution import progress
from pressroom.flows.extraction import Submit
from pressroom.flows.web import WebFetch, fetch_web
from pressroom.schemas import QuarantineRecord
from pressroom.settings import IngestSettings
from pressroom.stages.base import batches
from pressroom.web.specs import SourceSpec
from pressroom.web.validators import Validators


@dataclass
class Chunk:
    """Input taken through every stage and written together: the extract-batch tasks of about
    ``chunk_size`` files or fetched pages, with the fetch failures and validators that go with
    them."""

    futures: list[PrefectFuture] = field(default_factory=list)
    failures: list[QuarantineRecord] = field(default_factory=list)
    validators: dict[str, Validators] = field(default_factory=dict)
    """ETag and Last-Modified of its fetched pages, saved once its rows are written."""
    size: int = 0
    """Files or fetched pages."""
    last: bool = False
    """No chunk follows."""
    number: int = 0

    @property
    def part(self) -> str:
        """Names the chunk's files in the dataset: empty for a run's only chunk."""
        return "" if self.number == 0 and self.last else f"{self.number:04d}"


def chunks(
    files: list[str],
    web_sources: list[SourceSpec],
    submit: Submit,
    settings: IngestSettings,
    dataset: Dataset,
    run_id: str,
    web: WebFetch,
) -> Iterator[Chunk]:
    """The run's input in chunks: local files, then fetched pages. Each batch's extraction is
    submitted as soon as the batch is at hand (a fetched one once archived, while later ones are
    still being fetched); pages the dataset holds as the chunk starts are skipped (the caller
    writes each chunk before taking the next)."""
    local = list(batches(files, settings.chunk_size))
    for number, chunk_files in enumerate(local):
        skip = frozenset(dataset.doc_ids)
        last = number == len(local) - 1 and not web_sources
        chunk = Chunk(size=len(chunk_files), last=last, number=number)
        chunk.futures = [
            submit(batch, skip)
            for batch in batches(chunk_files, settings.batch_size_for(len(chunk_files)))
        ]
        yield chunk
    if not web_sources:
        if not local:
            yield Chunk(last=True)  # nothing to read: the run still writes its manifest
        return
    chunk, skip, none_yet = Chunk(number=len(local)), frozenset(dataset.doc_ids), not local
    for batch in fetch_web(web_sources, settings, dataset, run_id, web):
        if batch.pages:
            progress.expect("extract", 1)
            chunk.futures.append(submit([str(Path(batch.warc).absolute())], skip))  # Dask too
        chunk.failures += batch.failures
        chunk.validators |= batch.validators
        chunk.size += batch.pages
        if chunk.size >= settings.chunk_size:
            yield chunk
            chunk = Chunk(number=chunk.number + 1)
            skip, none_yet = frozenset(dataset.doc_ids), False
    if chunk.futures or chunk.failures or none_yet:  # a run has one chunk at least
        chunk.last = True
        yield chunk
