"""The hashing view of a text: what exact and near-duplicate detection compare.

Only this view is lower-cased and punctuation-folded; the stored text keeps its typography.
"""

from __future__ import annotations

import hashlib
import re
import sys
import unicodedata
from functools import cache

NON_WORD = re.compile(r"[\W_]+")
"""What the hashing view folds to one space: runs of characters that are not letters or digits."""
_ASCII_NON_WORD = {c: " " for c in range(128) if not chr(c).isalnum()}
"""The same characters as ``NON_WORD`` among ASCII ones, for ``str.translate``."""


@cache
def _combining_marks() -> dict[int, None]:
    """``str.translate`` table deleting every combining mark (accents after NFKD)."""
    return {c: None for c in range(sys.maxunicode + 1) if unicodedata.combining(chr(c))}


def hashing_view(text: str) -> str:
    """Lower-cased words without punctuation or diacritics, separated by single spaces."""
    folded = text.casefold()
    if folded.isascii():  # the common case, several times faster than the expression
        return " ".join(folded.translate(_ASCII_NON_WORD).split())
    folded = unicodedata.normalize("NFKD", folded).translate(_combining_marks())
    return NON_WORD.sub(" ", folded).strip()


def content_hash(text: str) -> str:
    """Hash of the hashing view: equal for texts that differ only in case, spacing, punctuation."""
    return hashlib.blake2b(hashing_view(text).encode(), digest_size=16).hexdigest()


def shingles(text: str, size: int) -> set[bytes]:
    """Word n-grams of the hashing view (the whole text if it has fewer than ``size`` words)."""
    words = hashing_view(text).split()
    if len(words) <= size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)}
