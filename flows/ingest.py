"""The ``ingest`` flow: local files and web sources to a clean, deduplicated Parquet dataset.

The flow orchestrates; the work is ``pressroom.pipeline``'s (docs/architecture.md):

1. plan the sources: local files, and web sources fetched and archived host batch by host batch
   (``flows/web.py``);
2. extract batches of files as concurrent tasks, each page in a time-limited sandbox
   (``flows/extraction.py``); a fetched batch is extracted as soon as it is archived;
3. take the input in chunks of ``IngestSettings.chunk_size`` files or fetched pages
   (``flows/chunks.py``) through the pipeline's stages (``pipeline.run_chunk``), and write
   each chunk before the next;
4. write the run manifest and the summary artifacts.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import date

from prefect import flow, get_run_logger, runtime, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from pressroom import pipeline
from pressroom.dataset.dataset import Dataset, WrittenChunk
from pressroom.execution import progress
from pressroom.flows.chunks import chunks
from pressroom.flows.extraction import extraction
from pressroom.flows.web import WebFetch
from pressroom.flows.writer import one_writer
from pressroom.pipeline import ChunkResult
from pressroom.report import NoDocumentProduced, summary_lines, summary_markdown
from pressroom.run import RunTotals, seconds_since_process_start
from pressroom.schemas import Document, QuarantineRecord
from pressroom.settings import IngestSettings
from pressroom.sources import require_existing
from pressroom.stages.base import Stage
from pressroom.stages.extract import Extract
from pressroom.stages.sandboxes import sandbox_pool
from pressroom.web.specs import SourceSpec, local_paths, plan_sources, web_specs
from pressroom.web.validators import save_validators

_TASK_OPTIONS = {"cache_policy": NO_CACHE, "persist_result": False}


@task(name="run-stages", **_TASK_OPTIONS)
def run_stages(
    docs: list[Document], stages: list[Stage], failures: list[QuarantineRecord]
) -> ChunkResult:
    return pipeline.run_chunk(docs, stages, failures)


@task(name="write-dataset", **_TASK_OPTIONS)
def write(dataset: Dataset, result: ChunkResult, run_id: str, part: str) -> WrittenChunk:
    progress.expect("write", len(result.docs) + len(result.failures))
    written = dataset.write_chunk(result.docs, result.failures, result.changes, run_id, part)
    progress.advance("write", len(result.docs) + len(result.failures))
    return written


@flow(name="ingest", task_runner=ThreadPoolTaskRunner())
def ingest(
    paths: list[str],
    out: str = "out",
    settings: IngestSettings = IngestSettings(),
    sources_file: str | None = None,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    since: date | None = None,
    dask_address: str | None = None,
    storage_options: dict[str, str] | None = None,
) -> dict:
    """Ingest local files and folders (HTML, text, WARC; gzip allowed) and web sources (page
    URLs, ``urls:FILE``, ``feed:URL``, ``sitemap:URL``, or a YAML ``sources_file``) into ``out``.
    Every tunable is in ``settings`` (given as a nested object by a deployment, such as
    ``{"dedup": {"threshold": 0.5}}``). With ``dask_address`` (a Dask scheduler,
    ``tcp://HOST:8786``) extraction runs on that cluster. ``out`` may be an object-store URI
    (``s3://bucket/prefix``) reached with ``storage_options`` (delta-rs's; AWS_* environment
    variables are used for those not given).

    Returns the run manifest, also written to ``out/runs/<run_id>.json``.
    """
    totals, dataset = RunTotals(settings, paths), Dataset(out, storage_options)
    specs = plan_sources(paths, sources_file, include or (), exclude or (), since)
    require_existing(local_paths(specs))  # before the lock: nothing is created
    with one_writer(dataset, f"run {totals.run_id}", settings.lock_wait_s):
        totals.timings["start"] = seconds_since_process_start()  # the lock wait included
        return _ingest(specs, totals, dataset, dask_address)


def _ingest(
    specs: list[SourceSpec], totals: RunTotals, dataset: Dataset, dask_address: str | None
) -> dict:
    """The body of :func:`ingest`, run while the dataset's lock is held."""
    logger, settings, run_id = get_run_logger(), totals.settings, totals.run_id
    clock = time.perf_counter()
    dataset.verify()  # raises DatasetDamaged, naming the file and the way to repair it
    totals.timings["verify"] = time.perf_counter() - clock
    clock = time.perf_counter()
    files, web_sources = pipeline.discover(local_paths(specs)), web_specs(specs)
    totals.timings["discover"] = time.perf_counter() - clock
    logger.info("run %s: %d local files, %d web sources", run_id, len(files), len(web_sources))
    if not files and not web_sources:
        logger.warning("no input files found under %s", ", ".join(totals.inputs))
    progress.expect("extract", len(files))
    extract, web = Extract(settings.extract, settings.workers), WebFetch()
    flow_module = sys.modules[__name__]
    with (
        sandbox_pool(settings.workers) as sandboxes,
        extraction(extract, settings.read, sandboxes, dask_address, flow_module) as submit,
    ):
        stages = pipeline.build_stages(settings, dataset, sandboxes)
        clock = time.perf_counter()  # extraction runs from here, then from each chunk's write
        for chunk in chunks(files, web_sources, submit, settings, dataset, run_id, web):
            if chunk.part:
                logger.info("chunk %s: %d files or fetched pages", chunk.part, chunk.size)
            batches = [future.result() for future in chunk.futures]
            chunk.futures.clear()  # its documents are kept while the chunk is worked on
            totals.timings["extract"] += time.perf_counter() - clock
            docs = [doc for batch in batches for doc in batch.documents]
            failures = chunk.failures + [f for batch in batches for f in batch.failures]
            # quote(): Prefect takes the documents as they are, without visiting each one
            result = run_stages(quote(docs), stages, quote(failures))
            clock = time.perf_counter()
            written = write(dataset, quote(result), run_id, chunk.part)
            save_validators(dataset.location, chunk.validators)  # a 304 finds the rows
            totals.add_chunk(batches, result, written)
            totals.timings["write"] += time.perf_counter() - clock
            clock = time.perf_counter()
    if web_sources:
        totals.timings["fetch"] = web.seconds
    sources = {"files": len(files), "web_sources": len(web_sources)}
    flow_run_id = str(runtime.flow_run.id) if runtime.flow_run.id else None
    clock = time.perf_counter()
    _publish(totals.manifest(dataset.out, stages, sources, web.as_dict(), flow_run_id), totals)
    totals.timings["publish"] = time.perf_counter() - clock
    manifest = totals.manifest(dataset.out, stages, sources, web.as_dict(), flow_run_id)
    dataset.write_manifest(manifest)
    if manifest["failure"]:
        raise NoDocumentProduced(manifest["failure"], manifest)
    return manifest


def _publish(manifest: dict, totals: RunTotals) -> None:
    """The run's summary as Prefect artifacts and in the log."""
    create_markdown_artifact(
        key="ingest-summary",
        markdown=summary_markdown(manifest)
        + "\n## Spin scores\n\n"
        + "\n".join(totals.documents.spin_histogram()),
        description=f"pressroom ingest {totals.run_id}",
    )
    create_table_artifact(
        key="ingest-sources",
        table=totals.documents.by_source(),
        description=f"pressroom ingest {totals.run_id}: documents per source",
    )
    get_run_logger().info("\n".join(summary_lines(manifest)))


def run_ingest(paths: Sequence[str], out: str, **parameters) -> dict:
    """Call the flow with its other ``parameters`` (``settings``, ``sources_file``, ...):
    Prefect's ephemeral local mode unless PREFECT_API_URL points at a server."""
    return ingest(paths=list(paths), out=out, **parameters)
