"""Unicode normalisation that keeps meaning and typography.

ftfy repairs mojibake and control characters (it runs only where a cheap test says that it may
change something); curly quotes, dashes and full-width characters are left as the author wrote
them. Spaces and paragraph breaks are made consistent. Changes that alter words (mojibake,
invisible characters inside words) are reported as repairs.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

import ftfy
from ftfy.badness import BADNESS_RE
from ftfy.chardata import CONTROL_CHARS, HTML_ENTITY_RE, LIGATURES

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
_FTFY_TARGETS = re.compile(
    "[\r\u2028\u2029\x80-\x9f\ud800-\udfff"  # line breaks, C1 controls, surrogates
    + "".join(map(chr, sorted({*CONTROL_CHARS, *LIGATURES})))  # incl. terminal escapes (\x1b)
    + "ŒœÃÂ]"  # the characters of ftfy's mojibake patterns that need no neighbour
)
_MOJIBAKE_RUNS = re.compile("[\x80-\u04ff\u2010-\u25ff\uf8ff\ufb01\ufb02\ufffd]{2,}")
"""Runs of two or more of the characters that ftfy's mojibake patterns (``BADNESS_RE``) are made
of (a superset): every other match of those patterns has two of them side by side."""
_MOJIBAKE_REACH = 5
"""How far a mojibake match reaches beyond such a run (matches are at most 7 characters long)."""


def normalize_text(text: str) -> str:
    """Fix mojibake, apply NFC, turn odd spaces into plain ones, and tidy line breaks."""
    text = _LINE_BREAKS.sub("\n", text)
    if not _ftfy_keeps(text):
        text = ftfy.fix_text(text, config=_FTFY)
    text = _INVISIBLE.sub("", _ODD_SPACES.sub(" ", text))
    lines = (_MULTI_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def _ftfy_keeps(text: str) -> bool:
    """Whether ``ftfy.fix_text(text, config=_FTFY)`` returns ``text`` unchanged, tested cheaply;
    False when in doubt.

    ftfy fixes each line on its own (lines are at most ``max_decode_length`` long here), so it
    keeps ``text`` when every enabled fixer keeps every line: no HTML entity; no line ftfy takes
    for mojibake (``BADNESS_RE``, which needs one of ``_FTFY_TARGETS`` or two neighbours inside
    a ``_MOJIBAKE_RUNS`` run); no character another fixer replaces (``_FTFY_TARGETS``); NFC
    already (a line break never composes with its neighbours, so each line is NFC too).
    """
    if (
        len(text) > _FTFY.max_decode_length
        or _FTFY_TARGETS.search(text)
        or HTML_ENTITY_RE.search(text)
        or not unicodedata.is_normalized("NFC", text)
    ):
        return False
    return not any(
        BADNESS_RE.search(text, max(0, run.start() - _MOJIBAKE_REACH), run.end() + _MOJIBAKE_REACH)
        for run in _MOJIBAKE_RUNS.finditer(text)
    )


def normalize_with_repairs(text: str) -> tuple[str, list[Repair]]:
    """:func:`normalize_text`, plus a ``unicode`` repair for each run of words it changed."""
    normalized = normalize_text(text)
    return normalized, word_changes(text, normalized, "unicode", _CONFIDENCE)


def word_changes(before: str, after: str, method: str, confidence: float) -> list[Repair]:
    """The runs of words that differ between two versions of a text, located in ``after``."""
    # the common cases, cheaply (no word holds white space: the same chunks, the same words)
    if (
        before == after
        or before.split() == after.split()
        or WORD.findall(before) == WORD.findall(after)
    ):
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
