"""Clusters of duplicates (connected components of verified pairs) and the canonical policy.

Canonical policy, applied in this order so that the result never depends on input order:
1. a clean document over a spun one;
2. evidence of provenance (``dedup.provenance``): the issuer's own site or an official domain (.gov,
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

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np

from pressroom.dedup.history import Earlier, History, HistoryMatch
from pressroom.dedup.lsh import band_key_matrix, components, similar_pairs
from pressroom.dedup.minhash import jaccard, signature_matrix, to_bytes
from pressroom.dedup.provenance import provenance, text_provenance
from pressroom.dedup.settings import DedupSettings
from pressroom.schemas import ClusterChange, Document
from pressroom.schemas.records import stable_id

SignatureFunction = Callable[[Sequence[str], DedupSettings], np.ndarray]
"""Makes the MinHash signature matrix of texts (``dedup.minhash.signature_matrix``)."""
PairFinder = Callable[[np.ndarray, np.ndarray, DedupSettings], tuple[np.ndarray, np.ndarray]]
"""Finds the similar pairs among signatures, given their band keys (``dedup.lsh.similar_pairs``)."""

SPUN_CANONICAL_REPLACED = "a clean document replaces a spun canonical"
OFFICIAL_SOURCE = "published on the issuer's own site or an official domain"
RELEASE_HEADER = "has a release header (issuer, release status, date)"
PUBLISHED_EARLIER = "published earlier"
MORE_COMPLETE = "more complete text"
TEXT_PROVENANCE = "its text opens with a dateline or names the site it is on"
SMALLER_ID = "smaller doc_id"


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
    *,
    signatures_of: SignatureFunction = signature_matrix,
    pair_finder: PairFinder = similar_pairs,
) -> DedupStats:
    """Set each document's cluster fields (``cluster_id``, ``is_canonical``, ``duplicate_of``,
    ``dup_kind``, ``similarity``) and its ``minhash`` and ``lsh_bands``.

    Seams for ``benchmarks/near_duplicates``: ``signatures_of`` may serve cached signatures (the
    rows ``signature_matrix`` would make), ``pair_finder`` may find the similar pairs another way
    (every pair compared instead of LSH candidates)."""
    if not docs:  # a run of pages already in the dataset
        return DedupStats()
    by_hash: dict[str, list[Document]] = defaultdict(list)
    for doc in docs:
        by_hash[doc.content_hash].append(doc)
    contents = list(by_hash)
    texts = [min(by_hash[content], key=lambda d: d.doc_id).text for content in contents]
    signatures = signatures_of(texts, settings)
    bands = band_key_matrix(signatures, settings)
    minhashes = dict(zip(contents, signatures, strict=True))
    for content, signature, keys in zip(contents, signatures, bands, strict=True):
        for doc in by_hash[content]:
            doc.minhash, doc.lsh_bands = to_bytes(signature), keys.tolist()
    pairs, _ = pair_finder(signatures, bands, settings)
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
