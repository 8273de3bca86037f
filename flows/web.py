"""The fetch stage of the ``ingest`` flow: web sources fetched host batch by host batch.

Each batch is fetched by a ``fetch-batch`` task and archived as WARC under ``OUT/raw`` by an
``archive-batch`` task; :func:`fetch_web` yields the batches as they are archived, so that
extraction starts while later batches are still being fetched. The steps are the plain
functions of ``pressroom.web``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import SimpleQueue

from prefect import allow_failure, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture

from pressroom.dataset.dataset import Dataset
from pressroom.execution import progress
from pressroom.settings import IngestSettings
from pressroom.web import crawl
from pressroom.web.crawl import FetchedBatch, HostQueue, failed_batch
from pressroom.web.fetcher import FetchResult, FetchStats, RobotsCache, origin
from pressroom.web.listings import (
    ListingFetcher,
    expand_listings,
    expand_sources,
    listing_failures,
    unfollowed,
)
from pressroom.web.specs import SourceSpec
from pressroom.web.validators import Validators, load_validators

_TASK_OPTIONS = {"cache_policy": NO_CACHE, "persist_result": False}


@task(name="fetch-batch", retries=1, retry_delay_seconds=5, **_TASK_OPTIONS)
def fetch_batch(
    urls: list[str],
    validators: dict[str, Validators],
    settings: IngestSettings,
    robots: RobotsCache,
) -> tuple[list[FetchResult], FetchStats]:
    return crawl.fetch_batch(urls, validators, settings.fetch, robots)


@task(name="archive-batch", **_TASK_OPTIONS)
def archive_batch(fetched: tuple[list[FetchResult], FetchStats], archive: str) -> FetchedBatch:
    results, stats = fetched
    batch = crawl.archive_batch(results, stats, Path(archive))
    progress.advance("fetch", len(results))
    get_run_logger().info(
        "%d URLs of %s: %d pages archived, %d listings, %d failed, %d not modified",
        len(results),
        origin(results[0].url),
        batch.pages,
        len(batch.listings),
        len(batch.failures),
        stats.not_modified,
    )
    return batch


@dataclass
class WebFetch:
    """What the fetch stage of a run did, added up batch by batch."""

    stats: FetchStats = field(default_factory=FetchStats)
    pages: int = 0
    listings: int = 0
    seconds: float = 0.0
    """From the start of the fetch stage to its last batch archived."""

    def add(self, batch: FetchedBatch) -> None:
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
    specs: list[SourceSpec],
    settings: IngestSettings,
    dataset: Dataset,
    run_id: str,
    web: WebFetch,
) -> Iterator[FetchedBatch]:
    """Expand the web sources, fetch their pages host batch by host batch, and yield each batch
    as soon as it is archived. Pages that turn out to be feeds or sitemaps are expanded in a
    second round. The last batch yielded holds the failures of feeds and sitemaps; ``web`` adds
    up what was done."""
    clock = time.perf_counter()
    raw, robots = dataset.raw_folder(run_id), RobotsCache()
    earlier = load_validators(dataset.location)
    getter = ListingFetcher(settings.fetch, robots)
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
            urls, more = expand_listings(listings, getter)
        else:
            more = unfollowed(listings)
        problems += more
    web.stats.merge(getter.stats)
    web.seconds = time.perf_counter() - clock
    failures = getter.failures + listing_failures(problems, getter.failures)
    yield FetchedBatch(warc=None, failures=failures)


def _fetch_round(
    urls: list[str],
    earlier: dict[str, Validators],
    settings: IngestSettings,
    robots: RobotsCache,
    raw: Path,
    round_number: int,
) -> Iterator[FetchedBatch]:
    """Fetch ``urls`` in batches of one host, each archived by a task of its own, and yield the
    batches as they are archived. One host's batches are fetched one after another, at most
    ``batches_ahead`` of them started at once; no batch is larger than a chunk. A task gets the
    validators of its own URLs only; robots.txt rules travel in a thread-safe cache that Prefect
    does not walk."""
    progress.expect("fetch", len(urls))
    size = min(settings.fetch.batch_size, settings.chunk_size)
    queue = HostQueue(urls, size, settings.fetch.batches_ahead)
    numbers = itertools.count()
    finished: SimpleQueue[PrefectFuture] = SimpleQueue()
    started: dict[PrefectFuture, tuple[list[str], PrefectFuture]] = {}
    latest: dict[str, PrefectFuture] = {}  # each host's last fetch task, which its next awaits

    def start(batch: list[str]) -> None:
        host = origin(batch[0])
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
        if latest.get(origin(batch[0])) is fetched:
            del latest[origin(batch[0])]  # archived: its pages may leave memory
        for following in queue.after(batch):
            start(following)
        try:
            done = archived.result()
        except Exception as error:  # a task failed: its URLs are quarantined, not lost
            cause = fetched.result(raise_on_failure=False)  # the fetch's error, if it failed
            done = failed_batch(batch, cause if isinstance(cause, Exception) else error)
            progress.advance("fetch", len(batch))
        yield done
