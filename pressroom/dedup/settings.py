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
    lsh_weights: tuple[float, float] = (0.2, 0.8)
    """False-positive and false-negative weights from which datasketch chooses the LSH bands
    (``dedup.lsh.lsh_shape``). Candidates are verified on their full signatures, so the banding
    favours recall and verification restores precision; measured against other weights and an
    exhaustive comparison by ``benchmarks/near_duplicates`` (docs/defaults.md)."""
