"""Evidence that a document is the original publication of what it says, for the canonical choice.

``provenance`` reads the document's metadata (an official domain or the issuer's own site, a
release header); ``text_provenance`` reads its text (an opening dateline, the site's own name).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pressroom.dedup.history import Earlier
from pressroom.schemas import Document

OFFICIAL_TOP_LEVEL = {"gov", "mil", "int"}
OFFICIAL_SECOND_LEVEL = {"gov", "govt", "gouv", "gob", "go", "gc", "gv", "mil", "admin", "bund"}
"""``gov.uk``, ``gouv.fr``, ``go.kr``, ``gc.ca``: a government second level under a country."""
OFFICIAL_DOMAINS = (
    "un.org",
    "europa.eu",
    "unicef.org",
    "undp.org",
    "unhcr.org",
    "unesco.org",
    "wfp.org",
    "unfpa.org",
    "unep.org",
    "ohchr.org",
    "unwomen.org",
)
_ISSUER_WORD = re.compile(r"[A-Za-z]+")
_NOT_IN_ACRONYM = {"of", "the", "and", "for", "to", "in", "on", "de", "du", "des", "la", "le"}
_GENERIC_LABELS = {"www", "com", "org", "net", "news", "press", "media", "info"}
_SECOND_LEVEL_SUFFIXES = {"com", "co", "org", "net", "ac", "edu", "gov"}
_NAME_RUN = re.compile(r"[A-Z][\w&]*(?:[ -][A-Z][\w&]*)*")
_DATELINE = re.compile(
    r"[A-Z][A-Z.'’]{2,}(?: [A-Z][A-Z.'’]+)*"  # LOS ANGELES
    r"(?:, [A-Z][\w.]*(?: \d{1,2})?)?(?: \([^)\n]{1,40}\))?"  # , March 3 (Reuters)
    r" ?[—–-]{1,2} "
)
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_DATE = re.compile(
    rf"\d{{4}}-\d{{2}}-\d{{2}}|{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}"
    rf"|\d{{1,2}} {_MONTH} \d{{4}}"
)
MAX_DATE_LINE = 40
"""Longest first line taken as a date line ("Sat. May 28th, 2022")."""


def _host(doc: Document | Earlier) -> str:
    """The document's host name (from its URL, else its site when that is a host name)."""
    for value in (doc.url, doc.site):
        if value and "." in value:
            host = urlsplit(value if "//" in value else f"//{value}").hostname or ""
            if host:
                return host.removeprefix("www.")
    return ""


def official_host(host: str) -> bool:
    """A government (ministries included: ``mfa.gov.tr``, ``mofa.go.kr``) or intergovernmental
    domain. Names alone ("government-news.com") are not trusted: anyone can register them."""
    labels = host.split(".")
    if labels[-1] in OFFICIAL_TOP_LEVEL:
        return True
    if len(labels) >= 2 and labels[-2] in OFFICIAL_SECOND_LEVEL and len(labels[-1]) == 2:
        return True
    return any(host == d or host.endswith("." + d) for d in OFFICIAL_DOMAINS)


def issuers_own_host(host: str, issuer: str | None) -> bool:
    """The host names the issuer: a label made wholly of the issuer's words and initials
    ("nsc.org" for the National Safety Council, "usmission.gov" for the United States Mission)."""
    if not issuer or not host:
        return False
    words = [
        w.lower()
        for w in _ISSUER_WORD.findall(issuer.split(";")[0])
        if w.lower() not in _NOT_IN_ACRONYM
    ]
    pieces = {w for w in words if len(w) >= 3} | {
        "".join(w[0] for w in words[i:j])
        for i in range(len(words))
        for j in range(i + 2, len(words) + 1)
    }
    return any(
        label not in _GENERIC_LABELS and _made_of(label, pieces) for label in host.split(".")[:-1]
    )


def _made_of(label: str, pieces: set[str]) -> bool:
    """Whether ``label`` is a concatenation of ``pieces``."""
    reachable = [True] + [False] * len(label)
    for end in range(1, len(label) + 1):
        reachable[end] = any(
            reachable[end - len(piece)] for piece in pieces if label.endswith(piece, 0, end)
        )
    return reachable[-1]


def provenance(doc: Document | Earlier) -> int:
    """Evidence that ``doc`` is the issuer's own publication: 2 for the issuer's own site or an
    official domain, 1 for a release header, else 0."""
    host = _host(doc)
    if host and (official_host(host) or issuers_own_host(host, doc.issuer)):
        return 2
    if doc.release_status or (doc.issuer and doc.published_at is not None):
        return 1
    return 0


def _site_label(host: str) -> str:
    """The label a site registered: ``morningstar`` of ``www.morningstar.com.au``."""
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL_SUFFIXES:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else ""


def names_its_site(host: str, text: str) -> bool:
    """The text uses the site's name: a name or a run of capitalised words that spells its
    label ("Morningstar" on morningstar.com.au, "Business Standard" on business-standard.com)."""
    label = _site_label(host).replace("-", "")
    if len(label) < 4 or label in _GENERIC_LABELS:
        return False
    for run in _NAME_RUN.findall(text):
        words = [w.lower() for w in re.split(r"[ -]", run)]
        spelled = {
            "".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)
        }
        if label in spelled:
            return True
    return False


def opens_with_dateline(text: str) -> bool:
    """The text opens with a news dateline ("LOS ANGELES —", "GENEVA (Reuters) -") or a line
    that is a date."""
    first = text.strip().split("\n", 1)[0].strip()
    if _DATELINE.match(first):
        return True
    return len(first) <= MAX_DATE_LINE and _DATE.search(first) is not None


def text_provenance(doc: Document | Earlier, text: str) -> int:
    """Evidence of the original in the text itself: a dateline, and the site's own name."""
    return int(opens_with_dateline(text)) + int(names_its_site(_host(doc), text))
