"""Unicode normalisation that keeps meaning and typography.

ftfy repairs mojibake and control characters; curly quotes, dashes and full-width characters are
left as the author wrote them. Spaces and paragraph breaks are made consistent. Changes that alter
words (mojibake, invisible characters inside words) are reported as repairs.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

import ftfy

from pressroom.repair.edits import WORD
from pressroom.schemas import Repair

_FTFY = ftfy.TextFixerConfig(
    uncurl_quotes=False,
    fix_character_width=False,
    explain=False,
    normalization="NFC",
)
_ODD_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\f\v]")
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x85]")
_MULTI_SPACE = re.compile(" {2,}")
_BLANK_RUNS = re.compile(r"\n{3,}")
_CONFIDENCE = 0.99


def normalize_text(text: str) -> str:
    """Fix mojibake, apply NFC, turn odd spaces into plain ones, and tidy line breaks."""
    text = ftfy.fix_text(_LINE_BREAKS.sub("\n", text), config=_FTFY)
    text = _INVISIBLE.sub("", _ODD_SPACES.sub(" ", text))
    lines = (_MULTI_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def normalize_with_repairs(text: str) -> tuple[str, list[Repair]]:
    """:func:`normalize_text`, plus a ``unicode`` repair for each run of words it changed."""
    normalized = normalize_text(text)
    return normalized, word_changes(text, normalized, "unicode", _CONFIDENCE)


def word_changes(before: str, after: str, method: str, confidence: float) -> list[Repair]:
    """The runs of words that differ between two versions of a text, located in ``after``."""
    if before == after or WORD.findall(before) == WORD.findall(after):  # the common cases, cheaply
        return []
    old = [(m.start(), m.end()) for m in WORD.finditer(before)]
    new = [(m.start(), m.end()) for m in WORD.finditer(after)]
    old_words = [before[s:e] for s, e in old]
    new_words = [after[s:e] for s, e in new]
    repairs = []
    matcher = SequenceMatcher(None, old_words, new_words, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace":
            continue
        start, end = new[j1][0], new[j2 - 1][1]
        repairs.append(
            Repair(
                start,
                end,
                before[old[i1][0] : old[i2 - 1][1]],
                after[start:end],
                method,
                confidence,
            )
        )
    return repairs
