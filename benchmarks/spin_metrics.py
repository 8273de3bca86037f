"""Edit-level scoring of spin restoration, in the style of grammatical-error-correction scoring.

Texts are compared as word sequences. The gold edits are the runs of words where the spun text
differs from the original; the system edits are the runs where the restored text differs from
the spun text. An edit is a span of the spun text plus its replacement words; a system edit is
correct when the gold has the very same edit (case-insensitive).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

WORD = re.compile(r"\w+(?:[-'’]\w+)*")

EditKey = tuple[int, int, tuple[str, ...]]


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in WORD.findall(text)]


def edits(source: list[str], target: list[str]) -> set[EditKey]:
    """The word-level edits that turn ``source`` into ``target`` (spans in ``source``)."""
    found = set()
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, source, target, autojunk=False).get_opcodes():
        if tag != "equal":
            found.add((i1, i2, tuple(target[j1:j2])))
    return found


@dataclass
class EditScore:
    true_positives: int = 0
    system: int = 0
    gold: int = 0
    gold_tokens: int = 0
    restored_tokens: int = 0

    def add(self, spun: str, restored: str, original: str) -> None:
        spun_words = words(spun)
        gold = edits(spun_words, words(original))
        system = edits(spun_words, words(restored))
        hits = gold & system
        self.true_positives += len(hits)
        self.system += len(system)
        self.gold += len(gold)
        self.gold_tokens += sum(max(1, i2 - i1) for i1, i2, _ in gold)
        self.restored_tokens += sum(max(1, i2 - i1) for i1, i2, _ in hits)

    @property
    def precision(self) -> float:
        return self.true_positives / self.system if self.system else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.gold if self.gold else 1.0

    @property
    def f05(self) -> float:
        p, r = self.precision, self.recall
        return 1.25 * p * r / (0.25 * p + r) if p + r else 0.0

    @property
    def tokens_restored(self) -> float:
        """Share of spun words whose original wording came back exactly."""
        return self.restored_tokens / self.gold_tokens if self.gold_tokens else 1.0


class OutputAlignment:
    """Output-based scoring: the repaired text aligned word by word with the original.

    Unlike exact edit matching, this does not depend on where an edit's boundaries fall: a gold
    run "local weather fashions" → "climate models" restored by two system edits ("local
    weather" → "climate", "fashions" → "models") counts as restored, and both edits as right.
    """

    def __init__(self, repaired: list[str], original: list[str]):
        self.to_original: dict[int, int] = {}
        self.to_repaired: dict[int, int] = {}
        matcher = SequenceMatcher(None, repaired, original, autojunk=False)
        for tag, r1, r2, j1, _ in matcher.get_opcodes():
            if tag == "equal":
                for offset in range(r2 - r1):
                    self.to_original[r1 + offset] = j1 + offset
                    self.to_repaired[j1 + offset] = r1 + offset

    def restored(self, j1: int, j2: int) -> bool:
        """Whether original words ``j1:j2`` stand, in one piece, at their place in the repaired
        text: each aligned, consecutively, and next to the aligned neighbours on either side (an
        empty run: its two neighbours are adjacent in the repaired text)."""
        return _contiguous(self.to_repaired, j1, j2)

    def correct(self, r1: int, r2: int) -> bool:
        """Whether the repaired words ``r1:r2`` a system edit wrote are the original's words at
        that place (same rule, read from the repaired side)."""
        return _contiguous(self.to_original, r1, r2)


def _contiguous(mapping: dict[int, int], start: int, end: int) -> bool:
    """Whether positions ``start:end`` map to consecutive positions, and so do the neighbours
    ``start - 1`` and ``end`` where they are mapped (both must be, for an empty run)."""
    if start == end:
        return start - 1 in mapping and end in mapping and mapping[end] == mapping[start - 1] + 1
    if any(k not in mapping for k in range(start, end)):
        return False
    if any(mapping[k + 1] != mapping[k] + 1 for k in range(start, end - 1)):
        return False
    before = start - 1 not in mapping or mapping[start - 1] == mapping[start] - 1
    after = end not in mapping or mapping[end] == mapping[end - 1] + 1
    return before and after


def spin_edits(repairs: Iterable) -> list[tuple[str, str]]:
    """(before, after) of the ``repair.Repair`` records that change words (not Unicode fixes)."""
    return [(r.before, r.after) for r in repairs if r.method != "unicode"]
