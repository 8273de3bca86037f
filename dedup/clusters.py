"""Clusters of duplicates (union-find) and the canonical-choice policy.

Canonical policy, applied in this order so that the result never depends on input order:
1. a clean document over a spun one;
2. earliest publication date (documents without a date come last);
3. most complete text (longest);
4. smallest ``doc_id`` (stable tie-break).
Every document stays in the output: canonicals with ``duplicate_of`` null, the others pointing
at their cluster's canonical with ``dup_kind`` "exact" (same content hash), "spun" (a spun copy
of a clean canonical) or "near". ``dedup.spun`` adds the spun copies plain shingles miss.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from dedup.minhash import signatures, similar_pairs
from pressroom.settings import DedupSettings
from schemas import Document


@dataclass
class DedupStats:
    documents: int = 0
    clusters: int = 0
    exact_duplicates: int = 0
    near_duplicates: int = 0
    spun_copies: int = 0
    """Spun copies placed under a clean canonical (by shingles or by spin-robust matching)."""
    cluster_sizes: Counter[int] = field(default_factory=Counter)
    """How many clusters have each size (size 1: unique documents)."""


class UnionFind:
    """Disjoint sets over hashable items, with path halving."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        parent = self._parent.setdefault(item, item)
        while parent != item:
            grandparent = self._parent.setdefault(parent, parent)
            self._parent[item] = grandparent
            item, parent = parent, grandparent
        return item

    def union(self, a: str, b: str) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self._parent[max(root_a, root_b)] = min(root_a, root_b)


def canonical_order(doc: Document) -> tuple:
    """Sort key of the canonical-choice policy: the smallest key is the canonical."""
    return (
        doc.is_spun,
        doc.published_at is None,
        doc.published_at or datetime.max,
        -len(doc.text),
        doc.doc_id,
    )


def deduplicate(docs: list[Document], settings: DedupSettings = DedupSettings()) -> DedupStats:
    """Set each document's cluster fields: ``cluster_id``, ``is_canonical``, ``duplicate_of``,
    ``dup_kind`` and ``similarity``."""
    by_hash: dict[str, list[Document]] = defaultdict(list)
    for doc in docs:
        by_hash[doc.content_hash].append(doc)
    representatives = {h: min(group, key=lambda d: d.doc_id).text for h, group in by_hash.items()}
    minhashes = signatures(representatives, settings)
    clusters = UnionFind()
    for content in by_hash:
        clusters.find(content)
    for a, b, _similarity in similar_pairs(minhashes, settings):
        clusters.union(a, b)

    members: dict[str, list[Document]] = defaultdict(list)
    for content, group in by_hash.items():
        members[clusters.find(content)].extend(group)

    stats = DedupStats(documents=len(docs), clusters=len(members))
    for group in members.values():
        canonical = min(group, key=canonical_order)
        stats.cluster_sizes[len(group)] += 1
        for doc in group:
            doc.cluster_id = canonical.doc_id
            doc.is_canonical = doc is canonical
            if doc is canonical:
                doc.duplicate_of = doc.dup_kind = doc.similarity = None
            elif doc.content_hash == canonical.content_hash:
                doc.duplicate_of, doc.dup_kind, doc.similarity = canonical.doc_id, "exact", 1.0
                stats.exact_duplicates += 1
            else:
                similarity = minhashes[doc.content_hash].jaccard(minhashes[canonical.content_hash])
                kind = "spun" if doc.is_spun and not canonical.is_spun else "near"
                doc.duplicate_of, doc.dup_kind, doc.similarity = canonical.doc_id, kind, similarity
                stats.near_duplicates += 1
    return stats
