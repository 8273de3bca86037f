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
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from prefect import flow, get_run_logger, runtime, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from pressroom import pipeline
from pressroom.dataset.dataset import Dataset, WrittenChunk
from pressroom.execution import progress
from pressroom.flows.chunks import chunks
from pressroom.flows.extraction import extraction
from pressroom.flows.web import WebFetch
from pressroom.pipeline import ChunkResult
from pressroom.report import NoDocumentProduced, summary_markdown
from pressroom.run import RunTotals
from pressroom.schemas import Document, QuarantineRecord
from pressroom.settings import IngestSettings
from pressroom.stages.base import Stage
from pressroom.stages.extract import Extract
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
) -> dict:
    """Ingest local files and folders (HTML, text, WARC; gzip allowed) and web sources (page
    URLs, ``urls:FILE``, ``feed:URL``, ``sitemap:URL``, or a YAML ``sources_file``) into ``out``.
    Every tunable is in ``settings`` (given as a nested object by a deployment, such as
    ``{"dedup": {"threshold": 0.5}}``). With ``dask_address`` (a Dask scheduler,
    ``tcp://HOST:8786``) extraction runs on that cluster.

    Returns the run manifest, also written to ``out/runs/<run_id>.json``.
    """
    run_id, dataset = new_run_id(), Dataset(out)
    specs = plan_sources(paths, sources_file, include or (), exclude or (), since)
    _require_existing(local_paths(specs))  # before the lock: nothing is created
    with dataset.lock(f"run {run_id}", settings.lock_wait_s):
        return _ingest(paths, specs, settings, run_id, dataset, dask_address)


def _ingest(
    paths: list[str],
    specs: list[SourceSpec],
    settings: IngestSettings,
    run_id: str,
    dataset: Dataset,
    dask_address: str | None,
) -> dict:
    """The body of :func:`ingest`, run while the dataset's lock is held."""
    logger, started = get_run_logger(), datetime.now(UTC)
    files, web_sources = pipeline.discover(local_paths(specs)), web_specs(specs)
    logger.info(
        "run %s: %d local input files, %d web sources", run_id, len(files), len(web_sources)
    )
    if not files and not web_sources:
        logger.warning("no input files found under %s", ", ".join(paths))
    progress.expect("extract", len(files))
    extract = Extract(settings.extract, settings.workers)
    stages = pipeline.build_stages(settings, dataset)
    totals, web = RunTotals(), WebFetch()
    with extraction(extract, settings.read, dask_address, sys.modules[__name__]) as submit:
        for chunk in chunks(files, web_sources, submit, settings, dataset, run_id, web):
            if not (totals.chunks == 0 and chunk.last):
                logger.info("chunk %d: %d files or fetched pages", totals.chunks + 1, chunk.size)
            part = "" if totals.chunks == 0 and chunk.last else f"{totals.chunks:04d}"
            batches = [future.result() for future in chunk.futures]
            chunk.futures.clear()  # its documents are kept while the chunk is worked on
            totals.timings["extract"] += time.perf_counter() - chunk.started
            docs = [doc for batch in batches for doc in batch.documents]
            failures = chunk.failures + [f for batch in batches for f in batch.failures]
            result = run_stages(docs, stages, failures)
            clock = time.perf_counter()
            written = write(dataset, result, run_id, part)
            save_validators(dataset.state, chunk.validators)  # a 304 next time finds the rows
            totals.timings["write"] += time.perf_counter() - clock
            totals.add_chunk(batches, result, written)
    if web_sources:
        totals.timings["fetch"] = web.seconds
    flow_run_id = str(runtime.flow_run.id) if runtime.flow_run.id else None
    sources = {"files": len(files), "web_sources": len(web_sources)}
    manifest = totals.manifest(
        run_id,
        started,
        flow_run_id,
        str(dataset.out),
        paths,
        settings,
        stages,
        sources,
        web.as_dict(),
    )
    dataset.write_manifest(manifest)
    _publish(manifest, totals)
    if manifest["failure"]:
        raise NoDocumentProduced(manifest["failure"], manifest)
    return manifest


def _publish(manifest: dict, totals: RunTotals) -> None:
    """The run's summary as Prefect artifacts and one log line."""
    run_id, counts = manifest["run_id"], manifest["counts"]
    create_markdown_artifact(
        key="ingest-summary",
        markdown=summary_markdown(manifest)
        + "\n## Spin scores\n\n"
        + "\n".join(totals.documents.spin_histogram()),
        description=f"pressroom ingest {run_id}",
    )
    create_table_artifact(
        key="ingest-sources",
        table=totals.documents.by_source(),
        description=f"pressroom ingest {run_id}: documents per source",
    )
    get_run_logger().info(
        "run %s: %d documents (%d written, %d already in the dataset), %d quarantined, "
        "%d exact + %d near duplicates, %d spun copies, %d paraphrased copies",
        run_id,
        counts["documents"],
        counts["written"],
        counts["already_present"],
        counts["quarantined"],
        counts.get("exact_duplicates", 0),
        counts.get("near_duplicates", 0),
        counts.get("spun_copies_clustered", 0),
        counts.get("paraphrases_clustered", 0),
    )


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def _require_existing(paths: list[str]) -> None:
    """Stop the run before any work if a local input path does not exist."""
    missing = [path for path in paths if not Path(path).exists()]
    if missing:
        relative = any(not Path(path).is_absolute() for path in missing)
        where = f" (working directory {Path.cwd()})" if relative else ""
        raise FileNotFoundError(f"input path does not exist: {', '.join(missing)}{where}")


def run_ingest(paths: Sequence[str], out: str, **parameters) -> dict:
    """Call the flow with its other ``parameters`` (``settings``, ``sources_file``, ...):
    Prefect's ephemeral local mode unless PREFECT_API_URL points at a server."""
    return ingest(paths=list(paths), out=out, **parameters)
