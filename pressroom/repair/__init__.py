"""Repairs of garbled text: mojibake and Unicode damage, and spun wording.

``repair_text`` is the whole per-document repair; ``repair.reference`` restores a spun copy from
a clean copy of the same release when one is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial

from pressroom.repair.candidates import restore_candidates, restore_from_table
from pressroom.repair.edits import WORD, apply_edits, relocate
from pressroom.repair.language_model import ScoringModel
from pressroom.repair.lexicon import InverseTable, Lexicon, default_inverse_table, default_lexicon
from pressroom.repair.ngrams import web_counts
from pressroom.repair.settings import SpinSettings
from pressroom.repair.spin import SpinAssessment, assess_spin
from pressroom.repair.unicode import normalize_text, normalize_with_repairs
from pressroom.schemas import Repair, SpanFlag

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
    table: InverseTable | None = None,
    model: ScoringModel | None = None,
) -> RepairedText:
    """Normalise Unicode; in English text, detect spinning and restore the original wording
    (lexicon, then inverse-spinner table candidates and thesaurus candidates that the context
    clearly prefers).

    ``judged_spun`` overrides detection with a verdict reached elsewhere: a title or header
    field is too short to judge alone and takes the verdict of its document's body. ``model``
    scores the table's candidates (default: the shipped language model; pass one ``adapted`` to
    the dataset's clean texts).
    """
    text, repairs = normalize_with_repairs(extracted)
    if language not in ENGLISH:
        return RepairedText(text, repairs)
    table = default_inverse_table() if table is None else table
    spin = assess_spin(text, lexicon, settings=settings, judged_spun=judged_spun, table=table)
    if judged_spun is None and _table_confirms(text, spin, settings, table, model):
        spin = assess_spin(text, lexicon, settings=settings, judged_spun=True, table=table)
    if spin.is_spun:
        for tier in (partial(restore_from_table, table=table, model=model), restore_candidates):
            taken = [(e.start, e.end) for e in spin.edits] + [(f.start, f.end) for f in spin.flags]
            edits, flags = tier(text, taken, settings)
            spin.edits += edits
            spin.flags += flags
    restored, repairs = apply_edits(text, spin.edits, repairs)
    flags = [
        replace(f, start=relocate(f.start, spin.edits), end=relocate(f.end, spin.edits))
        for f in spin.flags
    ]
    return RepairedText(restored, repairs, spin.spin_score, spin.is_spun, flags)


def _table_confirms(
    text: str,
    spin: SpinAssessment,
    settings: SpinSettings,
    table: InverseTable,
    model: ScoringModel | None,
) -> bool:
    """Whether the inverse-spinner table confirms a text the lexicon alone does not judge spun:
    the distinct spans it restores with the confirmation margin number ``table_evidence`` in a
    text one strong lexicon hit short of spun (and dense enough), or ``table_alone_evidence``
    at ``table_alone_density`` per 100 words in any other text."""
    if spin.is_spun:
        return False
    strict = replace(settings, table_margin=settings.table_confirm_margin)
    edits, _ = restore_from_table(text, [], strict, table, model)
    distinct = len({text[e.start : e.end].lower() for e in edits})
    one_short = (
        spin.spin_score >= settings.threshold and spin.evidence >= settings.min_signatures - 1
    )
    if one_short and distinct >= settings.table_evidence:
        return True
    words = max(sum(1 for _ in WORD.finditer(text)), settings.min_words)
    return (
        distinct >= settings.table_alone_evidence
        and 100 * distinct / words >= settings.table_alone_density
    )


def warm_up() -> None:
    """Load the lexicon (its matcher compiled), the inverse-spinner table and the web n-gram
    counts ahead of the first text; the language model loads with the first English text (the
    table check of detection uses it), the thesaurus with the first spun one."""
    list(default_lexicon().find(""))
    default_inverse_table()
    web_counts()


__all__ = [
    "InverseTable",
    "Lexicon",
    "RepairedText",
    "default_lexicon",
    "normalize_text",
    "repair_text",
    "warm_up",
]
