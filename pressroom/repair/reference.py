"""Restoring a spun copy from a clean copy of the same release (the most trusted repair).

The two texts are aligned word by word; where they differ in a short run of words, the clean
wording replaces the spun one. Longer differences (an added paragraph, site furniture) are left
as they are. A word spinner swaps words and phrases in place, so nearly every difference between
a spun copy and its original is such a short substitution; a paraphrasing tool rewrites and
reorders whole clauses, so much of its text differs by insertions, deletions and long runs
(``Alignment.reworded_share`` tells them apart).
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from pressroom.repair.edits import WORD, Edit

MAX_RUN_WORDS = 6
"""Longest run of differing words (either side) taken as one spinner substitution."""
CONFIDENCE = 0.99


@dataclass(frozen=True)
class Alignment:
    """A text aligned word by word with a reference copy of it."""

    edits: list[Edit]
    """Edits giving the text the reference's wording where the two differ by a substitution."""
    similarity: float
    """Share of words the two have in common, in order (difflib's ratio over words)."""
    reworded_share: float
    """Share of the words (of the longer text) in differences that are not short substitutions
    (``MAX_RUN_WORDS`` or fewer on both sides): inserted, deleted or reworded in long runs.
    Differences before the first and after the last shared word (a truncated copy, furniture
    around it) do not count."""


def word_similarity(text: str, other: str) -> float:
    """Share of words the two texts have in common, in order (difflib's ratio over words)."""
    return _matcher(_words(text), _words(other)).ratio()


def align(text: str, reference: str) -> Alignment:
    """``text`` aligned with ``reference``: the edits that give it the reference's wording."""
    spans = [(m.start(), m.end()) for m in WORD.finditer(text)]
    ref_spans = [(m.start(), m.end()) for m in WORD.finditer(reference)]
    matcher = _matcher([text[s:e] for s, e in spans], [reference[s:e] for s, e in ref_spans])
    edits = []
    reworded = 0
    opcodes = matcher.get_opcodes()
    inner = [n for n, op in enumerate(opcodes) if op[0] == "equal"]
    for number, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            continue
        longer = max(i2 - i1, j2 - j1)
        if tag != "replace" or longer > MAX_RUN_WORDS:
            if inner and inner[0] < number < inner[-1]:
                reworded += longer
            continue
        after = reference[ref_spans[j1][0] : ref_spans[j2 - 1][1]]
        edits.append(Edit(spans[i1][0], spans[i2 - 1][1], after, "reference", CONFIDENCE))
    share = reworded / max(len(spans), len(ref_spans), 1)
    return Alignment(edits, matcher.ratio(), share)


def _words(text: str) -> list[str]:
    return WORD.findall(text)


def _matcher(a: list[str], b: list[str]) -> SequenceMatcher:
    return SequenceMatcher(None, [w.lower() for w in a], [w.lower() for w in b], autojunk=False)
