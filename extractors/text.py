"""Extract the body and press-release header of scraped plain text, line by line.

A scraper's text dump is page chrome, then a title, sometimes a release header (issuing office,
"For Immediate Release", a date line), then the body, then more chrome. This module drops the
chrome, moves the header into metadata and keeps the body's paragraphs.
"""

from __future__ import annotations

import re
from datetime import datetime

from pressroom.extractors.patterns import (
    is_boilerplate,
    is_release_status,
    parse_date_line,
    strip_bullet,
)
from pressroom.schemas import Extraction

_MIN_TITLE_WORDS = 3
_MAX_TITLE_WORDS = 60
_HEADER_SCAN_LINES = 8
_MAX_HEADER_LINE_WORDS = 12
_CRUMB = re.compile(r"^\d{1,2}[.)]\s+\S(?:\S*\s?){0,5}$")
_HOME_WORDS = {
    "home",
    "homepage",
    "main",
    "accueil",
    "startseite",
    "inicio",
    "главная",
    "홈",
    "首页",
}
_END_MARKER = re.compile(r"\s*(?:/end/|-end-|###|-30-)\s*$", re.IGNORECASE)
HEADER_LINE_SEPARATOR = "; "
"""Joins the header lines of one field (the issuer's "Mission; Office")."""


def extract_text(text: str) -> Extraction:
    """Title, release header and clean body of a scraped plain-text page."""
    lines = _drop_breadcrumbs(_paragraph_lines(text))
    lines = [line for line in lines if line == "" or not is_boilerplate(line)]
    title_at = _find_title(lines)
    extraction = Extraction(text="", extractor="text")
    if title_at is None:
        extraction.text = _join(lines)
        return extraction
    extraction.title = strip_bullet(lines[title_at])
    extraction.published_at = _leading_date(lines[:title_at])
    body_at = _parse_header(lines, title_at + 1, extraction)
    body = [line for line in lines[body_at:] if strip_bullet(line) != extraction.title]
    extraction.text = _join(body)
    return extraction


def _paragraph_lines(text: str) -> list[str]:
    """Lines of the text, with "" marking paragraph breaks.

    Text with blank lines between blocks keeps its blocks; text with no blank line at all has
    one paragraph per line (the usual shape of a scraper's text dump).
    """
    raw = [line.rstrip() for line in text.splitlines()]
    has_blank_lines = any(not line.strip() for line in raw[1:-1])
    lines: list[str] = []
    for line in raw:
        if not line.strip():
            lines.append("")
        else:
            lines.append(line.strip())
            if not has_blank_lines:
                lines.append("")
    while lines and not lines[-1]:
        lines.pop()
    if lines:
        lines[-1] = _END_MARKER.sub("", lines[-1])
    return lines


def _drop_breadcrumbs(lines: list[str]) -> list[str]:
    """Drop breadcrumb trails (a numbered run of short items starting at "Home") and their echoes.

    Pages repeat the last crumb as a section heading ("Vice Ministers"), so short lines equal to
    a crumb are dropped too.
    """
    crumbs: set[str] = set()
    kept: list[str] = []
    index = 0
    while index < len(lines):
        run_end = index
        while run_end < len(lines) and _CRUMB.match(lines[run_end]):
            run_end += 1
        items = [strip_bullet(line) for line in lines[index:run_end]]
        if len(items) >= 2 and items[0].lower() in _HOME_WORDS:
            crumbs.update(item.lower() for item in items)
            index = run_end
            continue
        kept.append(lines[index])
        index += 1
    return [line for line in kept if line.lower() not in crumbs]


def _find_title(lines: list[str]) -> int | None:
    """Index of the first line long enough to be a title; shorter lines above it are chrome."""
    for index, line in enumerate(lines):
        words = len(strip_bullet(line).split())
        if _MIN_TITLE_WORDS <= words <= _MAX_TITLE_WORDS and parse_date_line(line) is None:
            return index
    return None


def _leading_date(chrome: list[str]) -> datetime | None:
    return next(filter(None, map(parse_date_line, chrome)), None)


def _parse_header(lines: list[str], start: int, extraction: Extraction) -> int:
    """Move a release header below the title into ``extraction``; return where the body starts.

    A header is a run of short lines ending in a date line or a release status line ("For
    Immediate Release") within the first few lines after the title. Without such an anchor the
    short lines are body text (a subtitle, a salutation) and stay. A release status this parser
    does not know (a spun "For Instant Launch") stays among the issuer lines until repair has
    restored it (``pressroom.stages.repair.repair_document`` then moves it).
    """
    short_lines: list[str] = []
    issuers: list[str] = []
    header_end, scanned = start, 0
    for index in range(start, len(lines)):
        line = strip_bullet(lines[index])
        if not line or line == extraction.title:
            continue
        if scanned == _HEADER_SCAN_LINES:
            break
        scanned += 1
        date = parse_date_line(line)
        if date or is_release_status(line):
            if date:
                extraction.published_at = extraction.published_at or date
            else:
                extraction.release_status = line
            header_end, issuers = index + 1, list(short_lines)
        elif len(line.split()) > _MAX_HEADER_LINE_WORDS or line.endswith((".", ",", ":", ";")):
            break
        else:
            short_lines.append(line)
    if header_end > start:
        extraction.issuer = HEADER_LINE_SEPARATOR.join(issuers) or None
    return header_end


def _join(lines: list[str]) -> str:
    """Paragraphs separated by one blank line, lines inside a paragraph by a newline."""
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join("\n".join(p) for p in paragraphs if p)
