"""Exact and near-duplicate detection with clusters and a deterministic canonical choice."""

from dedup.clusters import DedupStats, deduplicate
from dedup.history import History
from dedup.shingles import content_hash, hashing_view, shingles
from dedup.spun import (
    Reference,
    adopt_earlier_spun,
    attach_spun_copies,
    earlier_references,
    earlier_spun_canonicals,
)

__all__ = [
    "DedupStats",
    "History",
    "Reference",
    "adopt_earlier_spun",
    "attach_spun_copies",
    "content_hash",
    "deduplicate",
    "earlier_references",
    "earlier_spun_canonicals",
    "hashing_view",
    "shingles",
]
