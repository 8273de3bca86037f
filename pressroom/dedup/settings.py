"""Settings of exact and near-duplicate detection (measured in docs/defaults.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DedupSettings:
    """Exact and near-duplicate detection (see docs/defaults.md for the measurements)."""

    threshold: float = 0.45
    """Estimated Jaccard similarity of word shingles at which two documents are near-duplicates."""
    shingle_size: int = 3
    """Words per shingle."""
    num_perm: int = 256
    """MinHash permutations."""
    seed: int = 1
