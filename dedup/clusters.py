"""Clusters of duplicates (connected components of verified pairs) and the canonical policy.

Canonical policy, applied in this order so that the result never depends on input order:
1. a clean document over a spun one;
2. evidence of provenance (``provenance``): the issuer's own site or an official domain (.gov,
   .int, .mil, gov.xx, un.org and the like), then a release header (a release status, or an
   issuer with a date);
3. earliest publication date (documents without a date come last);
4. most complete text (longest);
5. smallest ``doc_id`` (stable tie-break).
Between an original and its machine-paraphrased copy (``paraphrase_order``), evidence of
provenance in the text itself (``text_provenance``: a dateline or a date line opening it, the
name of the site it is on used in it) ranks before length, which says little there (stored copies
are cut off at arbitrary points).
Every document stays in the output: canonicals with ``duplicate_of`` null, the others pointing
at their cluster's canonical with ``dup_kind`` "exact" (same content hash), "spun" (a spun copy
of a clean canonical), "paraphrase" (a machine-paraphrased copy, ``dedup.paraphrase``) or
"near". ``dedup.spun`` adds the spun copies plain shingles miss.

Across runs (``history``): a new group that duplicates an earlier cluster joins it, keeping its
``cluster_id``. The same policy decides the canonical, so the result does not depend on how the
input was split into runs: when a newcomer ranks first, it replaces the earlier canonical and the
change is returned (written to ``OUT/cluster_changes``; rows written earlier are not rewritten).
Earlier clusters are never merged with each other: a group that matches several joins the most
similar.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

import numpy as np

from dedup.history import Earlier, History, HistoryMatch
from dedup.lsh import band_key_matrix, components, similar_pairs
from dedup.minhash import jaccard, signature_matrix, to_bytes
from pressroom.settings import DedupSettings
from schemas import ClusterChange, Document
from schemas.records import stable_id

SPUN_CANONICAL_REPLACED = "a clean document replaces a spun canonical"
OFFICIAL_SOURCE = "published on the issuer's own site or an official domain"
RELEASE_HEADER = "has a release header (issuer, release status, date)"
PUBLISHED_EARLIER = "published earlier"
MORE_COMPLETE = "more complete text"
TEXT_PROVENANCE = "its text opens with a dateline or names the site it is on"
SMALLER_ID = "smaller doc_id"

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


def why_first(
    newcomer: Document, current: Document | Earlier, texts: tuple[str, str] | None = None
) -> str:
    """The policy rule by which ``newcomer`` ranks before ``current`` (``paraphrase_order``
    with ``texts``, the two documents' texts)."""
    if current.is_spun and not newcomer.is_spun:
        return SPUN_CANONICAL_REPLACED
    if provenance(newcomer) != provenance(current):
        return OFFICIAL_SOURCE if provenance(newcomer) == 2 else RELEASE_HEADER
    if newcomer.published_at != current.published_at:
        return PUBLISHED_EARLIER
    if texts is not None and text_provenance(newcomer, texts[0]) != text_provenance(
        current, texts[1]
    ):
        return TEXT_PROVENANCE
    if _length(newcomer) != _length(current):
        return MORE_COMPLETE
    return SMALLER_ID


@dataclass
class DedupStats:
    documents: int = 0
    clusters: int = 0
    exact_duplicates: int = 0
    near_duplicates: int = 0
    spun_copies: int = 0
    """Spun copies placed under a clean canonical (by shingles or by spin-robust matching)."""
    paraphrases: int = 0
    """Machine-paraphrased copies placed under their original (``dedup.paraphrase``)."""
    earlier_duplicates: int = 0
    """New documents that joined a cluster of an earlier run."""
    changes: list[ClusterChange] = field(default_factory=list)
    """Earlier clusters whose canonical a newcomer replaced."""
    cluster_sizes: Counter[int] = field(default_factory=Counter)
    """How many clusters have each size (size 1: unique documents)."""


def _length(doc: Document | Earlier) -> int:
    return len(doc.text) if isinstance(doc, Document) else doc.text_length or 0


def paraphrase_order(doc: Document | Earlier, text: str) -> tuple:
    """``canonical_order`` with the evidence in ``text`` (the document's text) ranking before
    the longer text."""
    key = canonical_order(doc)
    return (*key[:4], -text_provenance(doc, text), *key[4:])


def canonical_order(doc: Document | Earlier) -> tuple:
    """Sort key of the canonical-choice policy: the smallest key is the canonical."""
    return (
        bool(doc.is_spun),
        -provenance(doc),
        doc.published_at is None,
        doc.published_at or datetime.max,
        -_length(doc),
        doc.doc_id,
    )


class Placed(Protocol):
    """A document of this run or an earlier one, by its id and its cluster."""

    @property
    def doc_id(self) -> str: ...

    @property
    def cluster_id(self) -> str: ...


def merge_clusters(
    docs: Sequence[Document],
    cluster_id: str,
    canonical: Placed,
    absorbed: set[str],
    kind: str,
    similarity: float | None,
) -> None:
    """Put the run's documents of the clusters ``absorbed`` and ``cluster_id`` in ``cluster_id``
    under ``canonical`` (of this run or earlier). Documents that were not in the canonical's own
    cluster become copies of kind ``kind``; the others keep their kind."""
    own = canonical.cluster_id
    for doc in docs:
        if doc.cluster_id != cluster_id and doc.cluster_id not in absorbed:
            continue
        other_side = doc.cluster_id != own
        doc.cluster_id = cluster_id
        doc.is_canonical = doc.doc_id == canonical.doc_id
        if doc.is_canonical:
            doc.duplicate_of = doc.dup_kind = doc.similarity = None
            continue
        doc.duplicate_of = canonical.doc_id
        if other_side:
            doc.dup_kind, doc.similarity = kind, similarity


def deduplicate(
    docs: list[Document],
    settings: DedupSettings = DedupSettings(),
    history: History | None = None,
) -> DedupStats:
    """Set each document's cluster fields (``cluster_id``, ``is_canonical``, ``duplicate_of``,
    ``dup_kind``, ``similarity``) and its ``minhash`` and ``lsh_bands``."""
    if not docs:  # a run of pages already in the dataset
        return DedupStats()
    by_hash: dict[str, list[Document]] = defaultdict(list)
    for doc in docs:
        by_hash[doc.content_hash].append(doc)
    contents = list(by_hash)
    texts = [min(by_hash[content], key=lambda d: d.doc_id).text for content in contents]
    signatures = signature_matrix(texts, settings)
    bands = band_key_matrix(signatures, settings)
    minhashes = dict(zip(contents, signatures, strict=True))
    for content, signature, keys in zip(contents, signatures, bands, strict=True):
        for doc in by_hash[content]:
            doc.minhash, doc.lsh_bands = to_bytes(signature), keys.tolist()
    pairs, _ = similar_pairs(signatures, bands, settings)
    labels = components(len(contents), pairs)

    members: dict[int, list[Document]] = defaultdict(list)
    for content, label in zip(contents, labels.tolist(), strict=True):
        members[label].extend(by_hash[content])
    earlier: dict[str, HistoryMatch] = {}
    if history is not None and len(history):
        earlier = history.matches(contents, signatures, bands)

    stats = DedupStats(documents=len(docs), clusters=len(members))
    for group in members.values():
        matched = [earlier[d.content_hash] for d in group if d.content_hash in earlier]
        if matched:
            best = max(matched, key=lambda m: (m.similarity, m.cluster_id))
            _join_earlier(group, best.cluster_id, history, minhashes, stats)
            stats.clusters -= 1
            continue
        canonical = min(group, key=canonical_order)
        stats.cluster_sizes[len(group)] += 1
        _assign(group, canonical.doc_id, canonical, minhashes, stats)
    return stats


def _join_earlier(
    group: list[Document],
    cluster_id: str,
    history: History,
    minhashes: dict[str, np.ndarray],
    stats: DedupStats,
) -> None:
    """Put a new group in an earlier cluster, under its canonical or (policy) a clean newcomer."""
    current = history.canonical(cluster_id)
    newcomer = min(group, key=canonical_order)
    if canonical_order(newcomer) < canonical_order(current):
        change_id = stable_id(cluster_id, current.doc_id, newcomer.doc_id)
        reason = why_first(newcomer, current)
        stats.changes.append(
            ClusterChange(change_id, cluster_id, current.doc_id, newcomer.doc_id, reason)
        )
        _assign(group, cluster_id, newcomer, minhashes, stats)
        stats.earlier_duplicates += len(group) - 1
        return
    _assign(group, cluster_id, current, minhashes, stats)
    stats.earlier_duplicates += len(group)


def _assign(
    group: list[Document],
    cluster_id: str,
    canonical: Document | Earlier,
    minhashes: dict[str, np.ndarray],
    stats: DedupStats,
) -> None:
    """Point every document of ``group`` at ``canonical`` (a new or an earlier document)."""
    canonical_minhash = minhashes.get(canonical.content_hash)
    if canonical_minhash is None:
        canonical_minhash = getattr(canonical, "minhash", None)
    for doc in group:
        doc.cluster_id = cluster_id
        doc.is_canonical = doc.doc_id == canonical.doc_id
        if doc.is_canonical:
            doc.duplicate_of = doc.dup_kind = doc.similarity = None
        elif doc.content_hash == canonical.content_hash:
            doc.duplicate_of, doc.dup_kind, doc.similarity = canonical.doc_id, "exact", 1.0
            stats.exact_duplicates += 1
        else:
            mine = minhashes[doc.content_hash]
            similarity = jaccard(mine, canonical_minhash) if canonical_minhash is not None else None
            kind = "spun" if doc.is_spun and not canonical.is_spun else "near"
            doc.duplicate_of, doc.dup_kind, doc.similarity = canonical.doc_id, kind, similarity
            stats.near_duplicates += 1
