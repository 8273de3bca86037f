"""What a run is asked to read: local paths, page URLs, files of URLs, feeds and sitemaps.

Sources are described by :class:`SourceSpec` (parsed from the command line with
:func:`parse_source` or from YAML with :func:`read_sources_file`); :func:`plan_sources` gathers
a run's, and :func:`local_paths` and :func:`web_specs` split them into local files to read and
web sources to fetch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import courlan
import yaml

KINDS = ("page", "feed", "sitemap", "local")
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
    if is_http(text):
        if normalize_url(text) is None:
            raise ValueError(f"{text!r} is not a valid http(s) URL")
        return [SourceSpec("page", text, **options)]
    return [SourceSpec("local", text, **options)]


def is_http(text: str) -> bool:
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
        if not is_http(line) or normalize_url(line) is None:
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
        elif not item.startswith(tuple(_PREFIXES)) and not is_http(item):
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
    if not is_http(value) or normalize_url(value) is None:
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
