"""Feeds and sitemaps: reading them, and expanding web sources into the page URLs to fetch.

:func:`expand_sources` turns source specs into page URLs, reading feeds and sitemaps through a
caller-supplied ``get`` so that fetching (and its politeness) stays with the caller; a
:class:`ListingFetcher` is that ``get`` in a run, and keeps what it fetched for the archive.
"""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from lxml import etree

from pressroom.schemas import QuarantineRecord
from pressroom.schemas.records import stable_id
from pressroom.sources.settings import FetchSettings
from pressroom.web.archive import write_warc
from pressroom.web.fetcher import (
    XML_TYPES,
    FetchResult,
    FetchStats,
    RobotsCache,
    fetch_failure,
    fetch_urls,
)
from pressroom.web.specs import SourceSpec, is_http, normalize_url, wanted

MAX_LISTING_BYTES = 50_000_000
"""Largest feed or sitemap document parsed, after gunzipping (the sitemap protocol's own limit)."""

LISTING_LIMIT = "not read: feed and sitemap document limit reached"
"""The problem reported for each feed or sitemap left unread by ``max_listings``."""
LISTING_KINDS = {"feed": "feed", "sitemap": "sitemap", "sitemap-index": "sitemap"}
NOT_FOLLOWED = "a feed or sitemap listed by a feed or sitemap: its links are not followed"
"""The problem of a listing found in the second round (one level of listings is followed)."""


@dataclass(frozen=True)
class Listing:
    """What a feed or sitemap document lists."""

    kind: str
    """"feed", "sitemap", "sitemap-index" or "none" (not a feed or sitemap)."""
    entries: list[tuple[str, datetime | None]]
    """(absolute URL, date as an aware UTC datetime or None), in document order."""


def parse_listing(content: bytes, base_url: str) -> Listing:
    """Detect and read an RSS 2.0, RSS 1.0 (RDF), Atom, sitemap or sitemap index document.

    Namespaces are ignored, relative links are resolved against ``base_url`` (and ``xml:base``),
    gzipped documents are unpacked. Anything else, malformed XML included, gives kind "none".
    Entities are never expanded, nor external resources loaded.
    """
    root = _parse_xml(content, base_url)
    if root is None:
        return Listing("none", [])
    name = etree.QName(root).localname
    if name in ("rss", "RDF"):  # RSS 2.0 items sit in the channel, RSS 1.0 ones beside it
        channels = _children(root, "channel")
        items = _children(root, "item") + [i for c in channels for i in _children(c, "item")]
        return Listing("feed", _feed_entries(items, ("pubDate", "date")))
    if name == "feed":
        return Listing("feed", _feed_entries(_children(root, "entry"), ("updated", "published")))
    if name == "urlset":
        return Listing("sitemap", _sitemap_entries(root, "url"))
    if name == "sitemapindex":
        return Listing("sitemap-index", _sitemap_entries(root, "sitemap"))
    return Listing("none", [])


def _parse_xml(content: bytes, base_url: str) -> etree._Element | None:
    """The root of a well-formed XML document, parsed without entities, DTDs or network."""
    if content.startswith(b"\x1f\x8b"):
        try:
            unpacker = zlib.decompressobj(wbits=31)
            content = unpacker.decompress(content, MAX_LISTING_BYTES)
        except zlib.error:
            return None
        if unpacker.unconsumed_tail:
            return None
    if len(content) > MAX_LISTING_BYTES:
        return None
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_pis=True,
    )
    try:
        return etree.fromstring(content.lstrip(b" \t\r\n"), parser, base_url=base_url)
    except (etree.XMLSyntaxError, ValueError):
        return None


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    """The child elements with this local name, whatever their namespace."""
    return [c for c in element if isinstance(c.tag, str) and etree.QName(c).localname == name]


def _text(element: etree._Element, name: str) -> str | None:
    """The text of the first child with this local name that has any."""
    for child in _children(element, name):
        text = _own_text(child)
        if text:
            return text
    return None


def _own_text(element: etree._Element) -> str | None:
    """The stripped text of an element holding text only (no markup, no entity references)."""
    if len(element) or not element.text or not element.text.strip():
        return None
    return element.text.strip()


def _absolute(element: etree._Element, link: str) -> str | None:
    """A link resolved against the element's base URL, if it is an http(s) URL."""
    try:
        url = urljoin(element.base or "", link)
        return url if is_http(url) and urlsplit(url).hostname else None
    except ValueError:
        return None


def _feed_entries(
    items: Iterable[etree._Element], date_names: tuple[str, ...]
) -> list[tuple[str, datetime | None]]:
    """(link, latest of the named dates) of each feed item or entry that has a link."""
    entries = []
    for item in items:
        url = _item_url(item)
        if url:
            dates = [_parse_date(_text(item, name)) for name in date_names]
            entries.append((url, max((d for d in dates if d), default=None)))
    return entries


def _item_url(item: etree._Element) -> str | None:
    """The page an RSS item or Atom entry links to: its alternate link, else a permalink guid."""
    candidates = []
    for link in _children(item, "link"):
        href = link.get("href")
        if href is None:
            candidates.append((link, _own_text(link)))
        elif link.get("rel", "alternate") == "alternate":
            candidates.append((link, href.strip()))
    for guid in _children(item, "guid"):
        text = _own_text(guid)
        if guid.get("isPermaLink", "true") != "false" and text and is_http(text):
            candidates.append((guid, text))
    for element, text in candidates:
        url = _absolute(element, text) if text else None
        if url:
            return url
    return None


def _sitemap_entries(root: etree._Element, name: str) -> list[tuple[str, datetime | None]]:
    """(loc, lastmod, else a news sitemap's publication date) of each ``url`` or ``sitemap``."""
    entries = []
    for element in _children(root, name):
        loc = _text(element, "loc")
        url = _absolute(element, loc) if loc else None
        if url:
            when = _text(element, "lastmod")
            news = _children(element, "news")
            if when is None and news:
                when = _text(news[0], "publication_date")
            entries.append((url, _parse_date(when)))
    return entries


def _parse_date(text: str | None) -> datetime | None:
    """An ISO 8601 / W3C or RFC 822 date as an aware UTC datetime; naive times are taken as UTC."""
    if not text:
        return None
    parsed = None
    for parse in (datetime.fromisoformat, parsedate_to_datetime, _year_month):
        try:
            parsed = parse(text)
            break
        except (TypeError, ValueError, IndexError, OverflowError):
            continue
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return None


def _year_month(text: str) -> datetime:
    """A W3C date of reduced precision: 'YYYY-MM' or 'YYYY'."""
    return datetime.strptime(text, "%Y-%m" if "-" in text else "%Y")


def expand_sources(
    specs: Iterable[SourceSpec],
    get: Callable[[str], bytes | None],
    max_listings: int = 1000,
) -> tuple[list[str], list[tuple[str, str]]]:
    """The page URLs to fetch for these specs, and the problems met on the way.

    Page specs pass through; feeds and sitemaps are read with ``get(url)`` (the body, or None when
    it could not be fetched) and sitemap indexes followed, at most ``max_listings`` documents in
    all; every document left unread beyond that is a problem. Each spec's ``since``, include and
    exclude filters apply to the URLs it yields (after normalisation; ``since`` also skips child
    sitemaps dated before it). URLs are normalised and de-duplicated in first-seen order.
    Problems are (location, reason) pairs. Local specs are left to the caller.
    """
    pages: dict[str, None] = {}
    problems: list[tuple[str, str]] = []
    documents_left = max_listings

    def add(url: str, spec: SourceSpec) -> None:
        normal = normalize_url(url)
        if normal is not None and wanted(normal, spec):
            pages.setdefault(normal)

    for spec in specs:
        if spec.kind == "page":
            if normalize_url(spec.location) is None:
                problems.append((spec.location, "not a valid http(s) URL"))
            add(spec.location, spec)
        elif spec.kind in ("feed", "sitemap"):
            urls, read = _listed_pages(spec, get, documents_left, problems)
            documents_left -= read
            for url in urls:
                add(url, spec)
    return list(pages), problems


def _listed_pages(
    spec: SourceSpec,
    get: Callable[[str], bytes | None],
    max_documents: int,
    problems: list[tuple[str, str]],
) -> tuple[list[str], int]:
    """The page URLs of a feed or sitemap spec not older than its ``since``, following sitemap
    indexes, and the number of documents read (at most ``max_documents``).

    Problems met are appended to ``problems``.
    """
    urls: list[str] = []
    queue = deque([spec.location])
    seen = {normalize_url(spec.location) or spec.location}
    read = 0
    while queue:
        url = queue.popleft()
        if read >= max_documents:  # every document left unread is reported, not only the next
            problems += [(left, LISTING_LIMIT) for left in (url, *queue)]
            break
        read += 1
        body = get(url)
        if body is None:
            problems.append((url, "could not be fetched"))
            continue
        listing = parse_listing(body, url)
        if listing.kind == "none":
            problems.append((url, "not a feed or sitemap"))
            continue
        recent = [link for link, when in listing.entries if not _older(when, spec.since)]
        if listing.kind != "sitemap-index":
            urls.extend(recent)
            continue
        for child in recent:
            key = normalize_url(child) or child
            if key not in seen:
                seen.add(key)
                queue.append(child)
    return urls, read


def _older(when: datetime | None, since: date | None) -> bool:
    """Whether a dated entry is from before the ``since`` day (undated entries never are)."""
    return when is not None and since is not None and when.date() < since


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
        reason="listing_failed",
    )
