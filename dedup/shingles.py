"""The hashing view of a text: what exact and near-duplicate detection compare.

Only this view is lower-cased and punctuation-folded; the stored text keeps its typography.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+")


def hashing_view(text: str) -> str:
    """Lower-cased words without punctuation or diacritics, separated by single spaces."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    without_marks = "".join(c for c in folded if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", without_marks).strip()


def content_hash(text: str) -> str:
    """Hash of the hashing view: equal for texts that differ only in case, spacing, punctuation."""
    return hashlib.blake2b(hashing_view(text).encode(), digest_size=16).hexdigest()


def shingles(text: str, size: int) -> set[bytes]:
    """Word n-grams of the hashing view (the whole text if it has fewer than ``size`` words)."""
    words = hashing_view(text).split()
    if len(words) <= size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)}
