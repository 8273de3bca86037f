"""Repairs of garbled text: mojibake and Unicode damage, and spun wording.

``repair_text`` is the whole per-document repair; ``repair.reference`` restores a spun copy from
a clean copy of the same release when one is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from pressroom.settings import SpinSettings
from repair.candidates import restore_candidates
from repair.edits import apply_edits, relocate
from repair.lexicon import Lexicon, default_lexicon
from repair.ngrams import web_counts
from repair.spin import assess_spin
from repair.unicode import normalize_text, normalize_with_repairs
from schemas import Repair, SpanFlag

ENGLISH = {"en", None}


@dataclass
class RepairedText:
    """A repaired text with its audit trail; repair and flag offsets point into ``text``."""

    text: str
    repairs: list[Repair] = field(default_factory=list)
    spin_score: float = 0.0
    is_spun: bool = False
    flags: list[SpanFlag] = field(default_factory=list)


def repair_text(
    extracted: str,
    language: str | None = None,
    lexicon: Lexicon | None = None,
    settings: SpinSettings = SpinSettings(),
    judged_spun: bool | None = None,
) -> RepairedText:
    """Normalise Unicode; in English text, detect spinning and restore the original wording
    (lexicon, then thesaurus candidates the context strongly prefers).

    ``judged_spun`` overrides detection with a verdict reached elsewhere: a title or header
    field is too short to judge alone and takes the verdict of its document's body.
    """
    text, repairs = normalize_with_repairs(extracted)
    if language not in ENGLISH:
        return RepairedText(text, repairs)
    spin = assess_spin(text, lexicon, settings=settings, judged_spun=judged_spun)
    if spin.is_spun:
        taken = [(e.start, e.end) for e in spin.edits] + [(f.start, f.end) for f in spin.flags]
        edits, flags = restore_candidates(text, taken, settings)
        spin.edits += edits
        spin.flags += flags
    restored, repairs = apply_edits(text, spin.edits, repairs)
    flags = [
        replace(f, start=relocate(f.start, spin.edits), end=relocate(f.end, spin.edits))
        for f in spin.flags
    ]
    return RepairedText(restored, repairs, spin.spin_score, spin.is_spun, flags)


def warm_up() -> None:
    """Load the lexicon (its matcher compiled) and the web n-gram counts ahead of the first text;
    the thesaurus, needed for spun texts only, is loaded when one comes."""
    list(default_lexicon().find(""))
    web_counts()


__all__ = [
    "Lexicon",
    "RepairedText",
    "default_lexicon",
    "normalize_text",
    "repair_text",
    "warm_up",
]
