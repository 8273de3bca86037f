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
    r"(?:must read|more articles|latest articles?|latest news"
    r"|related (?:articles?|posts?|stories|news)|read more|recommended(?: for you)?"
    r"|most (?:read|popular)|trending(?: now)?|see also)\s*:?",
    r"(?:photos?|video|gallery|watch|listen)\s*:\s.{1,120}",
    # counters and copyright
    r"(?:hits?|views?|page ?views?|read count|조회수?)\s*[:：]?\s*[\d,.]+(?:\s*times)?",
    r"(?:©|\(c\)).{0,200}",
    r"copyright\s*(?:©|\(c\))?\s*(?:\d{4}|by\b).{0,150}",
    r".{0,150}\ball rights reserved\.?",
    # end-of-release markers
    r"(?:#{3}|-\s*30\s*-|[-/]?\s*end\s*[-/]?)",
]
_BOILERPLATE = re.compile("|".join(f"(?:{p})" for p in BOILERPLATE_LINES), re.IGNORECASE)

# HTML only: headings that open a list of links to other articles ("Related articles", "Lesen Sie
# auch", "À lire aussi" ...), in the languages seen in scraped news and press pages.
RELATED_HEADINGS = [
    r"related(?: (?:articles?|posts?|stories|news|content|topics|links))?",
    r"(?:you|we) (?:may|might) also (?:like|enjoy|be interested in)",
    r"more (?:on this topic|about this|stories|articles|news|to read|from .{1,40})",
    r"(?:also )?read (?:more|also|next)|further reading|see also",
    r"recommended(?: (?:articles?|reading|for you))?|popular (?:posts|articles|stories)",
    r"(?:das|dies|diese) (?:thema|artikel|beiträge)? ?könnten? (?:dich|euch|sie) (?:auch|ebenfalls)"
    r" interessieren",
    r"auch (?:interessant|lesen|spannend)|schon gelesen\??|(?:zum )?weiterlesen|siehe auch",
    r"(?:lesen|lies) (?:sie )?(?:auch|weiter|mehr)(?: die folgenden beiträge)?",
    r"weitere (?:artikel|beiträge|themen|nachrichten|meldungen|links|news)(?: .{1,40})?",
    r"mehr (?:zum thema|themen|artikel|beiträge)(?: .{1,30})?",
    r"(?:ähnliche|empfohlene|verwandte) (?:artikel|beiträge|themen)",
    r"top-?themen(?: .{1,30})?|lust auf mehr\??",
    r"(?:à )?(?:lire|voir) aussi|sur le même sujet|articles? (?:similaires|liés)",
    r"(?:notas|noticias|artículos|contenidos?) relacionad[oa]s",
    r"(?:le|te) (?:puede|podría) interesar|(?:lea|vea|ver) (?:también|más)|más noticias",
    r"leggi (?:anche|altro)|articoli correlati|potrebbe interessarti",
    r"(?:czytaj|zobacz) (?:też|także|również|więcej)|polecane(?: .{1,30})?|więcej na ten temat",
    r"lue (?:myös|aiheesta lisää)",
]
_RELATED_HEADING = re.compile(rf"(?:{'|'.join(RELATED_HEADINGS)})\s*[:.!?»>]*", re.IGNORECASE)

# HTML only: one-line links to another article ("Read more: <title>") and image credits.
HTML_FURNITURE_LINES = [
    r"(?:(?:also )?read (?:more|also)|see also|related|(?:lesen|lies) (?:sie )?(?:auch|hier|mehr)"
    r"|mehr zum thema|auch interessant|siehe auch|(?:à )?(?:lire|voir) aussi"
    r"|lea (?:también|más|además)|(?:vea|ver) (?:también|más)|(?:le|te) puede interesar"
    r"|puedes ver|mira también|leggi anche|(?:czytaj|zobacz) (?:też|także|również|więcej)"
    r"|dowiedz się więcej)\s*[:»>]\s*.{3,160}",
    r"\(?(?:fotos?|fot\.|photos?|bild|titelbild|beitragsbild|bildquelle|image(?: credit| source)?"
    r"|image illustrative|photo (?:credit|source)|credits?(?: photos?)?|crédits? photos?)"
    r"\s*:\s*.{1,120}?\)?",
]
_HTML_FURNITURE = re.compile("|".join(f"(?:{p})" for p in HTML_FURNITURE_LINES), re.IGNORECASE)

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
    "%B %d %Y",
    "%b %d %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)


def strip_bullet(line: str) -> str:
    """The line without list bullets or numbering and surrounding whitespace."""
    return _BULLET.sub("", line.strip()).strip()


def is_boilerplate(line: str) -> bool:
    """True if the whole line is page furniture (navigation, prompts, counters, copyright...)."""
    core = strip_bullet(line)
    return bool(core) and _BOILERPLATE.fullmatch(core) is not None


def is_related_heading(line: str) -> bool:
    """True if the whole line heads a list of links to other articles ("Related articles:")."""
    core = " ".join(strip_bullet(line).split())
    return bool(core) and _RELATED_HEADING.fullmatch(core) is not None


def is_html_furniture(line: str) -> bool:
    """True if the whole line links to another article ("Read more: ...") or credits an image."""
    core = " ".join(strip_bullet(line).split())
    return bool(core) and _HTML_FURNITURE.fullmatch(core) is not None


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
