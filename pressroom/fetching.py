"""Fetching web sources as plain functions; ``flows/ingest.py`` runs them as Prefect tasks.

A run's web sources become page URLs (feeds and sitemaps expanded), the URLs are fetched in
batches of one host each, and every batch's pages are archived as WARC before extraction reads
them back, so nothing downloaded is lost when a later stage fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from dataset.raw import write_warc
from pressroom.settings import FetchSettings
from schemas import QuarantineRecord
from schemas.records import stable_id
from sources.fetch import (
    PAGE_TYPES,
    XML_TYPES,
    FetchResult,
    FetchStats,
    RobotsRules,
    Validators,
    fetch_urls,
)
from sources.web import SourceSpec, expand_sources, parse_listing, parse_source, read_sources_file

LISTING_KINDS = {"feed": "feed", "sitemap": "sitemap", "sitemap-index": "sitemap"}
ANY_TYPE = tuple(dict.fromkeys(PAGE_TYPES + XML_TYPES))
"""A page URL may turn out to be a feed or sitemap, so XML is fetched too."""


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
    robots: MutableMapping[str, RobotsRules] = field(default_factory=dict)
    fetched: list[FetchResult] = field(default_factory=list)
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


def host_batches(urls: Iterable[str], size: int) -> Iterator[list[str]]:
    """The URLs in batches of at most ``size``, each batch from a single host, hosts in turn."""
    by_host: dict[str, list[str]] = {}
    for url in urls:
        by_host.setdefault(host_of(url), []).append(url)
    for urls_of_host in by_host.values():
        for start in range(0, len(urls_of_host), size):
            yield urls_of_host[start : start + size]


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass
class FetchedBatch:
    """What fetching one batch produced."""

    warc: str | None
    """The WARC archive of its pages and listings; None when nothing new was downloaded."""
    pages: int = 0
    failures: list[QuarantineRecord] = field(default_factory=list)
    stats: FetchStats = field(default_factory=FetchStats)
    validators: dict[str, Validators] = field(default_factory=dict)
    listings: list[FetchResult] = field(default_factory=list)
    """Pages that turned out to be feeds or sitemaps (archived as listings, not as pages)."""


def fetch_batch(
    urls: Sequence[str],
    validators: Mapping[str, Validators],
    settings: FetchSettings,
    robots: MutableMapping[str, RobotsRules] | None = None,
) -> tuple[list[FetchResult], FetchStats]:
    """Fetch ``urls``, conditionally where ``validators`` has an earlier run's ETag or date;
    ``robots`` carries robots.txt rules from one batch to the next."""
    asked = {url: validators[url] for url in urls if url in validators}
    return fetch_urls(urls, asked, settings, accept=ANY_TYPE, robots=robots)


def archive_batch(results: Sequence[FetchResult], stats: FetchStats, archive: Path) -> FetchedBatch:
    """Sort fetched results into pages, listings and failures, and archive the first two to
    ``archive`` (WARC) before anything reads them."""
    batch = FetchedBatch(warc=None, stats=stats)
    pages = []
    for result in results:
        if result.not_modified:
            continue
        if not result.ok:
            batch.failures.append(fetch_failure(result))
            continue
        batch.validators[result.url] = result.validators
        if parse_listing(result.body, result.final_url).kind in LISTING_KINDS:
            batch.listings.append(result)
        elif result.content_type in PAGE_TYPES or result.content_type is None:
            pages.append(result)
        else:
            failure = replace(result, error=f"{result.content_type} but not a feed or sitemap")
            batch.failures.append(fetch_failure(failure))
    if pages or batch.listings:
        batch.warc = str(write_warc(archive, pages, batch.listings))
    batch.pages = len(pages)
    return batch


def expand_listings(
    listings: Sequence[FetchResult], getter: ListingFetcher
) -> tuple[list[str], list[tuple[str, str]]]:
    """Page URLs listed by fetched pages that turned out to be feeds or sitemaps."""
    specs = []
    for result in listings:
        kind = LISTING_KINDS[parse_listing(result.body, result.final_url).kind]
        getter.known[result.final_url] = result.body
        specs.append(SourceSpec(kind, result.final_url))
    return expand_sources(specs, getter)


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


def merged_stats(parts: Iterable[FetchStats]) -> FetchStats:
    total = FetchStats()
    for part in parts:
        total.merge(part)
    return total
