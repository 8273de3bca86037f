"""MinHash signatures of word shingles, computed in vectorised batches.

A signature is datasketch's ``affine32`` MinHash of a text's word shingles
(:func:`dedup.shingles.shingles`). The only choice made here is the shingle's input hash,
:func:`shingle_hash`: it is built from 64-bit hashes of the shingle's words, and both are
polynomials modulo 2**64, so numpy computes them for a whole batch of texts at once (no Python
loop over words or shingles). For any text,
``MinHash(num_perm, seed=seed, scheme="affine32", hashfunc=shingle_hash)`` updated with its
shingles holds exactly the row that :func:`signature_matrix` computes (the tests check this),
so signatures stay comparable with datasketch's.

Texts are tokenised without Python string work per text (:func:`_folded_bytes`): a batch's
UTF-8 bytes are case- and punctuation-folded at once (a byte table for ASCII; each distinct
non-ASCII character folded once, by ``hashing_view``'s rules, and written over its bytes), and
words are runs of bytes between separators, all hashed by a few numpy operations.

Signatures are rows of a ``(documents, num_perm)`` uint32 matrix; stored, a row is
``num_perm`` little-endian uint32 (:func:`to_bytes`).
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Sequence
from functools import cache

import numpy as np

from pressroom.dedup.settings import DedupSettings
from pressroom.dedup.shingles import NON_WORD

SCHEME = "affine32"
"""datasketch's permutation scheme: 32-bit hashes, ``a * fmix32(h) + b`` modulo 2**32."""
HASH_FAMILY = "word-polynomial-fmix64/affine32"
"""Names the whole hash family (shingle hash and scheme); part of every LSH band key."""

_MASK64 = (1 << 64) - 1
_MASK32 = (1 << 32) - 1
_POLY = 0x9E3779B97F4A7C15
"""Odd multiplier of the polynomials (Horner's rule modulo 2**64) over a word's bytes and over a
shingle's word hashes."""
_DELETED = 0xFF
"""A byte never in UTF-8: marks the bytes of a character beyond its shorter replacement."""
_EMPTY = np.uint32(_MASK32)
"""A signature value no shingle has lowered (datasketch's initial value)."""
_CHARACTERS_AT_ONCE = 1 << 19
"""Characters of text hashed together (a text longer alone): enough for numpy to pay off, few
enough for its temporaries to stay in the CPU's caches and be reused (larger is slower)."""
_CHUNK_VALUES = 1 << 21
"""Shingle-permutation values computed at once, in one reused 8 MiB buffer of uint32 (much
larger ones are slower, out of the CPU's caches)."""


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


@cache
def _ascii_fold() -> bytes:
    """``bytes.translate`` table: what each ASCII byte is in the hashing view, lower-cased if
    alphanumeric, else 0 (a separator). Bytes from 128 up (UTF-8 sequences) stay, to be replaced
    by :func:`_fold_char`."""
    return bytes(
        (ord(chr(byte).lower()) if chr(byte).isalnum() else 0) if byte < 128 else byte
        for byte in range(256)
    )


@cache
def _fold_char(code: int) -> bytes:
    """One non-ASCII character as the hashing view folds it (UTF-8, separators as 0 bytes).

    The view is character-wise: case folding and NFKD map each character on its own and
    reordering moves only combining marks, which are all dropped; so folding each character
    apart and joining the results folds the text (the tests check it against ``hashing_view``).
    """
    folded = unicodedata.normalize("NFKD", chr(code).casefold())
    kept = "".join(c for c in folded if not unicodedata.combining(c))
    return NON_WORD.sub("\0", kept).encode()


def _utf8_characters(data: np.ndarray, leads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The code point and the byte count of each multi-byte UTF-8 sequence starting at
    ``leads`` in ``data``."""
    padded = np.concatenate([data, np.zeros(3, dtype=np.uint8)])
    first = padded[leads]
    widths = 2 + (first >= 0xE0) + (first >= 0xF0)
    codes = (first & (0xFF >> (widths + 1))).astype(np.int64)
    for offset in range(1, 4):
        more = widths > offset
        codes[more] = (codes[more] << 6) | (padded[leads[more] + offset] & 0x3F)
    return codes, widths


def _folded_bytes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The hashing view of the texts, in one pass over their UTF-8 bytes: the bytes of every
    text's view in turn, words separated by one 0 byte or more, and where each text's bytes
    begin. Each distinct non-ASCII character is folded once (:func:`_fold_char`) and its
    replacement written over its bytes (shorter ones padded, longer ones inserted)."""
    joined = " ".join(texts)  # the separator keeps words of two texts apart
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1
    starts = np.cumsum(lengths) - lengths  # in characters; bytes too while all is ASCII
    encoded = joined.encode("utf-8", "surrogatepass")
    translated = encoded.translate(_ascii_fold())
    if joined.isascii():
        return np.frombuffer(translated, dtype=np.uint8), starts
    data = np.frombuffer(encoded, dtype=np.uint8)
    leads = np.flatnonzero(data >= 0xC0)  # the first byte of each non-ASCII character
    codes, widths = _utf8_characters(data, leads)
    seen = np.zeros(sys.maxunicode + 1, dtype=bool)
    seen[codes] = True
    distinct = np.flatnonzero(seen)
    which = np.searchsorted(distinct, codes)
    replacements = [_fold_char(int(code)) for code in distinct]
    sizes = np.fromiter(map(len, replacements), dtype=np.int64, count=len(replacements))
    table = np.frombuffer(b"".join(replacements) + b"\0", dtype=np.uint8)
    # a replacement shorter than its character is padded with separators if it is only
    # separators, else with bytes to delete
    only_separators = np.array([r.strip(b"\0") == b"" < r for r in replacements], dtype=bool)
    padding = np.where(only_separators, 0, _DELETED).astype(np.uint8)[which]
    table_starts, lead_sizes = (np.cumsum(sizes) - sizes)[which], sizes[which]
    result = np.frombuffer(translated, dtype=np.uint8).copy()
    for offset in range(4):
        here = widths > offset
        source = np.minimum(table_starts[here] + offset, len(table) - 1)
        kept = lead_sizes[here] > offset
        result[leads[here] + offset] = np.where(kept, table[source], padding[here])
    longer = np.flatnonzero(lead_sizes > widths)
    if len(longer):  # rare (ŉ, ½, ㏂): the rest of the replacement goes after the character
        extra = lead_sizes[longer] - widths[longer]
        after = np.repeat(leads[longer] + widths[longer], extra)
        within = np.arange(int(extra.sum())) - np.repeat(np.cumsum(extra) - extra, extra)
        rest = np.repeat(table_starts[longer] + widths[longer], extra) + within
        result = np.insert(result, after, table[rest])
    if (padding[lead_sizes < widths] == _DELETED).any():
        result = result[result != _DELETED]
    # a text begins after its characters' replacements, padded ones keep their width
    lead_characters = leads - (np.cumsum(widths - 1) - (widths - 1))
    written = np.where(padding == 0, np.maximum(lead_sizes, widths), lead_sizes)
    added = np.concatenate([[0], np.cumsum(written - 1)])
    return result, starts + added[np.searchsorted(lead_characters, starts)]


def _words(folded: np.ndarray, text_starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The hash of every word of :func:`_folded_bytes` in order, and each text's word count.

    A word's polynomial is the sum of each byte times ``POLY`` to the power of the number of
    bytes after it in the word (separators are 0 bytes: they add nothing)."""
    edges = np.flatnonzero(np.diff(folded != 0, prepend=False, append=False))
    starts, ends = edges[::2], edges[1::2]
    counts = np.diff(np.searchsorted(starts, text_starts), append=len(starts))
    if not len(starts):
        return np.empty(0, dtype=np.uint64), counts
    sizes = ends - starts
    # bytes after each one in its word (negative in the separators after it): int32 holds
    # any word or run of separators under 2 GiB
    steps = np.full(len(folded), -1, dtype=np.int32)
    steps[starts] = sizes - 1 + starts - np.append(0, ends[:-1])
    after = np.cumsum(steps, dtype=np.int32)
    powers = np.full(int(sizes.max()), _POLY, dtype=np.uint64)
    powers[0] = 1
    terms = folded * np.take(np.cumprod(powers), after, mode="clip")  # modulo 2**64
    return fmix(np.add.reduceat(terms, starts)), counts


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
    ends = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)))
    begin = 0
    while begin < len(texts):
        budget = (ends[begin - 1] if begin else 0) + _CHARACTERS_AT_ONCE
        end = min(max(int(np.searchsorted(ends, budget, side="right")), begin + 1), len(texts))
        result[begin:end] = _signatures(texts[begin:end], settings)
        begin = end
    return result


def _signatures(texts: Sequence[str], settings: DedupSettings) -> np.ndarray:
    a, b = _permutations(settings.num_perm, settings.seed)
    result = np.full((len(texts), settings.num_perm), _EMPTY, dtype=np.uint32)
    hashes, lengths = _words(*_folded_bytes(texts))
    starts = np.cumsum(lengths) - lengths
    shingles, owner = _shingle_hashes(hashes, starts, lengths, settings.shingle_size)
    mixed = fmix(shingles)
    columns = max(1, _CHUNK_VALUES // settings.num_perm)
    buffer = np.empty(settings.num_perm * min(columns, len(mixed)), dtype=np.uint32)
    for begin in range(0, len(mixed), columns):
        chunk = mixed[begin : begin + columns]
        chunk_owner = owner[begin : begin + columns]
        values = buffer[: settings.num_perm * len(chunk)].reshape(settings.num_perm, len(chunk))
        np.multiply(a[:, None], chunk, out=values)  # uint32: modulo 2**32
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
