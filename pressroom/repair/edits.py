"""Applying edits to a text while keeping an audit trail of where each one landed."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from pressroom.schemas import Repair

WORD = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)
"""A word token: letters/digits, with inner hyphens and apostrophes ("on-line", "today's")."""
_ARTICLE_BEFORE = re.compile(r"\b(an?)\s+$", re.IGNORECASE)


@dataclass(frozen=True)
class Edit:
    """A planned replacement of ``text[start:end]`` (offsets in the text it applies to)."""

    start: int
    end: int
    after: str
    method: str
    confidence: float


def restoration(
    text: str, start: int, end: int, original: str, method: str, confidence: float
) -> Edit:
    """The edit writing ``original`` over ``text[start:end]`` in its capitalisation, fixing a
    preceding "a"/"an" where needed."""
    after = match_case(text[start:end], original)
    article = _ARTICLE_BEFORE.search(text, max(0, start - 4), start)
    if article:
        wanted = "an" if after[:1].lower() in "aeiou" else "a"
        if article.group(1).lower() != wanted:
            wanted = match_case(article.group(1), wanted)
            after = text[article.start() : start].replace(article.group(1), wanted, 1) + after
            start = article.start()
    return Edit(start, end, after, method, confidence)


def apply_edits(
    text: str, edits: Iterable[Edit], earlier: Iterable[Repair] = ()
) -> tuple[str, list[Repair]]:
    """Apply non-overlapping ``edits`` to ``text``.

    Returns the new text and the repair records located in it: those of ``edits`` plus the
    ``earlier`` records (offsets in ``text``) moved to where they now are. An earlier repair
    that a new edit overlaps is folded into it, so ``before`` always holds the extracted words.
    """
    ordered = sorted(edits, key=lambda e: e.start)
    pending = sorted(earlier, key=lambda r: r.start)
    pieces: list[str] = []
    repairs: list[Repair] = []
    cursor = shift = 0
    for edit in ordered:
        if edit.start < cursor:
            continue  # overlaps the previous edit; the earlier (longer-matched) one wins
        while pending and pending[0].end <= edit.start:
            repairs.append(_moved(pending.pop(0), shift))
        before = text[edit.start : edit.end]
        while pending and pending[0].start < edit.end:  # an earlier repair inside this span
            inner = pending.pop(0)
            offset = inner.start - edit.start
            before = before[:offset] + inner.before + before[offset + len(inner.after) :]
        pieces.append(text[cursor : edit.start])
        start = edit.start + shift
        pieces.append(edit.after)
        repairs.append(
            Repair(start, start + len(edit.after), before, edit.after, edit.method, edit.confidence)
        )
        shift += len(edit.after) - (edit.end - edit.start)
        cursor = edit.end
    pieces.append(text[cursor:])
    repairs.extend(_moved(r, shift) for r in pending)
    return "".join(pieces), sorted(repairs, key=lambda r: r.start)


def _moved(repair: Repair, shift: int) -> Repair:
    return replace(repair, start=repair.start + shift, end=repair.end + shift)


def relocate(position: int, edits: Iterable[Edit]) -> int:
    """Where ``position`` of the original text lies after the (non-overlapping) ``edits``."""
    return position + sum(len(e.after) - (e.end - e.start) for e in edits if e.end <= position)


def match_case(source: str, replacement: str) -> str:
    """``replacement`` written with the capitalisation pattern of ``source``."""
    if len(source) > 1 and source.isupper():
        return replacement.upper()
    source_words, words = source.split(), replacement.split()
    if len(source_words) == len(words):
        return " ".join(
            _capitalised(word) if src[:1].isupper() else word
            for src, word in zip(source_words, words, strict=True)
        )
    return _capitalised(replacement) if source[:1].isupper() else replacement


def _capitalised(word: str) -> str:
    return word[:1].upper() + word[1:]
