"""What a run is asked to fetch from the web: page URLs, files of URLs, feeds and sitemaps.

Sources are described by :class:`SourceSpec` (parsed from the command line with
:func:`parse_source` or from YAML with :func:`read_sources_file`). :func:`expand_sources` turns
them into the page URLs to fetch, reading feeds and sitemaps through a caller-supplied ``get``
so that fetching (and its politeness) stays with the caller.
"""

from __future__ import annotations

import re
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import courlan
import yaml
from lxml import etree

KINDS = ("page", "feed", "sitemap", "local")
MAX_LISTING_BYTES = 50_000_000
"""Largest feed or sitemap document parsed, after gunzipping (the sitemap protocol's own limit)."""

LISTING_LIMIT = "not read: feed and sitemap document limit reached"
"""The problem reported for each feed or sitemap left unread by ``max_listings``."""

_PREFIXES = {"feed:": "feed", "sitemap:": "sitemap"}
_YAML_KINDS = {"url": "page", "feed": "feed", "sitemap": "sitemap", "urls": "urls", "path": "local"}
_YAML_OPTIONS = ("include", "exclude", "since")
_INLINE_COMMENT = re.compile(r"\s+#.*$")


class _YamlLoader(yaml.SafeLoader):
    """Safe YAML that leaves dates as strings, so that a bad one is reported with its item."""


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class SourceSpec:
    """One source of pages, with the filters that apply to the URLs it lists."""

    kind: str
    """"page", "feed", "sitemap" or "local"."""
    location: str
    """The URL, or the local path for kind "local"."""
    include: tuple[str, ...] = ()
    """Regular expressions (``re.search``); a URL must match one of them if any are given."""
    exclude: tuple[str, ...] = ()
    """Regular expressions; a URL matching any of them is dropped."""
    since: date | None = None
    """Feed items and sitemap entries dated before this day are dropped; undated ones are kept."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown source kind {self.kind!r} (expected one of {KINDS})")
        object.__setattr__(self, "include", _patterns(self.include))
        object.__setattr__(self, "exclude", _patterns(self.exclude))
        if isinstance(self.since, datetime):
            object.__setattr__(self, "since", self.since.date())


def _patterns(value: str | Iterable[str]) -> tuple[str, ...]:
    """A tuple of valid regular expressions, from one pattern or several."""
    patterns = (value,) if isinstance(value, str) else tuple(value)
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise ValueError(f"URL pattern must be a string, not {pattern!r}")
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"invalid URL pattern {pattern!r}: {error}") from error
    return patterns


def parse_source(
    text: str,
    include: str | Iterable[str] = (),
    exclude: str | Iterable[str] = (),
    since: date | None = None,
) -> list[SourceSpec]:
    """The specs for one command-line source.

    ``feed:URL`` and ``sitemap:URL`` name a feed or sitemap, ``urls:FILE`` a file of page URLs
    (read now, one spec per URL), an http(s) URL a page, and anything else a local path.
    """
    text = text.strip()
    options = {"include": include, "exclude": exclude, "since": since}
    for prefix, kind in _PREFIXES.items():
        if text.startswith(prefix):
            url = text.removeprefix(prefix).strip()
            if normalize_url(url) is None:
                raise ValueError(f"{text!r}: {prefix!r} must be followed by an http(s) URL")
            return [SourceSpec(kind, url, **options)]
    if text.startswith("urls:"):
        return [SourceSpec("page", url, **options) for url in _read_url_file(Path(text[5:]))]
    if _is_http(text):
        if normalize_url(text) is None:
            raise ValueError(f"{text!r} is not a valid http(s) URL")
        return [SourceSpec("page", text, **options)]
    return [SourceSpec("local", text, **options)]


def _is_http(text: str) -> bool:
    """Whether the text starts like an http(s) URL."""
    return text.lower().startswith(("http://", "https://"))


def _read_url_file(path: Path) -> list[str]:
    """The URLs in a file, one a line; blank lines and ``#`` comments are ignored."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read URL file {str(path)!r}: {error}") from error
    urls = []
    for number, line in enumerate(lines, start=1):
        line = _INLINE_COMMENT.sub("", line).strip()
        if not line or line.startswith("#"):
            continue
        if not _is_http(line) or normalize_url(line) is None:
            raise ValueError(f"{path}, line {number}: {line!r} is not an http(s) URL")
        urls.append(line)
    return urls


def read_sources_file(path: Path) -> list[SourceSpec]:
    """The specs listed in a YAML sources file.

    The file holds a ``sources:`` list, and optionally ``include``, ``exclude`` and ``since``
    that apply to the items which do not set their own. An item is a string (as on the command
    line) or a mapping with one of ``url``, ``feed``, ``sitemap``, ``urls`` or ``path`` plus
    optional ``include``, ``exclude`` and ``since``. Relative file paths (``urls``, ``path``,
    also inside string items) are taken from the YAML file's folder.
    """
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_YamlLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ValueError(f"{path}: cannot read sources file: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("sources"), list):
        raise ValueError(f"{path}: expected a top-level 'sources:' list")
    unknown = sorted(set(document) - {"sources", *_YAML_OPTIONS}, key=str)
    if unknown:
        raise ValueError(f"{path}: unknown top-level key(s) {unknown}")
    try:
        defaults = _options(document)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error
    specs = []
    for number, item in enumerate(document["sources"], start=1):
        try:
            specs.extend(_read_item(item, defaults, path.parent))
        except ValueError as error:
            raise ValueError(f"{path}, item {number}: {error}") from error
    return specs


def _read_item(item: Any, defaults: dict[str, Any], folder: Path) -> list[SourceSpec]:
    """The specs of one item of a sources file."""
    if isinstance(item, str):
        item = item.strip()
        if item.startswith("urls:"):
            item = "urls:" + str(folder / item.removeprefix("urls:"))
        elif not item.startswith(tuple(_PREFIXES)) and not _is_http(item):
            item = str(folder / item)
        return parse_source(item, **defaults)
    if not isinstance(item, dict):
        raise ValueError(f"expected a string or a mapping, not {item!r}")
    unknown = sorted(set(item) - {*_YAML_KINDS, *_YAML_OPTIONS}, key=str)
    if unknown:
        raise ValueError(
            f"unknown key(s) {unknown} (expected one of {[*_YAML_KINDS]}, "
            f"with optional {[*_YAML_OPTIONS]})"
        )
    kinds = [key for key in _YAML_KINDS if key in item]
    if len(kinds) != 1:
        raise ValueError(f"expected exactly one of {[*_YAML_KINDS]}, found {kinds or 'none'}")
    key = kinds[0]
    value = item[key]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key!r} must be a non-empty string, not {value!r}")
    value = value.strip()
    options = {**defaults, **_options(item)}
    if key == "urls":
        return [SourceSpec("page", u, **options) for u in _read_url_file(folder / value)]
    if key == "path":
        return [SourceSpec("local", str(folder / value), **options)]
    if not _is_http(value) or normalize_url(value) is None:
        raise ValueError(f"{key!r} must be an http(s) URL, not {value!r}")
    return [SourceSpec(_YAML_KINDS[key], value, **options)]


def _options(mapping: dict[str, Any]) -> dict[str, Any]:
    """The ``include``, ``exclude`` and ``since`` set in a mapping, validated."""
    options: dict[str, Any] = {}
    for key in ("include", "exclude"):
        if key in mapping:
            value = mapping[key]
            if not isinstance(value, (str, list)):
                raise ValueError(f"{key!r} must be a pattern or a list of patterns")
            options[key] = _patterns(value)
    if "since" in mapping:
        options["since"] = _since(mapping["since"])
    return options


def _since(value: Any) -> date | None:
    """A ``since`` value: a 'YYYY-MM-DD' string (or a date, from an explicit YAML tag); null for
    none."""
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"'since' must be a date (YYYY-MM-DD), not {value!r}")


def normalize_url(url: str) -> str | None:
    """The canonical form of a URL for de-duplicating within a run, or None if not http(s).

    Scheme and host are lower-cased, the default port, the fragment and tracking parameters
    (utm_*, fbclid, gclid, ...) are dropped, the remaining query is sorted and an empty path
    becomes "/".
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return None
        scheme, netloc, path, query, _ = urlsplit(courlan.normalize_url(url))
    except ValueError:
        return None
    return urlunsplit((scheme, netloc, path or "/", query, ""))


def wanted(url: str, spec: SourceSpec) -> bool:
    """Whether a URL passes the include and exclude patterns of its spec."""
    if spec.include and not any(re.search(pattern, url) for pattern in spec.include):
        return False
    return not any(re.search(pattern, url) for pattern in spec.exclude)


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
        return url if _is_http(url) and urlsplit(url).hostname else None
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
        if guid.get("isPermaLink", "true") != "false" and text and _is_http(text):
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
