"""MinHash signatures and LSH candidate pairs (datasketch)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cache

import numpy as np
from datasketch import MinHash, MinHashLSH

from dedup.shingles import shingles
from pressroom.settings import DedupSettings

SCHEME = "affine32"
"""datasketch's hashing scheme; signatures stored in the dataset are only comparable within one."""
LSH_WEIGHTS = (0.2, 0.8)
"""False-positive and false-negative weights for choosing bands: candidates are verified, so
the banding favours recall and verification restores precision."""


def signatures(texts: Mapping[str, str], settings: DedupSettings) -> dict[str, MinHash]:
    """MinHash signature of each text's word shingles, keyed like ``texts``."""
    result = {}
    for key, text in texts.items():
        minhash = MinHash(num_perm=settings.num_perm, seed=settings.seed, scheme=SCHEME)
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


@cache
def lsh_shape(settings: DedupSettings) -> tuple[int, int]:
    """(bands, rows per band) that datasketch chooses for the threshold and permutations."""
    lsh = MinHashLSH(threshold=settings.threshold, num_perm=settings.num_perm, weights=LSH_WEIGHTS)
    return lsh.b, lsh.r


def to_bytes(minhash: MinHash) -> bytes:
    """The signature as little-endian uint32 (the ``affine32`` scheme's hash values)."""
    return np.asarray(minhash.hashvalues, dtype="<u4").tobytes()


def from_bytes(data: bytes, settings: DedupSettings) -> MinHash:
    values = np.frombuffer(data, dtype="<u4").astype(np.uint32)
    return MinHash(num_perm=settings.num_perm, seed=settings.seed, hashvalues=values, scheme=SCHEME)


def band_keys(minhash: MinHash, settings: DedupSettings) -> list[int]:
    """One signed 64-bit key per LSH band. The settings are part of each key, so signatures
    made with other settings never collide with these."""
    bands, rows = lsh_shape(settings)
    values = np.asarray(minhash.hashvalues, dtype="<u4")
    prefix = f"{settings.num_perm}:{settings.shingle_size}:{settings.seed}:{rows}".encode()
    return [
        int.from_bytes(
            hashlib.blake2b(
                prefix
                + band.to_bytes(2, "big")
                + values[band * rows : (band + 1) * rows].tobytes(),
                digest_size=8,
            ).digest(),
            "big",
            signed=True,
        )
        for band in range(bands)
    ]
