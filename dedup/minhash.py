"""MinHash signatures and LSH candidate pairs (datasketch)."""

from __future__ import annotations

from collections.abc import Mapping

from datasketch import MinHash, MinHashLSH

from dedup.shingles import shingles
from pressroom.settings import DedupSettings

LSH_WEIGHTS = (0.2, 0.8)
"""False-positive and false-negative weights for choosing bands: candidates are verified, so
the banding favours recall and verification restores precision."""


def signatures(texts: Mapping[str, str], settings: DedupSettings) -> dict[str, MinHash]:
    """MinHash signature of each text's word shingles, keyed like ``texts``."""
    result = {}
    for key, text in texts.items():
        minhash = MinHash(num_perm=settings.num_perm, seed=settings.seed)
        minhash.update_batch(sorted(shingles(text, settings.shingle_size)))
        result[key] = minhash
    return result


def similar_pairs(
    minhashes: Mapping[str, MinHash], settings: DedupSettings
) -> list[tuple[str, str, float]]:
    """Pairs ``(a, b, jaccard)`` with ``a < b`` whose estimated Jaccard reaches the threshold."""
    lsh = MinHashLSH(threshold=settings.threshold, num_perm=settings.num_perm, weights=LSH_WEIGHTS)
    for key in sorted(minhashes):
        lsh.insert(key, minhashes[key])
    pairs = []
    for key in sorted(minhashes):
        for other in lsh.query(minhashes[key]):
            if key < other:
                similarity = minhashes[key].jaccard(minhashes[other])
                if similarity >= settings.threshold:
                    pairs.append((key, other, similarity))
    return sorted(pairs)
