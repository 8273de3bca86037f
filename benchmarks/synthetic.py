"""Synthetic press releases with planted near-duplicates, for the scale benchmarks.

Document ``i`` is a pure function of ``(seed, i)``, so any process can make any document:
- about 400 words drawn from a Zipf-like vocabulary of 60,000 made-up words (frequent words are
  frequent, as in real text), one in five documents with its issuer's 60-word "about us" block
  (500 issuers: the classic false positive of press-release dedup);
- one document in ten is a near-copy of an earlier original: about 2-10% of its words replaced,
  up to 5% cut from one place, and a 15-word re-publisher line added. Each (original, copy) is
  a planted pair.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

import numpy as np

VOCABULARY = 60_000
ISSUERS = 500
WORDS = 400
COPY_EVERY = 10
"""One document in this many is a near-copy (decided by a hash of its index)."""
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"] + ["ch", "th", "qu"]


@cache
def vocabulary() -> list[str]:
    """Made-up words of 2 to 4 syllables, the same in every process."""
    rng = np.random.default_rng(0)
    syllables = rng.integers(len(_SYLLABLES), size=(3 * VOCABULARY, 4))
    sizes = rng.integers(2, 5, size=3 * VOCABULARY)
    made = (
        "".join(_SYLLABLES[k] for k in row[:size])
        for row, size in zip(syllables, sizes, strict=True)
    )
    return list(dict.fromkeys(made))[:VOCABULARY]


@cache
def _zipf_cdf() -> np.ndarray:
    weights = 1.0 / (np.arange(VOCABULARY) + 2.7)
    return np.cumsum(weights) / weights.sum()


def _draw(rng: np.random.Generator, count: int) -> np.ndarray:
    return np.searchsorted(_zipf_cdf(), rng.random(count))


def _hash(seed: int, index: int, salt: str) -> int:
    digest = hashlib.blake2b(f"{seed}:{index}:{salt}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def is_copy(seed: int, index: int) -> bool:
    return index > 0 and _hash(seed, index, "copy") % COPY_EVERY == 0


def original_of(seed: int, index: int) -> int:
    """The original a copy was made from: an earlier document that is not itself a copy."""
    index = int(index)
    original = index - 1 - _hash(seed, index, "original") % min(index, 5_000)
    while is_copy(seed, original):
        original -= 1
    return original


def _original_words(seed: int, index: int) -> np.ndarray:
    rng = np.random.default_rng([seed, index])
    words = _draw(rng, WORDS)
    if rng.random() < 0.2:  # the issuer's "about us" block
        issuer = np.random.default_rng([seed, 10**9 + int(rng.integers(ISSUERS))])
        words = np.concatenate([words, _draw(issuer, 60)])
    return words


def document_words(seed: int, index: int) -> np.ndarray:
    """Document ``index``'s words, as vocabulary indices."""
    if not is_copy(seed, index):
        return _original_words(seed, index)
    words = _original_words(seed, original_of(seed, index)).copy()
    rng = np.random.default_rng([seed, index, 1])
    replaced = rng.random(len(words)) < rng.uniform(0.02, 0.10)
    words[replaced] = _draw(rng, int(replaced.sum()))
    cut = int(rng.integers(0, len(words) // 20 + 1))
    start = int(rng.integers(0, len(words) - cut + 1))
    words = np.concatenate([_draw(rng, 15), words[:start], words[start + cut :]])
    return words


def document(seed: int, index: int) -> str:
    """Document ``index`` as text: sentences of about 20 words."""
    names = vocabulary()
    words = [names[k] for k in document_words(seed, index)]
    sentences = [" ".join(words[i : i + 20]) for i in range(0, len(words), 20)]
    return ". ".join(sentence.capitalize() for sentence in sentences) + "."


@dataclass(frozen=True)
class Family:
    """Which documents were planted together."""

    seed: int
    count: int

    def planted_pairs(self) -> np.ndarray:
        """(original, copy) index pairs among the first ``count`` documents."""
        pairs = [(original_of(self.seed, i), i) for i in range(self.count) if is_copy(self.seed, i)]
        return np.array(pairs, dtype=np.int64).reshape(-1, 2)

    def roots(self) -> np.ndarray:
        """Each document's original (itself for an original)."""
        roots = np.arange(self.count)
        for original, copy in self.planted_pairs().tolist():
            roots[copy] = original
        return roots
