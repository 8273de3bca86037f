"""The ``ingest`` flow: files on disk to a clean, deduplicated Parquet dataset.

The flow only orchestrates; every step is a plain function in ``pressroom.pipeline``,
``repair``, ``dedup`` or ``dataset``. Stages: extract, remove site boilerplate, repair (Unicode
and spun wording), deduplicate (spun copies join their clean original's cluster), write.
Extraction runs as batched tasks (see ``IngestSettings.batch_size``), concurrently, each batch
in its own time-limited sandbox process.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, runtime, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

import pressroom
from dataset import write_documents, write_manifest, write_quarantine
from dedup import DedupStats, attach_spun_copies, deduplicate, earlier_references
from pressroom import pipeline, progress
from pressroom.process import EMPTY_BODY
from pressroom.report import summary_markdown
from pressroom.sandbox import SandboxPool
from pressroom.settings import (
    BoilerplateSettings,
    DedupSettings,
    ExtractSettings,
    IngestSettings,
    ReadSettings,
)
from schemas import Document, QuarantineRecord

_TASK_OPTIONS = {"cache_policy": NO_CACHE, "persist_result": False}


@task(name="extract-batch", **_TASK_OPTIONS)
def extract_batch(
    files: list[str], settings: IngestSettings, sandboxes: SandboxPool
) -> pipeline.BatchResult:
    with sandboxes.borrow() as sandbox:
        result = pipeline.extract_batch(files, settings.read, settings.extract, sandbox)
    get_run_logger().info(
        "%d files: %d documents, %d quarantined",
        len(files),
        len(result.documents),
        len(result.failures),
    )
    return result


@task(name="remove-site-boilerplate", **_TASK_OPTIONS)
def remove_site_boilerplate(docs: list[Document], settings: IngestSettings):
    return pipeline.remove_site_boilerplate(docs, settings.boilerplate)


@task(name="repair", **_TASK_OPTIONS)
def repair(docs: list[Document], settings: IngestSettings):
    repaired, failures = pipeline.repair_documents(docs, settings.spin)
    progress.advance("repair", len(docs), len(docs))
    return repaired, failures


@task(name="deduplicate", **_TASK_OPTIONS)
def dedup(docs: list[Document], settings: IngestSettings, out: Path) -> DedupStats:
    stats = deduplicate(docs, settings.dedup)
    if any(doc.is_spun or doc.spin_flags for doc in docs):
        earlier = earlier_references(out)
        attach_spun_copies(docs, earlier, settings.spin)
    stats.spun_copies = sum(1 for doc in docs if doc.dup_kind == "spun")
    progress.advance("deduplicate", len(docs), len(docs))
    return stats


@task(name="write-dataset", **_TASK_OPTIONS)
def write(out: Path, docs: list[Document], failures: list[QuarantineRecord], run_id: str):
    now = datetime.now(UTC)
    docs_path, written = write_documents(out, docs, run_id, now)
    quarantine_path, quarantined = write_quarantine(out, failures, run_id, now)
    return {
        "documents": str(docs_path) if docs_path else None,
        "documents_written": written,
        "quarantine": str(quarantine_path) if quarantine_path else None,
        "quarantine_written": quarantined,
    }


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


@flow(name="ingest", task_runner=ThreadPoolTaskRunner())
def ingest(
    paths: list[str],
    out: str = "out",
    batch_size: int | None = IngestSettings.batch_size,
    workers: int = IngestSettings.workers,
    extract_timeout_s: float = ExtractSettings.timeout_s,
    max_bytes: int = ReadSettings.max_bytes,
    dedup_threshold: float = DedupSettings.threshold,
    shingle_size: int = DedupSettings.shingle_size,
    num_perm: int = DedupSettings.num_perm,
    boilerplate_min_docs: int = BoilerplateSettings.min_docs,
) -> dict:
    """Ingest local files and folders (HTML, text, WARC; gzip allowed) into ``out``.

    Returns the run manifest, also written to ``out/runs/<run_id>.json``.
    """
    logger = get_run_logger()
    settings = IngestSettings(
        read=ReadSettings(max_bytes=max_bytes),
        extract=ExtractSettings(timeout_s=extract_timeout_s),
        boilerplate=BoilerplateSettings(min_docs=boilerplate_min_docs),
        dedup=DedupSettings(
            threshold=dedup_threshold, shingle_size=shingle_size, num_perm=num_perm
        ),
        batch_size=batch_size,
        workers=workers,
    )
    run_id, out_dir, timings = new_run_id(), Path(out), {}
    started = datetime.now(UTC)

    clock = time.perf_counter()
    files = pipeline.discover(paths)
    logger.info("run %s: %d input files under %s", run_id, len(files), ", ".join(paths))
    if not files:
        logger.warning("no input files found under %s", ", ".join(paths))
    progress.advance("extract", 0, len(files))
    sandboxes = [pipeline.extraction_sandbox(settings.extract) for _ in range(workers)]
    with SandboxPool(sandboxes) as pool:
        batches = pipeline.batches(files, settings.batch_size_for(len(files)))
        futures = [extract_batch.submit(batch, settings, pool) for batch in batches]
        results = [future.result() for future in futures]
    docs = [doc for result in results for doc in result.documents]
    failures = [record for result in results for record in result.failures]
    timings["extract"] = time.perf_counter() - clock

    clock = time.perf_counter()
    docs, repeated = pipeline.drop_repeated(docs)
    docs, emptied, cleaned = remove_site_boilerplate(docs, settings)
    failures += emptied
    timings["boilerplate"] = time.perf_counter() - clock

    clock = time.perf_counter()
    docs, unrepairable = repair(docs, settings)
    failures += unrepairable
    timings["repair"] = time.perf_counter() - clock

    clock = time.perf_counter()
    stats = dedup(docs, settings, out_dir)
    timings["deduplicate"] = time.perf_counter() - clock

    clock = time.perf_counter()
    written = write(out_dir, docs, failures, run_id)
    timings["write"] = time.perf_counter() - clock

    manifest = {
        "run_id": run_id,
        "flow_run_id": str(runtime.flow_run.id) if runtime.flow_run.id else None,
        "pressroom_version": pressroom.__version__,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "out": str(out_dir),
        "inputs": list(paths),
        "parameters": settings.as_dict(),
        "counts": {
            "files": len(files),
            "read": sum(result.read for result in results),
            "extracted": len(docs) + repeated + len(emptied) + len(unrepairable),
            "empty": sum(1 for f in failures if f.error.startswith(EMPTY_BODY)),
            "quarantined": len(failures),
            "repeated": repeated,
            "boilerplate_cleaned": cleaned,
            "exact_duplicates": stats.exact_duplicates,
            "near_duplicates": stats.near_duplicates,
            "spun": sum(1 for doc in docs if doc.is_spun),
            "spun_copies_clustered": stats.spun_copies,
            "repairs": sum(1 for doc in docs for r in doc.repairs if r.method != "unicode"),
            "unicode_repairs": sum(1 for doc in docs for r in doc.repairs if r.method == "unicode"),
            "clusters": stats.clusters,
            "written": written["documents_written"],
            "already_present": len(docs) - written["documents_written"],
        },
        "quarantined_by_stage": pipeline.count_failures(failures),
        "cluster_sizes": {str(k): v for k, v in sorted(stats.cluster_sizes.items())},
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "files_written": written,
    }
    write_manifest(out_dir, manifest)
    create_markdown_artifact(
        key="ingest-summary",
        markdown=summary_markdown(manifest),
        description=f"pressroom ingest {run_id}",
    )
    logger.info(
        "run %s: %d documents (%d written), %d quarantined, %d exact + %d near duplicates",
        run_id,
        len(docs),
        written["documents_written"],
        len(failures),
        stats.exact_duplicates,
        stats.near_duplicates,
    )
    return manifest


def run_ingest(paths: Sequence[str], out: str, **parameters) -> dict:
    """Call the flow (Prefect's ephemeral local mode unless PREFECT_API_URL points at a server)."""
    return ingest(paths=list(paths), out=out, **parameters)
