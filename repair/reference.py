"""Restoring a spun copy from a clean copy of the same release (the most trusted repair).

The two texts are aligned word by word; where they differ in a short run of words, the clean
wording replaces the spun one. Longer differences (an added paragraph, site furniture) are left
as they are.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from repair.edits import WORD, Edit

MAX_RUN_WORDS = 6
"""Longest run of differing words (either side) taken as one spinner substitution."""
CONFIDENCE = 0.99


def word_similarity(text: str, other: str) -> float:
    """Share of words the two texts have in common, in order (difflib's ratio over words)."""
    return _matcher(_words(text), _words(other)).ratio()


def restore_from_reference(text: str, reference: str) -> tuple[list[Edit], float]:
    """Edits that give ``text`` the wording of ``reference``, and the texts' word similarity."""
    spans = [(m.start(), m.end()) for m in WORD.finditer(text)]
    ref_spans = [(m.start(), m.end()) for m in WORD.finditer(reference)]
    matcher = _matcher([text[s:e] for s, e in spans], [reference[s:e] for s, e in ref_spans])
    edits = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace" or max(i2 - i1, j2 - j1) > MAX_RUN_WORDS:
            continue
        after = reference[ref_spans[j1][0] : ref_spans[j2 - 1][1]]
        edits.append(Edit(spans[i1][0], spans[i2 - 1][1], after, "reference", CONFIDENCE))
    return edits, matcher.ratio()


def _words(text: str) -> list[str]:
    return WORD.findall(text)


def _matcher(a: list[str], b: list[str]) -> SequenceMatcher:
    return SequenceMatcher(None, [w.lower() for w in a], [w.lower() for w in b], autojunk=False)
