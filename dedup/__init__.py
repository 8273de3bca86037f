"""Exact and near-duplicate detection with clusters and a deterministic canonical choice."""

from dedup.clusters import DedupStats, deduplicate
from dedup.shingles import content_hash, hashing_view, shingles

__all__ = ["DedupStats", "content_hash", "deduplicate", "hashing_view", "shingles"]
