"""Near-duplicate search over MinHash signatures: LSH band keys, sorted buckets, verification.

Each signature is cut into bands of rows; two texts are candidates when all rows of one band
agree, i.e. when they share a band key. Candidates are found band by band, datatrove-style: the
band's keys are sorted and each run of equal keys is a bucket. Nothing holds every signature in
a Python structure, and bands can be read one at a time (``band_columns`` may be any iterable,
for example columns read from a Parquet file), so memory stays at one band's keys plus the
candidate pairs. Candidates are then verified on their full signatures.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache

import numpy as np

from pressroom.dedup.minhash import HASH_FAMILY, fmix
from pressroom.dedup.settings import DedupSettings

MAX_BUCKET = 32
"""A bucket up to this size gives all its pairs as candidates; a larger one (many variants of
one template) only links each member to its first, which keeps the pair count linear."""
_MIX = np.uint64(0x9E3779B97F4A7C15)
_PAIRS_AT_ONCE = 1 << 16


@cache
def lsh_shape(settings: DedupSettings) -> tuple[int, int]:
    """(bands, rows per band) that datasketch's ``MinHashLSH`` chooses for the threshold,
    permutations and LSH weights: of all ``bands * rows <= num_perm``, the first (by bands, then
    rows) that minimises the weighted false-positive and false-negative probability integrals.
    The integrands are polynomials of degree ``bands * rows`` at most, so Gauss-Legendre
    quadrature with ``num_perm // 2 + 1`` nodes integrates them exactly, without importing
    datasketch (a second, for scipy) as the tests do to check it."""
    shapes = np.array(
        [
            (b, r)
            for b in range(1, settings.num_perm + 1)
            for r in range(1, settings.num_perm // b + 1)
        ]
    )
    bands, rows = shapes[:, :1].astype(float), shapes[:, 1:].astype(float)
    nodes, weights = np.polynomial.legendre.leggauss(settings.num_perm // 2 + 1)

    def candidate_share(low: float, high: float) -> np.ndarray:
        """Integral over [low, high] of the probability that two texts of that similarity
        share a band, for each shape."""
        similarity = (high - low) / 2 * nodes + (high + low) / 2
        collide = 1 - (1 - similarity**rows) ** bands
        return (high - low) / 2 * (collide @ weights)

    false_positive = candidate_share(0.0, settings.threshold)
    false_negative = (1 - settings.threshold) - candidate_share(settings.threshold, 1.0)
    error = false_positive * settings.lsh_weights[0] + false_negative * settings.lsh_weights[1]
    bands_chosen, rows_chosen = shapes[int(np.argmin(error))]
    if bands_chosen < 2:  # as datasketch refuses it
        raise ValueError(f"LSH with one band of {rows_chosen} rows for {settings}")
    return int(bands_chosen), int(rows_chosen)


@cache
def _band_salts(settings: DedupSettings, bands: int, rows: int) -> np.ndarray:
    """One 64-bit salt per band. The hash family and settings are part of it, so band keys of
    signatures made another way never collide with these."""
    prefix = f"{HASH_FAMILY}:{settings.num_perm}:{settings.shingle_size}:{settings.seed}:{rows}"
    digests = b"".join(
        hashlib.blake2b(f"{prefix}:{band}".encode(), digest_size=8).digest()
        for band in range(bands)
    )
    return np.frombuffer(digests, dtype="<u8").astype(np.uint64)


def band_key_matrix(signatures: np.ndarray, settings: DedupSettings) -> np.ndarray:
    """One signed 64-bit key per band of each signature: a ``(texts, bands)`` int64 matrix."""
    bands, rows = lsh_shape(settings)
    keys = np.empty((len(signatures), bands), dtype=np.uint64)
    step = max(1, (1 << 20) // bands)
    for begin in range(0, len(signatures), step):
        block = signatures[begin : begin + step, : bands * rows].astype(np.uint64)
        block = block.reshape(len(block), bands, rows)
        mixed = np.broadcast_to(_band_salts(settings, bands, rows), (len(block), bands)).copy()
        for row in range(rows):
            mixed = fmix(mixed * _MIX + block[:, :, row])
        keys[begin : begin + step] = mixed
    return keys.view(np.int64)


def candidate_pairs(band_columns: Iterable[np.ndarray], max_bucket: int = MAX_BUCKET) -> np.ndarray:
    """Distinct pairs ``(i, j)``, ``i < j``, of texts sharing a key in some band: an ``(m, 2)``
    int64 array, sorted. Each item of ``band_columns`` holds one band's key of every text."""
    found = []
    size = 0
    for keys in band_columns:
        size = len(keys)
        order = np.argsort(keys, kind="stable")  # equal keys keep text order: i < j below
        ordered = keys[order]
        starts = np.flatnonzero(np.diff(ordered, prepend=ordered[:1] - 1) != 0)
        lengths = np.diff(np.append(starts, len(ordered)))
        bucket = np.repeat(np.arange(len(starts)), lengths)
        bucket_size = lengths[bucket]
        small = bucket_size <= max_bucket
        for distance in range(1, min(int(lengths.max(initial=1)), max_bucket)):
            same = (bucket[:-distance] == bucket[distance:]) & small[:-distance]
            found.append(np.stack([order[:-distance][same], order[distance:][same]], axis=1))
        large = ~small & (np.arange(len(order)) != starts[bucket])
        found.append(np.stack([order[starts[bucket[large]]], order[large]], axis=1))
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(found).astype(np.int64)
    codes = np.unique(pairs[:, 0] * max(size, 1) + pairs[:, 1])
    return np.stack([codes // max(size, 1), codes % max(size, 1)], axis=1)


def similarities(signatures: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of each pair (rows of ``signatures``)."""
    result = np.empty(len(pairs), dtype=np.float64)
    for begin in range(0, len(pairs), _PAIRS_AT_ONCE):
        chunk = pairs[begin : begin + _PAIRS_AT_ONCE]
        equal = signatures[chunk[:, 0]] == signatures[chunk[:, 1]]
        result[begin : begin + len(chunk)] = equal.mean(axis=1)
    return result


def similar_pairs(
    signatures: np.ndarray, band_keys: np.ndarray, settings: DedupSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of rows whose estimated Jaccard similarity reaches the threshold, and those
    similarities."""
    pairs = candidate_pairs(band_keys[:, band] for band in range(band_keys.shape[1]))
    similarity = similarities(signatures, pairs)
    close = similarity >= settings.threshold
    return pairs[close], similarity[close]


def components(count: int, pairs: np.ndarray) -> np.ndarray:
    """Cluster label of each of ``count`` items linked by ``pairs`` (connected components); a
    label is the smallest item index of its cluster."""
    if not len(pairs):
        return np.arange(count)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix(
        (np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(count, count)
    )
    _, labels = connected_components(graph, directed=False)
    smallest = np.full(labels.max(initial=-1) + 1, count, dtype=np.int64)
    np.minimum.at(smallest, labels, np.arange(count))
    return smallest[labels]
