"""The ``ingest`` flow: local files and web sources to a clean, deduplicated Parquet dataset.

The flow only orchestrates; every step is a plain function in ``pressroom.pipeline``,
``pressroom.fetching``, ``repair``, ``dedup`` or ``dataset``. Stages: fetch (web sources only;
each batch archived as WARC under ``OUT/raw``), extract, remove site boilerplate, repair (Unicode
and spun wording), deduplicate (spun copies join their clean original's cluster), write.
Extraction runs as batched tasks (see ``IngestSettings.batch_size``), concurrently, each batch
in its own time-limited sandbox process; a fetched batch is extracted as soon as it is archived,
while later batches are still being fetched. The input goes through the stages in chunks of
``IngestSettings.chunk_size`` files or fetched pages, each written before the next is taken on.
"""

from __future__ import annotations

import itertools
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
from queue import SimpleQueue

from prefect import allow_failure, flow, get_run_logger, runtime, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.settings import PREFECT_API_URL
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from pressroom.schemas import ClusterChange, Document, QuarantineRecord

import pressroom
from pressroom import fetching, pipeline, progress
from pressroom.dataset import (
    existing_ids,
    write_cluster_changes,
    write_documents,
    write_manifest,
    write_quarantine,
)
from pressroom.dataset.lock import dataset_lock
from pressroom.dataset.raw import raw_folder
from pressroom.dataset.state import load_validators, save_validators
from pressroom.dedup import (
    DedupStats,
    History,
    adopt_earlier_spun,
    attach_paraphrases,
    attach_spun_copies,
    deduplicate,
    earlier_references,
    earlier_spun_canonicals,
)
from pressroom.process import EMPTY_BODY
from pressroom.report import (
    DocumentTally,
    NoDocumentProduced,
    common_reasons,
    failure_reason,
    reason_counts,
    summary_markdown,
)
from pressroom.sandbox import Sandbox, SandboxPool, SandboxStartError
from pressroom.settings import (
    BoilerplateSettings,
    DedupSettings,
    ExtractSettings,
    FetchSettings,
    IngestSettings,
    ReadSettings,
)
from pressroom.sources.fetch import FetchResult, FetchStats, RobotsCache, Validators
from pressroom.sources.web import SourceSpec, expand_sources

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

    if __name__ != "pressroom.flows.ingest":
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
    robots: RobotsCache,
) -> tuple[list[FetchResult], FetchStats]:
    return fetching.fetch_batch(urls, validators, settings.fetch, robots)


@task(name="archive-batch", **_TASK_OPTIONS)
def archive_batch(
    fetched: tuple[list[FetchResult], FetchStats], archive: str
) -> fetching.FetchedBatch:
    results, stats = fetched
    batch = fetching.archive_batch(results, stats, Path(archive))
    progress.advance("fetch", len(results))
    get_run_logger().info(
        "%d URLs of %s: %d pages archived, %d listings, %d failed, %d not modified",
        len(results),
        fetching.origin(results[0].url),
        batch.pages,
        len(batch.listings),
        len(batch.failures),
        stats.not_modified,
    )
    return batch


@task(name="remove-site-boilerplate", **_TASK_OPTIONS)
def remove_site_boilerplate(docs: list[Document], settings: IngestSettings):
    progress.expect("boilerplate", len(docs))
    result = pipeline.remove_site_boilerplate(docs, settings.boilerplate)
    progress.advance("boilerplate", len(docs))
    return result


@task(name="repair", **_TASK_OPTIONS)
def repair(docs: list[Document], settings: IngestSettings, out: Path):
    """Repair the documents in batches, on ``settings.workers`` sandbox processes; those judged
    spun get a second pass with the language model adapted to the dataset's clean English text
    (this chunk's, then the dataset's canonicals)."""
    repaired, failures = pipeline.repair_documents(docs, settings.spin, settings.workers)
    if any(doc.is_spun for doc in repaired):
        clean = (d.text for d in repaired if not d.is_spun and d.language == "en")
        earlier = (r.text for r in _lazy(earlier_references, out))
        context = itertools.chain(clean, earlier)
        repaired = pipeline.repair_spun_in_context(docs, repaired, context, settings.spin)
    return repaired, failures


def _lazy(function: Callable[..., list], *args: object) -> Iterator:
    """``function(*args)``'s items, computed only when the first one is asked for."""
    yield from function(*args)


@task(name="deduplicate", **_TASK_OPTIONS)
def dedup(docs: list[Document], settings: IngestSettings, out: Path) -> DedupStats:
    """Cluster the documents (with the dataset's); progress in four steps."""
    progress.expect("deduplicate", 4)
    history = History.load(out, settings.dedup)
    progress.advance("deduplicate")
    stats = deduplicate(docs, settings.dedup, history)
    progress.advance("deduplicate")
    if any(doc.is_spun or doc.spin_flags for doc in docs):
        # the dataset's clean documents are searched for documents judged spun only, not for
        # those with a flagged phrase (common in clean text; they are matched within the run)
        spun = any(doc.is_spun for doc in docs)
        earlier = earlier_references(out, history) if spun and len(history) else []
        attach_spun_copies(docs, earlier, settings.spin)
    # originals of paraphrased copies are found by their stored keys; only candidates are read
    stats.changes += attach_paraphrases(docs, history)
    progress.advance("deduplicate")
    if len(history):
        earlier_spun = earlier_spun_canonicals(out, history)
        stats.changes += adopt_earlier_spun(docs, earlier_spun, settings.spin)
    progress.advance("deduplicate")
    # counted once every step has placed the documents: a near copy may turn out spun
    kinds = Counter(doc.dup_kind for doc in docs)
    stats.exact_duplicates, stats.near_duplicates = kinds["exact"], kinds["near"]
    stats.spun_copies = kinds["spun"]
    stats.paraphrases = kinds["paraphrase"]
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
    progress.expect("write", len(docs) + len(failures))
    write_cluster_changes(out, changes, run_id, now, part)  # before the documents they point to
    docs_path, written = write_documents(out, docs, run_id, now, part)
    progress.advance("write", len(docs))
    quarantine_path, quarantined = write_quarantine(out, failures, run_id, now, part)
    progress.advance("write", len(failures))
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
    """What the fetch stage of a run did, added up batch by batch."""

    stats: FetchStats = field(default_factory=FetchStats)
    pages: int = 0
    listings: int = 0
    seconds: float = 0.0
    """From the start of the fetch stage to its last batch archived."""

    def add(self, batch: fetching.FetchedBatch) -> None:
        self.stats.merge(batch.stats)
        self.pages += batch.pages
        self.listings += len(batch.listings)

    def as_dict(self) -> dict:
        return {
            **self.stats.as_dict(),
            "pages_archived": self.pages,
            "listings": self.listings,
            "seconds": round(self.seconds, 3),
        }


def fetch_web(
    specs: list[SourceSpec], settings: IngestSettings, out: Path, run_id: str, web: WebFetch
) -> Iterator[fetching.FetchedBatch]:
    """Expand the web sources, fetch their pages host batch by host batch, and yield each batch
    as soon as it is archived. Pages that turn out to be feeds or sitemaps are expanded in a
    second round. The last batch yielded holds the failures of feeds and sitemaps; ``web`` adds
    up what was done."""
    clock = time.perf_counter()
    raw, earlier, robots = raw_folder(out, run_id), load_validators(out), RobotsCache()
    getter = fetching.ListingFetcher(settings.fetch, robots)
    urls, problems = expand_sources(specs, getter)
    seen: set[str] = set()
    for round_number in range(2):
        web.listings += getter.archive(raw / f"listings-{round_number}.warc.gz")
        urls = [url for url in urls if url not in seen]
        seen.update(urls)
        listings = []
        for batch in _fetch_round(urls, earlier, settings, robots, raw, round_number):
            web.add(batch)
            listings += batch.listings
            yield batch
        if round_number == 0:
            urls, more = fetching.expand_listings(listings, getter)
        else:
            more = fetching.unfollowed(listings)
        problems += more
    web.stats.merge(getter.stats)
    web.seconds = time.perf_counter() - clock
    failures = getter.failures + fetching.listing_failures(problems, getter.failures)
    yield fetching.FetchedBatch(warc=None, failures=failures)


def _fetch_round(
    urls: list[str],
    earlier: dict[str, Validators],
    settings: IngestSettings,
    robots: RobotsCache,
    raw: Path,
    round_number: int,
) -> Iterator[fetching.FetchedBatch]:
    """Fetch ``urls`` in batches of one host, each archived by a task of its own, and yield the
    batches as they are archived. One host's batches are fetched one after another, at most
    ``batches_ahead`` of them started at once; no batch is larger than a chunk. A task gets the
    validators of its own URLs only; robots.txt rules travel in a thread-safe cache that Prefect
    does not walk."""
    progress.expect("fetch", len(urls))
    size = min(settings.fetch.batch_size, settings.chunk_size)
    queue = fetching.HostQueue(urls, size, settings.fetch.batches_ahead)
    numbers = itertools.count()
    finished: SimpleQueue[PrefectFuture] = SimpleQueue()
    started: dict[PrefectFuture, tuple[list[str], PrefectFuture]] = {}
    latest: dict[str, PrefectFuture] = {}  # each host's last fetch task, which its next awaits

    def start(batch: list[str]) -> None:
        host = fetching.origin(batch[0])
        asked = {url: earlier[url] for url in batch if url in earlier}
        after = [allow_failure(latest[host])] if host in latest else []
        fetched = fetch_batch.submit(batch, asked, settings, robots, wait_for=after)
        latest[host] = fetched
        archive = raw / f"pages-{round_number}-{next(numbers):05d}.warc.gz"
        archived = archive_batch.submit(fetched, str(archive))
        started[archived] = (batch, fetched)
        archived.add_done_callback(finished.put)

    for batch in queue.first():
        start(batch)
    while started:
        archived = finished.get()
        batch, fetched = started.pop(archived)
        if latest.get(fetching.origin(batch[0])) is fetched:
            del latest[fetching.origin(batch[0])]  # archived: its pages may leave memory
        for following in queue.after(batch):
            start(following)
        try:
            done = archived.result()
        except Exception as error:  # a task failed: its URLs are quarantined, not lost
            cause = fetched.result(raise_on_failure=False)  # the fetch's error, if it failed
            done = fetching.failed_batch(batch, cause if isinstance(cause, Exception) else error)
            progress.advance("fetch", len(batch))
        yield done


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
    specs = fetching.plan_sources(paths, sources_file, include or (), exclude or (), since)
    _require_existing(fetching.local_paths(specs))  # before the lock: nothing is created
    with dataset_lock(out_dir, f"run {run_id}", lock_wait_s):
        return _ingest(paths, specs, settings, run_id, out_dir, dask_address)


@dataclass
class RunTotals:
    """What a run has done so far, added up chunk by chunk (documents are not kept)."""

    counts: Counter[str] = field(default_factory=Counter)
    timings: Counter[str] = field(default_factory=Counter)
    quarantined_by_stage: Counter[str] = field(default_factory=Counter)
    quarantine_reasons: Counter[tuple[str, str]] = field(default_factory=Counter)
    cluster_sizes: Counter[int] = field(default_factory=Counter)
    files_written: dict[str, list[str]] = field(
        default_factory=lambda: {"documents": [], "quarantine": []}
    )
    documents: DocumentTally = field(default_factory=DocumentTally)
    web: WebFetch = field(default_factory=WebFetch)


def _ingest(
    paths: list[str],
    specs: list[SourceSpec],
    settings: IngestSettings,
    run_id: str,
    out_dir: Path,
    dask_address: str | None,
) -> dict:
    """The body of :func:`ingest`, run while the dataset's lock is held: the input in chunks of
    ``settings.chunk_size`` files or fetched pages, each taken through every stage and written
    before the next."""
    logger, started = get_run_logger(), datetime.now(UTC)
    known = set(existing_ids(out_dir / "documents", "doc_id"))
    files = pipeline.discover(fetching.local_paths(specs))
    web_sources = fetching.web_specs(specs)
    logger.info(
        "run %s: %d local input files, %d web sources", run_id, len(files), len(web_sources)
    )
    if not files and not web_sources:
        logger.warning("no input files found under %s", ", ".join(paths))
    progress.expect("extract", len(files))
    totals, chunks = RunTotals(), 0
    with extraction(settings, dask_address) as submit:
        inputs = _chunks(files, web_sources, submit, known, settings, run_id, out_dir, totals.web)
        for chunk in inputs:
            alone = chunks == 0 and chunk.last
            if not alone:
                logger.info("chunk %d: %d files or fetched pages", chunks + 1, chunk.size)
            part = "" if alone else f"{chunks:04d}"
            _ingest_chunk(chunk, known, settings, run_id, part, out_dir, totals)
            chunks += 1
    if web_sources:
        totals.timings["fetch"] = totals.web.seconds

    manifest = {
        "run_id": run_id,
        "flow_run_id": str(runtime.flow_run.id) if runtime.flow_run.id else None,
        "pressroom_version": pressroom.__version__,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "out": str(out_dir),
        "inputs": list(paths),
        "parameters": settings.as_dict(),
        "chunks": chunks,
        "counts": {"files": len(files), "web_sources": len(web_sources), **totals.counts},
        "fetch": totals.web.as_dict(),
        "quarantined_by_stage": dict(sorted(totals.quarantined_by_stage.items())),
        "quarantine_reasons": common_reasons(totals.quarantine_reasons),
        "cluster_sizes": {str(k): v for k, v in sorted(totals.cluster_sizes.items())},
        "timings_s": {k: round(v, 3) for k, v in totals.timings.items()},
        "files_written": totals.files_written,
    }
    manifest["counts"]["documents"] = totals.counts["written"] + totals.counts["already_present"]
    manifest["failure"] = failure_reason(manifest)
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
    counts = manifest["counts"]
    logger.info(
        "run %s: %d documents (%d written, %d already in the dataset), %d quarantined, "
        "%d exact + %d near duplicates, %d spun copies, %d paraphrased copies",
        run_id,
        counts["documents"],
        counts["written"],
        counts["already_present"],
        counts["quarantined"],
        counts["exact_duplicates"],
        counts["near_duplicates"],
        counts["spun_copies_clustered"],
        counts["paraphrases_clustered"],
    )
    if manifest["failure"]:
        raise NoDocumentProduced(manifest["failure"], manifest)
    return manifest


def _require_existing(paths: list[str]) -> None:
    """Stop the run before any work if a local input path does not exist."""
    missing = [path for path in paths if not Path(path).exists()]
    if missing:
        relative = any(not Path(path).is_absolute() for path in missing)
        where = f" (working directory {Path.cwd()})" if relative else ""
        raise FileNotFoundError(f"input path does not exist: {', '.join(missing)}{where}")


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
    started: float = field(default_factory=time.perf_counter)


def _chunks(
    files: list[str],
    web_sources: list[SourceSpec],
    submit: Callable[[list[str], frozenset[str]], PrefectFuture],
    known: set[str],
    settings: IngestSettings,
    run_id: str,
    out_dir: Path,
    web: WebFetch,
) -> Iterator[Chunk]:
    """The run's input in chunks: local files, then fetched pages. Each batch's extraction is
    submitted as soon as the batch is at hand (a fetched one once archived, while later ones are
    still being fetched); pages whose doc_id is in ``known`` as the chunk starts are skipped (the
    caller adds each chunk's documents before taking the next)."""
    local = list(pipeline.batches(files, settings.chunk_size))
    for number, chunk_files in enumerate(local):
        skip = frozenset(known)
        last = number == len(local) - 1 and not web_sources
        chunk = Chunk(size=len(chunk_files), last=last)
        batches = pipeline.batches(chunk_files, settings.batch_size_for(len(chunk_files)))
        chunk.futures = [submit(batch, skip) for batch in batches]
        yield chunk
    if not web_sources:
        if not local:
            yield Chunk(last=True)  # nothing to read: the run still writes its manifest
        return
    chunk, skip, none_yet = Chunk(), frozenset(known), not local
    for batch in fetch_web(web_sources, settings, out_dir, run_id, web):
        if batch.pages:
            progress.expect("extract", 1)
            chunk.futures.append(submit([str(Path(batch.warc).absolute())], skip))  # Dask too
        chunk.failures += batch.failures
        chunk.validators |= batch.validators
        chunk.size += batch.pages
        if chunk.size >= settings.chunk_size:
            yield chunk
            chunk, skip, none_yet = Chunk(), frozenset(known), False
    if chunk.futures or chunk.failures or none_yet:  # a run has one chunk at least
        chunk.last = True
        yield chunk


def _ingest_chunk(
    chunk: Chunk,
    known: set[str],
    settings: IngestSettings,
    run_id: str,
    part: str,
    out_dir: Path,
    totals: RunTotals,
) -> None:
    """Take one chunk of the input through every stage, write it (then save the validators of
    its fetched pages), and add what it did to ``totals``; ``known`` (the dataset's doc_ids)
    gains the chunk's documents."""
    timings = totals.timings
    results = [future.result() for future in chunk.futures]
    chunk.futures.clear()  # its documents are kept while the chunk is worked on, not after
    docs = [doc for result in results for doc in result.documents]
    failures = chunk.failures + [record for result in results for record in result.failures]
    timings["extract"] += time.perf_counter() - chunk.started

    clock = time.perf_counter()
    docs, repeated = pipeline.drop_repeated(docs)
    docs, emptied, cleaned = remove_site_boilerplate(docs, settings)
    failures += emptied
    timings["boilerplate"] += time.perf_counter() - clock

    clock = time.perf_counter()
    docs, unrepairable = repair(docs, settings, out_dir)
    failures += unrepairable
    timings["repair"] += time.perf_counter() - clock

    clock = time.perf_counter()
    stats = dedup(docs, settings, out_dir)
    timings["deduplicate"] += time.perf_counter() - clock

    clock = time.perf_counter()
    written = write(out_dir, docs, failures, stats.changes, run_id, part)
    save_validators(out_dir, chunk.validators)  # only now: a 304 next time must find the rows
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
            "paraphrases_clustered": stats.paraphrases,
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
    totals.quarantine_reasons.update(reason_counts(failures))
    totals.cluster_sizes.update(stats.cluster_sizes)
    for table in ("documents", "quarantine"):
        if written[table]:
            totals.files_written[table].append(written[table])
    totals.documents.add(docs)
    known.update(doc.doc_id for doc in docs)


def run_ingest(paths: Sequence[str], out: str, **parameters) -> dict:
    """Call the flow (Prefect's ephemeral local mode unless PREFECT_API_URL points at a server)."""
    return ingest(paths=list(paths), out=out, **parameters)
