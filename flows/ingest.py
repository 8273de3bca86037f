"""The ``ingest`` flow: local files and web sources to a clean, deduplicated Parquet dataset.

The flow only orchestrates; every step is a plain function in ``pressroom.pipeline``,
``pressroom.fetching``, ``repair``, ``dedup`` or ``dataset``. Stages: fetch (web sources only;
each batch archived as WARC under ``OUT/raw``), extract, remove site boilerplate, repair (Unicode
and spun wording), deduplicate (spun copies join their clean original's cluster), write.
Extraction runs as batched tasks (see ``IngestSettings.batch_size``), concurrently, each batch
in its own time-limited sandbox process; a fetched batch is extracted as soon as it is archived,
while later batches are still being fetched.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from prefect import flow, get_run_logger, runtime, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed
from prefect.settings import PREFECT_API_URL
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

import pressroom
from dataset import (
    existing_ids,
    write_cluster_changes,
    write_documents,
    write_manifest,
    write_quarantine,
)
from dataset.lock import dataset_lock
from dataset.raw import raw_folder, write_warc
from dataset.state import load_validators, save_validators
from dedup import (
    DedupStats,
    History,
    adopt_earlier_spun,
    attach_spun_copies,
    deduplicate,
    earlier_references,
    earlier_spun_canonicals,
)
from pressroom import fetching, pipeline, progress
from pressroom.process import EMPTY_BODY
from pressroom.report import DocumentTally, summary_markdown
from pressroom.sandbox import Sandbox, SandboxPool, SandboxStartError
from pressroom.settings import (
    BoilerplateSettings,
    DedupSettings,
    ExtractSettings,
    FetchSettings,
    IngestSettings,
    ReadSettings,
)
from schemas import ClusterChange, Document, QuarantineRecord
from sources.fetch import FetchResult, FetchStats, RobotsRules, Validators
from sources.web import SourceSpec, expand_sources

_TASK_OPTIONS = {"cache_policy": NO_CACHE, "persist_result": False}
DAEMONIC_WORKER = (
    "this Dask worker runs tasks in a daemonic process, which may not start the extraction "
    "sandbox: start the workers with DASK_DISTRIBUTED__WORKER__DAEMON=False (Dask config "
    "distributed.worker.daemon: False) or with --no-nanny"
)
NO_API_URL = (
    "PREFECT_API_URL is not set: each Dask worker starts a temporary Prefect server of its own "
    "to record its task runs; set PREFECT_API_URL to a Prefect server the workers can reach"
)


@task(name="extract-batch", **_TASK_OPTIONS)
def extract_batch(
    files: list[str],
    settings: IngestSettings,
    sandboxes: SandboxPool | None,
    known: frozenset[str],
) -> pipeline.BatchResult:
    """Extract ``files`` in a sandbox borrowed from ``sandboxes``, or without a pool (on a Dask
    worker, where the flow's pool cannot travel) in a sandbox of the batch's own."""
    borrowed = _own_sandbox(settings.extract) if sandboxes is None else sandboxes.borrow()
    with borrowed as sandbox:
        result = pipeline.extract_batch(files, settings.read, settings.extract, sandbox, known)
    get_run_logger().info(
        "%d files: %d documents, %d quarantined",
        len(files),
        len(result.documents),
        len(result.failures),
    )
    return result


def _own_sandbox(settings: ExtractSettings) -> Sandbox:
    if multiprocessing.current_process().daemon:  # daemonic processes may not have children
        raise SandboxStartError(DAEMONIC_WORKER)
    return pipeline.extraction_sandbox(settings)


@contextmanager
def extraction(
    settings: IngestSettings, dask_address: str | None
) -> Iterator[Callable[[list[str], frozenset[str]], PrefectFuture]]:
    """A function submitting an extract-batch task for some files (pages whose doc_id is in
    the given set are skipped): to the flow's task runner, with a pool of sandbox processes, or
    to the Dask cluster at ``dask_address``."""
    if not dask_address:
        sandboxes = [pipeline.extraction_sandbox(settings.extract) for _ in range(settings.workers)]
        with SandboxPool(sandboxes) as pool:
            yield lambda files, known: extract_batch.submit(files, settings, pool, known)
        return
    with dask_runner(dask_address) as runner:

        def submit(files: list[str], known: frozenset[str]) -> PrefectFuture:
            parameters = {"files": files, "settings": settings, "sandboxes": None, "known": known}
            future = runner.submit(extract_batch, parameters)
            # the workers' progress calls reach no listener: advance once the batch is back
            future.add_done_callback(lambda _: progress.advance("extract", len(files)))
            return future

        yield submit


def dask_runner(address: str) -> TaskRunner:
    """A task runner on the Dask cluster whose scheduler is at ``address``."""
    import cloudpickle
    from prefect_dask import DaskTaskRunner  # imported only here: distributed is slow to import

    if __name__ != "flows.ingest":
        # loaded from its file path, as deployments load it, this module is unknown to the
        # workers by its name: its functions and the flow's travel by value
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
    if not PREFECT_API_URL.value():  # the run's settings travel with each task
        get_run_logger().warning(NO_API_URL)
    return DaskTaskRunner(address=address)


@task(name="fetch-batch", retries=1, retry_delay_seconds=5, **_TASK_OPTIONS)
def fetch_batch(
    urls: list[str],
    validators: dict[str, Validators],
    settings: IngestSettings,
    robots: dict[str, RobotsRules],
) -> tuple[list[FetchResult], FetchStats]:
    return fetching.fetch_batch(urls, validators, settings.fetch, robots)


@task(name="archive-batch", **_TASK_OPTIONS)
def archive_batch(
    fetched: tuple[list[FetchResult], FetchStats], archive: str
) -> fetching.FetchedBatch:
    results, stats = fetched
    batch = fetching.archive_batch(results, stats, Path(archive))
    get_run_logger().info(
        "%d URLs of %s: %d pages archived, %d listings, %d failed, %d not modified",
        len(results),
        fetching.host_of(results[0].url),
        batch.pages,
        len(batch.listings),
        len(batch.failures),
        stats.not_modified,
    )
    return batch


@task(name="remove-site-boilerplate", **_TASK_OPTIONS)
def remove_site_boilerplate(docs: list[Document], settings: IngestSettings):
    return pipeline.remove_site_boilerplate(docs, settings.boilerplate)


@task(name="repair", **_TASK_OPTIONS)
def repair(docs: list[Document], settings: IngestSettings):
    """Repair the documents in batches, on ``settings.workers`` sandbox processes."""
    return pipeline.repair_documents(docs, settings.spin, settings.workers)


@task(name="deduplicate", **_TASK_OPTIONS)
def dedup(docs: list[Document], settings: IngestSettings, out: Path) -> DedupStats:
    history = History.load(out, settings.dedup)
    stats = deduplicate(docs, settings.dedup, history)
    if any(doc.is_spun or doc.spin_flags for doc in docs):
        # the dataset's clean documents are searched for documents judged spun only, not for
        # those with a flagged phrase (common in clean text; they are matched within the run)
        earlier = earlier_references(out) if any(doc.is_spun for doc in docs) else []
        attach_spun_copies(docs, earlier, settings.spin)
    if len(history):
        earlier_spun = earlier_spun_canonicals(out, history)
        stats.changes += adopt_earlier_spun(docs, earlier_spun, settings.spin)
    stats.spun_copies = sum(1 for doc in docs if doc.dup_kind == "spun")
    progress.advance("deduplicate", len(docs), len(docs))
    return stats


@task(name="write-dataset", **_TASK_OPTIONS)
def write(
    out: Path,
    docs: list[Document],
    failures: list[QuarantineRecord],
    changes: list[ClusterChange],
    run_id: str,
    part: str = "",
):
    now = datetime.now(UTC)
    write_cluster_changes(out, changes, run_id, now, part)  # before the documents they point to
    docs_path, written = write_documents(out, docs, run_id, now, part)
    quarantine_path, quarantined = write_quarantine(out, failures, run_id, now, part)
    return {
        "documents": str(docs_path) if docs_path else None,
        "documents_written": written,
        "quarantine": str(quarantine_path) if quarantine_path else None,
        "quarantine_written": quarantined,
    }


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


@dataclass
class WebFetch:
    """What the fetch stage of a run did."""

    stats: FetchStats = field(default_factory=FetchStats)
    pages: int = 0
    listings: int = 0
    failures: list[QuarantineRecord] = field(default_factory=list)
    validators: dict[str, Validators] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            **self.stats.as_dict(),
            "pages_archived": self.pages,
            "listings": self.listings,
            "seconds": round(self.seconds, 3),
        }


def fetch_web(
    specs: list[SourceSpec],
    settings: IngestSettings,
    out: Path,
    run_id: str,
    extract: Callable[[str], PrefectFuture],
) -> WebFetch:
    """Expand the web sources, fetch their pages host batch by host batch, and hand each archived
    batch to ``extract`` at once. Pages that turn out to be feeds or sitemaps are expanded in a
    second round."""
    clock = time.perf_counter()
    web, raw = WebFetch(), raw_folder(out, run_id)
    earlier = load_validators(out)
    getter = fetching.ListingFetcher(settings.fetch)
    urls, problems = expand_sources(specs, getter)
    seen: set[str] = set()
    for round_number in range(2):
        urls = [url for url in urls if url not in seen]
        seen.update(urls)
        archived, last_of_host = [], {}
        batches = fetching.host_batches(urls, settings.fetch.batch_size)
        for number, urls_of_host in enumerate(batches):
            host = fetching.host_of(urls_of_host[0])
            after = [last_of_host[host]] if host in last_of_host else []
            fetched = fetch_batch.submit(
                urls_of_host, earlier, settings, getter.robots, wait_for=after
            )
            last_of_host[host] = fetched  # the host's next batch waits for the network only
            archive = raw / f"pages-{round_number}-{number:05d}.warc.gz"
            archived.append(archive_batch.submit(fetched, str(archive)))
        listings = []
        for future in as_completed(archived):
            batch = future.result()
            web.stats.merge(batch.stats)
            web.failures += batch.failures
            web.validators.update(batch.validators)
            web.pages += batch.pages
            listings += batch.listings
            if batch.pages:
                extract(batch.warc)
        web.listings += len(listings)
        urls, more = fetching.expand_listings(listings, getter)
        problems += more
    if getter.fetched:
        write_warc(raw / "listings.warc.gz", [], getter.fetched)
    web.listings += len(getter.fetched)
    web.stats.merge(getter.stats)
    web.failures += getter.failures + fetching.listing_failures(problems, getter.failures)
    web.seconds = time.perf_counter() - clock
    return web


@flow(name="ingest", task_runner=ThreadPoolTaskRunner())
def ingest(
    paths: list[str],
    out: str = "out",
    sources_file: str | None = None,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    since: date | None = None,
    batch_size: int | None = IngestSettings.batch_size,
    chunk_size: int = IngestSettings.chunk_size,
    workers: int = IngestSettings.workers,
    extract_timeout_s: float = ExtractSettings.timeout_s,
    max_bytes: int = ReadSettings.max_bytes,
    dedup_threshold: float = DedupSettings.threshold,
    shingle_size: int = DedupSettings.shingle_size,
    num_perm: int = DedupSettings.num_perm,
    boilerplate_min_docs: int = BoilerplateSettings.min_docs,
    per_host_concurrency: int = FetchSettings.per_host_concurrency,
    per_host_delay_s: float = FetchSettings.per_host_delay_s,
    fetch_retries: int = FetchSettings.retries,
    respect_robots: bool = FetchSettings.respect_robots,
    allow_private: bool = FetchSettings.allow_private,
    lock_wait_s: float = IngestSettings.lock_wait_s,
    dask_address: str | None = None,
) -> dict:
    """Ingest local files and folders (HTML, text, WARC; gzip allowed) and web sources (page
    URLs, ``urls:FILE``, ``feed:URL``, ``sitemap:URL``, or a YAML ``sources_file``) into ``out``.
    With ``dask_address`` (a Dask scheduler, ``tcp://HOST:8786``) extraction runs on that cluster.

    Returns the run manifest, also written to ``out/runs/<run_id>.json``.
    """
    settings = IngestSettings(
        read=ReadSettings(max_bytes=max_bytes),
        fetch=FetchSettings(
            per_host_concurrency=per_host_concurrency,
            per_host_delay_s=per_host_delay_s,
            retries=fetch_retries,
            respect_robots=respect_robots,
            allow_private=allow_private,
            max_bytes=max_bytes,
        ),
        extract=ExtractSettings(timeout_s=extract_timeout_s),
        boilerplate=BoilerplateSettings(min_docs=boilerplate_min_docs),
        dedup=DedupSettings(
            threshold=dedup_threshold, shingle_size=shingle_size, num_perm=num_perm
        ),
        batch_size=batch_size,
        chunk_size=chunk_size,
        workers=workers,
        lock_wait_s=lock_wait_s,
    )
    run_id, out_dir = new_run_id(), Path(out)
    with dataset_lock(out_dir, f"run {run_id}", lock_wait_s):
        return _ingest(
            paths, sources_file, include, exclude, since, settings, run_id, out_dir, dask_address
        )


@dataclass
class RunTotals:
    """What a run has done so far, added up chunk by chunk (documents are not kept)."""

    counts: Counter[str] = field(default_factory=Counter)
    timings: Counter[str] = field(default_factory=Counter)
    quarantined_by_stage: Counter[str] = field(default_factory=Counter)
    cluster_sizes: Counter[int] = field(default_factory=Counter)
    files_written: dict[str, list[str]] = field(
        default_factory=lambda: {"documents": [], "quarantine": []}
    )
    documents: DocumentTally = field(default_factory=DocumentTally)
    web: WebFetch = field(default_factory=WebFetch)


def _ingest(
    paths: list[str],
    sources_file: str | None,
    include: list[str] | None,
    exclude: list[str] | None,
    since: date | None,
    settings: IngestSettings,
    run_id: str,
    out_dir: Path,
    dask_address: str | None,
) -> dict:
    """The body of :func:`ingest`, run while the dataset's lock is held: the input in chunks of
    ``settings.chunk_size`` files, each taken through every stage and written before the next."""
    logger, started = get_run_logger(), datetime.now(UTC)
    known = set(existing_ids(out_dir / "documents", "doc_id"))
    specs = fetching.plan_sources(paths, sources_file, include or (), exclude or (), since)
    files = pipeline.discover(fetching.local_paths(specs))
    web_sources = fetching.web_specs(specs)
    logger.info(
        "run %s: %d local input files, %d web sources", run_id, len(files), len(web_sources)
    )
    if not files and not web_sources:
        logger.warning("no input files found under %s", ", ".join(paths))
    progress.advance("extract", 0, None if web_sources else len(files))
    chunks = list(pipeline.batches(files, settings.chunk_size)) or [[]]
    totals = RunTotals()
    with extraction(settings, dask_address) as submit:
        for number, chunk in enumerate(chunks):
            if len(chunks) > 1:
                logger.info("chunk %d of %d: %d files", number + 1, len(chunks), len(chunk))
            part = f"{number:04d}" if len(chunks) > 1 else ""
            fetched = web_sources if number == 0 else []
            _ingest_chunk(chunk, fetched, submit, known, settings, run_id, part, out_dir, totals)

    manifest = {
        "run_id": run_id,
        "flow_run_id": str(runtime.flow_run.id) if runtime.flow_run.id else None,
        "pressroom_version": pressroom.__version__,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "out": str(out_dir),
        "inputs": list(paths),
        "parameters": settings.as_dict(),
        "chunks": len(chunks),
        "counts": {"files": len(files), "web_sources": len(web_sources), **totals.counts},
        "fetch": totals.web.as_dict(),
        "quarantined_by_stage": dict(sorted(totals.quarantined_by_stage.items())),
        "cluster_sizes": {str(k): v for k, v in sorted(totals.cluster_sizes.items())},
        "timings_s": {k: round(v, 3) for k, v in totals.timings.items()},
        "files_written": totals.files_written,
    }
    write_manifest(out_dir, manifest)
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
    counts = totals.counts
    logger.info(
        "run %s: %d documents (%d written), %d quarantined, %d exact + %d near duplicates",
        run_id,
        counts["written"] + counts["already_present"] - counts["known"],
        counts["written"],
        counts["quarantined"],
        counts["exact_duplicates"],
        counts["near_duplicates"],
    )
    return manifest


def _ingest_chunk(
    files: list[str],
    web_sources: list[SourceSpec],
    submit: Callable[[list[str], frozenset[str]], PrefectFuture],
    known: set[str],
    settings: IngestSettings,
    run_id: str,
    part: str,
    out_dir: Path,
    totals: RunTotals,
) -> None:
    """Take one chunk of the input through every stage, write it, and add what it did to
    ``totals``; ``known`` (the dataset's doc_ids) gains the chunk's documents."""
    timings = totals.timings
    clock = time.perf_counter()
    skip = frozenset(known)
    batches = pipeline.batches(files, settings.batch_size_for(len(files)))
    futures = [submit(batch, skip) for batch in batches]
    if web_sources:

        def extract_archive(warc: str) -> None:
            futures.append(submit([str(Path(warc).absolute())], skip))  # for Dask workers too

        totals.web = fetch_web(web_sources, settings, out_dir, run_id, extract_archive)
    results = [future.result() for future in futures]
    docs = [doc for result in results for doc in result.documents]
    failures = [record for result in results for record in result.failures]
    if web_sources:
        failures = totals.web.failures + failures
        timings["fetch"] += totals.web.seconds
    timings["extract"] += time.perf_counter() - clock

    clock = time.perf_counter()
    docs, repeated = pipeline.drop_repeated(docs)
    docs, emptied, cleaned = remove_site_boilerplate(docs, settings)
    failures += emptied
    timings["boilerplate"] += time.perf_counter() - clock

    clock = time.perf_counter()
    docs, unrepairable = repair(docs, settings)
    failures += unrepairable
    timings["repair"] += time.perf_counter() - clock

    clock = time.perf_counter()
    stats = dedup(docs, settings, out_dir)
    timings["deduplicate"] += time.perf_counter() - clock

    clock = time.perf_counter()
    written = write(out_dir, docs, failures, stats.changes, run_id, part)
    if web_sources:  # only now: a 304 next time must find the rows
        save_validators(out_dir, totals.web.validators)
    timings["write"] += time.perf_counter() - clock

    skipped = sum(result.known for result in results)
    totals.counts.update(
        {
            "read": sum(result.read for result in results),
            "known": skipped,
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
            "already_present": skipped + len(docs) - written["documents_written"],
            "earlier_duplicates": stats.earlier_duplicates,
            "canonical_changes": len(stats.changes),
        }
    )
    totals.quarantined_by_stage.update(pipeline.count_failures(failures))
    totals.cluster_sizes.update(stats.cluster_sizes)
    for table in ("documents", "quarantine"):
        if written[table]:
            totals.files_written[table].append(written[table])
    totals.documents.add(docs)
    known.update(doc.doc_id for doc in docs)


def run_ingest(paths: Sequence[str], out: str, **parameters) -> dict:
    """Call the flow (Prefect's ephemeral local mode unless PREFECT_API_URL points at a server)."""
    return ingest(paths=list(paths), out=out, **parameters)
