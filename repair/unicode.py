"""Unicode normalisation that keeps meaning and typography.

ftfy repairs mojibake and control characters; curly quotes, dashes and full-width characters are
left as the author wrote them. Spaces and paragraph breaks are made consistent.
"""

from __future__ import annotations

import re

import ftfy

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


def normalize_text(text: str) -> str:
    """Fix mojibake, apply NFC, turn odd spaces into plain ones, and tidy line breaks."""
    text = ftfy.fix_text(_LINE_BREAKS.sub("\n", text), config=_FTFY)
    text = _INVISIBLE.sub("", _ODD_SPACES.sub(" ", text))
    lines = (_MULTI_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
