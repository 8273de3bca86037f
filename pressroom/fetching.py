"""Fetching web sources as plain functions; ``flows/ingest.py`` runs them as Prefect tasks.

A run's web sources become page URLs (feeds and sitemaps expanded), the URLs are fetched in
batches of one host each, and every batch's pages are archived as WARC before extraction reads
them back, so nothing downloaded is lost when a later stage fails. Every URL ends as a page
archived, a feed or sitemap read (and archived), a 304, or a quarantine record saying why not.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from pressroom.dataset.raw import write_warc
from pressroom.schemas import QuarantineRecord
from pressroom.schemas.records import stable_id
from pressroom.settings import FetchSettings
from pressroom.sources.fetch import (
    PAGE_TYPES,
    XML_TYPES,
    FetchResult,
    FetchStats,
    RobotsCache,
    Validators,
    fetch_urls,
    origin,
)
from pressroom.sources.local import is_page_type
from pressroom.sources.web import (
    SourceSpec,
    expand_sources,
    parse_listing,
    parse_source,
    read_sources_file,
)

LISTING_KINDS = {"feed": "feed", "sitemap": "sitemap", "sitemap-index": "sitemap"}
ANY_TYPE = tuple(dict.fromkeys(PAGE_TYPES + XML_TYPES))
"""A page URL may turn out to be a feed or sitemap, so XML is fetched too."""
NOT_FOLLOWED = "a feed or sitemap listed by a feed or sitemap: its links are not followed"
"""The problem of a listing found in the second round (one level of listings is followed)."""


def plan_sources(
    paths: Iterable[str],
    sources_file: str | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    since: date | None = None,
) -> list[SourceSpec]:
    """Every source of a run: the command line's (with its filters), then the YAML file's."""
    specs = [
        spec for path in paths for spec in parse_source(path, tuple(include), tuple(exclude), since)
    ]
    if sources_file:
        specs += read_sources_file(Path(sources_file))
    return specs


def local_paths(specs: Iterable[SourceSpec]) -> list[str]:
    return [spec.location for spec in specs if spec.kind == "local"]


def web_specs(specs: Iterable[SourceSpec]) -> list[SourceSpec]:
    return [spec for spec in specs if spec.kind != "local"]


@dataclass
class ListingFetcher:
    """The ``get`` that ``expand_sources`` calls for feeds and sitemaps; keeps what it fetched."""

    settings: FetchSettings
    robots: RobotsCache = field(default_factory=RobotsCache)
    fetched: list[FetchResult] = field(default_factory=list)
    """Feeds and sitemaps fetched and not yet archived."""
    failures: list[QuarantineRecord] = field(default_factory=list)
    stats: FetchStats = field(default_factory=FetchStats)
    known: dict[str, bytes] = field(default_factory=dict)
    """Bodies already in hand (a page that turned out to be a feed), served without a request."""

    def __call__(self, url: str) -> bytes | None:
        if url in self.known:
            return self.known[url]
        (result,), stats = fetch_urls([url], {}, self.settings, XML_TYPES, self.robots)
        self.stats.merge(stats)
        if not result.ok:
            self.failures.append(fetch_failure(result))
            return None
        self.fetched.append(result)
        return result.body

    def archive(self, path: Path) -> int:
        """Write the feeds and sitemaps fetched since the last call to ``path`` (WARC resource
        records) and let go of their bodies; return how many."""
        archived = len(self.fetched)
        if archived:
            write_warc(path, [], self.fetched)
            self.fetched = []
        return archived


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


def expand_listings(
    listings: Sequence[FetchResult], getter: ListingFetcher
) -> tuple[list[str], list[tuple[str, str]]]:
    """Page URLs listed by fetched pages that turned out to be feeds or sitemaps."""
    specs = []
    for result in listings:
        kind = LISTING_KINDS[parse_listing(result.body, result.final_url).kind]
        getter.known[result.final_url] = result.body
        specs.append(SourceSpec(kind, result.final_url))
    try:
        return expand_sources(specs, getter)
    finally:
        getter.known.clear()


def unfollowed(listings: Iterable[FetchResult]) -> list[tuple[str, str]]:
    """The problems of listings found among the pages of listings (which are not followed)."""
    return [(result.url, NOT_FOLLOWED) for result in listings]


def fetch_failure(result: FetchResult) -> QuarantineRecord:
    """The quarantine record of a URL that could not be fetched."""
    status = f"HTTP status {result.status}" if result.status else "no HTTP response"
    attempts = f"{result.attempts} attempt{'s' * (result.attempts != 1)}"
    return QuarantineRecord(
        item_id=stable_id(result.url, "fetch", result.error or ""),
        source_uri=result.url,
        raw_path="",
        raw_offset=None,
        stage="fetch",
        error=f"{result.error} ({status}, {attempts})",
    )


def listing_failures(
    problems: Iterable[tuple[str, str]], already: Iterable[QuarantineRecord]
) -> list[QuarantineRecord]:
    """Quarantine records for feeds and sitemaps that listed nothing usable, except those
    already quarantined when they could not be fetched."""
    known = {record.source_uri for record in already}
    return [listing_failure(loc, reason) for loc, reason in problems if loc not in known]


def listing_failure(location: str, reason: str) -> QuarantineRecord:
    """The quarantine record of a feed or sitemap that listed nothing usable."""
    return QuarantineRecord(
        item_id=stable_id(location, "listing", reason),
        source_uri=location,
        raw_path="",
        raw_offset=None,
        stage="fetch",
        error=reason,
    )
