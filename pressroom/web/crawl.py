"""A crawl's batches: the page URLs of a run fetched in batches of one host each, and every
batch's pages archived as WARC before extraction reads them back, so nothing downloaded is lost
when a later stage fails. Every URL ends as a page archived, a feed or sitemap read (and
archived), a 304, or a quarantine record saying why not. ``pressroom.flows.web`` runs these
functions as Prefect tasks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pressroom.schemas import QuarantineRecord
from pressroom.sources.local import PAGE_TYPES, is_page_type
from pressroom.sources.settings import FetchSettings
from pressroom.web.archive import write_warc
from pressroom.web.fetcher import (
    XML_TYPES,
    FetchResult,
    FetchStats,
    RobotsCache,
    fetch_failure,
    fetch_urls,
    origin,
)
from pressroom.web.listings import LISTING_KINDS, parse_listing
from pressroom.web.validators import Validators

ANY_TYPE = tuple(dict.fromkeys(PAGE_TYPES + XML_TYPES))
"""A page URL may turn out to be a feed or sitemap, so XML is fetched too."""


class HostQueue:
    """The URLs of a round in batches of at most ``size`` URLs of one host (one origin), handed
    out so that no host has more than ``ahead`` batches out at once: a host's next batch is ready
    as soon as its current one is fetched, and the rest wait here rather than as started tasks."""

    def __init__(self, urls: Iterable[str], size: int, ahead: int) -> None:
        by_host: dict[str, list[str]] = {}
        for url in urls:
            by_host.setdefault(origin(url), []).append(url)
        self._waiting = {
            host: deque(found[start : start + size] for start in range(0, len(found), size))
            for host, found in by_host.items()
        }
        self._ahead = ahead

    def first(self) -> list[list[str]]:
        """Up to ``ahead`` batches of every host, to start at once."""
        return [batch for host in list(self._waiting) for batch in self._take(host, self._ahead)]

    def after(self, batch: Sequence[str]) -> list[list[str]]:
        """The next batch of the host of ``batch`` (none when it has no more), now that ``batch``
        is done."""
        return self._take(origin(batch[0]), 1)

    def _take(self, host: str, count: int) -> list[list[str]]:
        waiting = self._waiting.get(host)
        if not waiting:
            return []
        taken = [waiting.popleft() for _ in range(min(count, len(waiting)))]
        if not waiting:
            del self._waiting[host]
        return taken


@dataclass
class FetchedBatch:
    """What fetching one batch produced."""

    warc: str | None
    """The WARC archive of its pages and listings; None when nothing new was downloaded."""
    pages: int = 0
    failures: list[QuarantineRecord] = field(default_factory=list)
    stats: FetchStats = field(default_factory=FetchStats)
    validators: dict[str, Validators] = field(default_factory=dict)
    """ETag and Last-Modified of its pages, to save once their rows are written."""
    listings: list[FetchResult] = field(default_factory=list)
    """Pages that turned out to be feeds or sitemaps (archived as listings, not as pages)."""


def fetch_batch(
    urls: Sequence[str],
    validators: Mapping[str, Validators],
    settings: FetchSettings,
    robots: RobotsCache | None = None,
) -> tuple[list[FetchResult], FetchStats]:
    """Fetch ``urls``, conditionally where ``validators`` has an earlier run's ETag or date;
    ``robots`` carries robots.txt rules from one batch to the next."""
    asked = {url: validators[url] for url in urls if url in validators}
    return fetch_urls(urls, asked, settings, accept=ANY_TYPE, robots=robots)


def archive_batch(results: Sequence[FetchResult], stats: FetchStats, archive: Path) -> FetchedBatch:
    """Sort fetched results into pages, listings and failures, and archive the first two to
    ``archive`` (WARC) before anything reads them. Pages are what the WARC reader reads back
    (:func:`sources.local.is_page_type`). Listings get no validators: they are fetched again
    next run, so that what they list is seen again."""
    batch = FetchedBatch(warc=None, stats=stats)
    pages = []
    for result in results:
        if result.not_modified:
            continue
        if not result.ok:
            batch.failures.append(fetch_failure(result))
            continue
        if parse_listing(result.body, result.final_url).kind in LISTING_KINDS:
            batch.listings.append(result)
        elif is_page_type(result.content_type):
            pages.append(result)
            batch.validators[result.url] = result.validators
        else:
            failure = replace(result, error=f"{result.content_type} but not a feed or sitemap")
            batch.failures.append(fetch_failure(failure))
    if pages or batch.listings:
        batch.warc = str(write_warc(archive, pages, batch.listings))
    batch.pages = len(pages)
    return batch


def failed_batch(urls: Sequence[str], error: BaseException) -> FetchedBatch:
    """What a batch whose task failed gives: each of its URLs quarantined with the error."""
    reason = f"fetch task failed: {type(error).__name__}: {error}"
    return FetchedBatch(
        warc=None, failures=[fetch_failure(FetchResult(url, url, error=reason)) for url in urls]
    )
