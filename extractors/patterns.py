"""Line patterns of page furniture and press-release headers, shared by the extractors.

Every pattern matches a *whole* line (after bullets and surrounding space are stripped), so that
content merely mentioning "comments" or "copyright" is never touched.
"""

from __future__ import annotations

import re
from datetime import datetime

_BULLET = re.compile(r"^(?:[\u2022\u25AA\u25CF\u00B7*\-\u2013>|]+|\d{1,2}[.)])\s+")

BOILERPLATE_LINES = [
    # navigation
    r"skip (?:to )?(?:main )?(?:navigation|content|menu)",
    r"(?:main )?(?:menu|navigation|home|back to top|top of page|print(?: this page)?|e-?mail)",
    r"you are here:?.*",
    r"(?:home|главная|accueil|startseite)\s*(?:[>»/|›]\s*[^>»/|›]{1,40}){1,6}",
    r".{0,40}\s*(?:상세보기|목록보기|자세히 보기)",
    # share and comment prompts
    r"(?:leave|post|add|write) a (?:comment|reply)",
    r"\d*\s*comments?",
    r"(?:share|share this|share on|tweet|facebook|twitter|linkedin|whatsapp|email this)(?:\s*:)?"
    r"(?:\s+(?:facebook|twitter|linkedin|whatsapp|email|x|telegram|reddit)){0,6}",
    r"(?:click here to )?(?:subscribe|sign up)(?: to our newsletter| for our newsletter)?\.?",
    # related-content furniture
    r"(?:must read|more articles|latest articles?|latest news|related (?:articles?|posts?|stories|news)"
    r"|read more|recommended(?: for you)?|most (?:read|popular)|trending(?: now)?|see also)\s*:?",
    r"(?:photos?|video|gallery|watch|listen)\s*:\s.+",
    # counters and copyright
    r"(?:hits?|views?|page ?views?|read count|조회수?)\s*[:：]?\s*[\d,.]+(?:\s*times)?",
    r"(?:©|\(c\)).{0,200}",
    r"copyright\s*(?:©|\(c\))?\s*(?:\d{4}|by\b).{0,150}",
    r".{0,150}\ball rights reserved\.?",
    # end-of-release markers
    r"(?:#{3}|-\s*30\s*-|[-/]?\s*end\s*[-/]?)",
]
_BOILERPLATE = re.compile("|".join(f"(?:{p})" for p in BOILERPLATE_LINES), re.IGNORECASE)

RELEASE_STATUS = re.compile(
    r"(?:for immediate release|immediate release|press release|media advisory|news release"
    r"|embargoed?\b.{0,60}|not for (?:publication|distribution).{0,60}|for release .{0,40})",
    re.IGNORECASE,
)

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE_PREFIX = r"(?:(?:date|dated|published|posted|posted on|issued|released|updated)\s*[:：]?\s*)?"
_WEEKDAY = r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
_MONTH_FIRST = rf"(?:{_MONTHS})\.? \d{{1,2}},? \d{{4}}"
_DAY_FIRST = rf"\d{{1,2}} (?:{_MONTHS})\.?,? \d{{4}}"
_NUMERIC = r"\d{4}[-./]\d{1,2}[-./]\d{1,2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?"
_DATE_LINE = re.compile(
    rf"{_DATE_PREFIX}{_WEEKDAY}(?P<value>{_MONTH_FIRST}|{_DAY_FIRST}|{_NUMERIC})", re.IGNORECASE
)
_DATE_FORMATS = (
    "%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
)


def strip_bullet(line: str) -> str:
    """The line without list bullets or numbering and surrounding whitespace."""
    return _BULLET.sub("", line.strip()).strip()


def is_boilerplate(line: str) -> bool:
    """True if the whole line is page furniture (navigation, prompts, counters, copyright...)."""
    core = strip_bullet(line)
    return bool(core) and _BOILERPLATE.fullmatch(core) is not None


def is_release_status(line: str) -> bool:
    return RELEASE_STATUS.fullmatch(strip_bullet(line).rstrip(".:")) is not None


def parse_date_line(line: str) -> datetime | None:
    """The date if the whole line is a date (optionally labelled "Date :", "Posted on" ...)."""
    match = _DATE_LINE.fullmatch(strip_bullet(line).rstrip("."))
    if not match:
        return None
    value = match.group("value")
    if value[0].isdigit() and value[4] in "-./":
        value = re.sub(r"[./]", "-", value[:10]) + value[10:].replace("T", " ")
    else:
        value = " ".join(value.replace(",", " ").replace(".", " ").split())
        value = re.sub(r"(?i)\bsept\b", "Sep", value)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None
