"""Exact and near-duplicate detection with clusters and a deterministic canonical choice."""

from dedup.clusters import DedupStats, deduplicate
from dedup.shingles import content_hash, hashing_view, shingles
from dedup.spun import Reference, attach_spun_copies, earlier_references

__all__ = [
    "DedupStats",
    "Reference",
    "attach_spun_copies",
    "content_hash",
    "deduplicate",
    "earlier_references",
    "hashing_view",
    "shingles",
]
