"""MinHash signatures of word shingles, computed in vectorised batches.

A signature is datasketch's ``affine32`` MinHash of a text's word shingles
(:func:`dedup.shingles.shingles`). The only choice made here is the shingle's input hash,
:func:`shingle_hash`: it is built from 64-bit hashes of the shingle's words, and both are
polynomials modulo 2**64, so numpy computes them for a whole batch of texts at once (no Python
loop over words or shingles). For any text,
``MinHash(num_perm, seed=seed, scheme="affine32", hashfunc=shingle_hash)`` updated with its
shingles holds exactly the row that :func:`signature_matrix` computes (the tests check this),
so signatures stay comparable with datasketch's.

Signatures are rows of a ``(documents, num_perm)`` uint32 matrix; stored, a row is
``num_perm`` little-endian uint32 (:func:`to_bytes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from pressroom.dedup.settings import DedupSettings
from pressroom.dedup.shingles import hashing_view

SCHEME = "affine32"
"""datasketch's permutation scheme: 32-bit hashes, ``a * fmix32(h) + b`` modulo 2**32."""
HASH_FAMILY = "word-polynomial-fmix64/affine32"
"""Names the whole hash family (shingle hash and scheme); part of every LSH band key."""

_MASK64 = (1 << 64) - 1
_MASK32 = (1 << 32) - 1
_POLY = 0x9E3779B97F4A7C15
"""Odd multiplier of the polynomials (Horner's rule modulo 2**64) over a word's bytes and over a
shingle's word hashes."""
_POLY_INVERSE = pow(_POLY, -1, 1 << 64)
_EMPTY = np.uint32(_MASK32)
"""A signature value no shingle has lowered (datasketch's initial value)."""
_TEXTS_AT_ONCE = 2_000
"""Texts hashed together: large enough for numpy to pay off, small enough to bound memory."""
_CHUNK_VALUES = 1 << 22
"""Shingle-permutation values computed at once (16 MiB of uint32 per temporary)."""


def _word_hash(word: bytes) -> int:
    """A word's bytes as a polynomial modulo 2**64, then MurmurHash3's 64-bit finalizer."""
    combined = 0
    for byte in word:
        combined = (combined * _POLY + byte) & _MASK64
    return int(fmix(np.array([combined], dtype=np.uint64))[0])


def shingle_hash(shingle: bytes) -> int:
    """The 32-bit input hash of one shingle (its words joined by single spaces), to be given to
    datasketch as ``hashfunc``: the word hashes combined in order, folded to 32 bits."""
    combined = 0
    for word in shingle.split(b" "):
        combined = (combined * _POLY + _word_hash(word)) & _MASK64
    return (combined ^ (combined >> 32)) & _MASK32


@cache
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's permutation parameters ``(a, b)`` for the scheme, seed and size, drawn as
    ``MinHash(num_perm, seed=seed, scheme="affine32")`` draws them (an odd ``a``), without
    importing datasketch (half a second, for scipy)."""
    draw = np.random.RandomState(seed)
    a = draw.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = draw.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


_FMIX = {
    np.dtype(np.uint32): (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16),
    np.dtype(np.uint64): (33, 0xFF51AFD7ED558CCD, 33, 0xC4CEB9FE1A85EC53, 33),
}
"""MurmurHash3's finalizer constants per width, as datasketch uses them."""


def fmix(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's finalizer on uint32 or uint64 values, element-wise: a bijection that mixes
    every bit (datasketch applies the 32-bit one to each input hash)."""
    kind = values.dtype.type
    shift1, multiplier1, shift2, multiplier2, shift3 = map(kind, _FMIX[values.dtype])
    values = values ^ (values >> shift1)
    values = values * multiplier1
    values = values ^ (values >> shift2)
    values = values * multiplier2
    return values ^ (values >> shift3)


def _word_hashes(words: str) -> np.ndarray:
    """:func:`_word_hash` of every word of ``words`` (separated by single spaces), vectorised:
    a word's polynomial is a difference of prefix sums of ``byte * POLY**-position``."""
    data = np.frombuffer(words.encode(), dtype=np.uint8)
    if not len(data):
        return np.empty(0, dtype=np.uint64)
    spaces = np.flatnonzero(data == ord(" "))
    starts = np.concatenate([[0], spaces + 1])
    ends = np.concatenate([spaces, [len(data)]])
    powers = np.full(len(data), _POLY, dtype=np.uint64)
    powers[0] = 1
    inverse = np.full(len(data), _POLY_INVERSE, dtype=np.uint64)
    inverse[0] = 1
    powers, inverse = np.cumprod(powers), np.cumprod(inverse)  # POLY**k, POLY**-k modulo 2**64
    prefix = np.concatenate([[np.uint64(0)], np.cumsum(data * inverse, dtype=np.uint64)])
    return fmix((prefix[ends] - prefix[starts]) * powers[ends - 1])


def _shingle_hashes(
    word_hashes: np.ndarray, starts: np.ndarray, lengths: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """The 32-bit hash of every shingle of every text, and the text each belongs to.

    Texts are consecutive runs of ``word_hashes`` (``starts``/``lengths``); a text shorter than
    ``size`` words is one shingle of all its words, an empty text has none.
    """
    windows = np.where(lengths >= size, lengths - size + 1, (lengths > 0).astype(np.int64))
    width = np.where(lengths >= size, size, lengths)
    owner = np.repeat(np.arange(len(lengths)), windows)
    first = np.cumsum(windows) - windows
    position = np.arange(int(windows.sum())) + np.repeat(starts - first, windows)
    owner_width = width[owner]
    padded = np.concatenate([word_hashes, np.zeros(size, dtype=np.uint64)])
    combined = padded[position].copy()
    for offset in range(1, size):
        more = owner_width > offset  # shorter shingles (short texts) stop early
        if more.all():
            combined = combined * np.uint64(_POLY) + padded[position + offset]
        else:
            combined[more] = combined[more] * np.uint64(_POLY) + padded[position[more] + offset]
    folded = (combined ^ (combined >> np.uint64(32))) & np.uint64(_MASK32)
    return folded.astype(np.uint32), owner


def signature_matrix(texts: Sequence[str], settings: DedupSettings = DedupSettings()) -> np.ndarray:
    """The MinHash signature of each text's word shingles: one uint32 row per text."""
    result = np.empty((len(texts), settings.num_perm), dtype=np.uint32)
    for begin in range(0, len(texts), _TEXTS_AT_ONCE):
        result[begin : begin + _TEXTS_AT_ONCE] = _signatures(
            texts[begin : begin + _TEXTS_AT_ONCE], settings
        )
    return result


def _signatures(texts: Sequence[str], settings: DedupSettings) -> np.ndarray:
    a, b = _permutations(settings.num_perm, settings.seed)
    result = np.full((len(texts), settings.num_perm), _EMPTY, dtype=np.uint32)
    views = [hashing_view(text) for text in texts]  # words separated by single spaces
    lengths = np.fromiter(
        (view.count(" ") + 1 if view else 0 for view in views), dtype=np.int64, count=len(views)
    )
    starts = np.cumsum(lengths) - lengths
    hashes = _word_hashes(" ".join(view for view in views if view))
    shingles, owner = _shingle_hashes(hashes, starts, lengths, settings.shingle_size)
    mixed = fmix(shingles)
    columns = max(1, _CHUNK_VALUES // settings.num_perm)
    for begin in range(0, len(mixed), columns):
        chunk_owner = owner[begin : begin + columns]
        values = np.multiply.outer(a, mixed[begin : begin + columns])  # uint32: modulo 2**32
        values += b[:, None]
        segments = np.flatnonzero(np.diff(chunk_owner, prepend=-1))
        texts_here = chunk_owner[segments]
        lowest = np.minimum.reduceat(values, segments, axis=1).T
        result[texts_here] = np.minimum(result[texts_here], lowest)
    return result


def jaccard(first: np.ndarray, second: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures (share of equal values)."""
    return float(np.count_nonzero(first == second)) / len(first)


def to_bytes(signature: np.ndarray) -> bytes:
    """A signature as stored: little-endian uint32."""
    return np.asarray(signature, dtype="<u4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)
