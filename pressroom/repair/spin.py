"""Detecting spun text and restoring the original wording from the lexicon.

Detection counts lexicon hits: signatures (phrases clean English almost never uses, such as
"Safety Council" or "our on-line world") and swaps (plausible words spinners also produce). A
document is spun when it has several distinct strong hits at a high enough density, each weighed
by how rare its spun wording is in clean English. Only then are its hits restored; in a clean
document a signature is flagged, never rewritten.

Names rule: a hit inside a real name ("National Safety Council",
``pressroom/repair/data/real_names.tsv``)
is neither evidence nor rewritten, and a hit inside a longer capitalised name that the text uses
more than once ("Ontario Safety Council" twice) is not evidence (restored only if the rest of
the text shows it is spun).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pressroom.repair.edits import WORD, Edit, restoration
from pressroom.repair.lexicon import (
    LEXICON_WEIGHT,
    InverseTable,
    Lexicon,
    LexiconMatch,
    default_inverse_table,
    default_lexicon,
    real_names,
)
from pressroom.repair.ngrams import NgramCounts, web_counts
from pressroom.repair.settings import SpinSettings
from pressroom.schemas import SpanFlag

SIGNATURE_CONFIDENCE = 0.95
COLLOCATION_CONFIDENCE = 0.9
SWAP_CONFIDENCE = 0.7
SMOOTHING = 1e-5
"""Added to both sides of an association ratio, so unknown bigrams compare as equal."""
_NAME_WORD = r"[A-Z][\w'’-]*"
_NAME_BEFORE = re.compile(rf"(?:{_NAME_WORD} )+$")
_NAME_AFTER = re.compile(rf"^(?: (?:of |for |on )?{_NAME_WORD})+")


@dataclass
class SpinAssessment:
    """What the lexicon says about one text: its score, and the edits and flags it proposes."""

    spin_score: float
    is_spun: bool
    evidence: float = 0.0
    """Distinct strong lexicon hits, weighed by rarity (compared with ``min_signatures``)."""
    edits: list[Edit] = field(default_factory=list)
    flags: list[SpanFlag] = field(default_factory=list)


def spin_score(signatures: int, swaps: int, words: int, settings: SpinSettings) -> float:
    """Lexicon evidence per 100 words, squashed into [0, 1): one signature per 100 words is 0.5."""
    evidence = signatures + settings.swap_weight * swaps
    per_hundred = 100 * evidence / max(words, settings.min_words)
    return per_hundred / (per_hundred + 1)


def assess_spin(
    text: str,
    lexicon: Lexicon | None = None,
    counts: NgramCounts | None = None,
    settings: SpinSettings = SpinSettings(),
    judged_spun: bool | None = None,
    table: InverseTable | None = None,
) -> SpinAssessment:
    """Score ``text`` and, if it is spun, plan the lexicon's restorations.

    ``judged_spun``, when given, replaces the verdict computed from ``text`` (see ``repair_text``).
    A swap whose spun word the inverse-spinner ``table`` says may stand for other originals too
    ("nonetheless": "however" or "still") is left to the table tier, which weighs them in context.

    A swap whose neighbours go far better with the original ("peace and safety" next to
    "international") is an improbable collocation and weighs like a signature; one whose
    neighbours favour the spun word is flagged and left alone.
    """
    lexicon = lexicon or default_lexicon()
    table = default_inverse_table() if table is None else table
    names = [m.span() for m in real_names().finditer(text)]
    matches = [m for m in lexicon.find(text) if not _inside(m, names)]
    counts = counts or web_counts()
    preference = {
        id(m): _original_preference(text, m, counts) for m in matches if m.entry.kind == "swap"
    }
    strong = [
        m
        for m in matches
        if m.entry.kind == "signature" or preference[id(m)] >= settings.collocation_ratio
    ]
    weak = len(matches) - len(strong)
    score = spin_score(len(strong), weak, sum(1 for _ in WORD.finditer(text)), settings)
    evidence = {
        m.entry: _rarity(m.spun, counts, settings) for m in strong if not _in_repeated_name(text, m)
    }
    is_spun = sum(evidence.values()) >= settings.min_signatures and score >= settings.threshold
    if judged_spun is not None:
        is_spun = judged_spun
    assessment = SpinAssessment(round(score, 4), is_spun, sum(evidence.values()))
    for match in matches:
        if is_spun and _undecided_swap(match, table, settings):
            continue  # the table tier weighs its candidates in context
        if match.entry.kind == "signature":
            if is_spun:
                assessment.edits.append(_restoration(text, match, SIGNATURE_CONFIDENCE))
            else:
                assessment.flags.append(_flag(match, "spinner phrase in a text not judged spun"))
        elif is_spun and preference[id(match)] >= settings.collocation_ratio:
            assessment.edits.append(_restoration(text, match, COLLOCATION_CONFIDENCE))
        elif is_spun and preference[id(match)] > 1 / settings.context_ratio:
            if settings.restore_plain_swaps:
                assessment.edits.append(_restoration(text, match, SWAP_CONFIDENCE))
            else:
                assessment.flags.append(_flag(match, "spinner word, context undecided"))
        elif is_spun:
            assessment.flags.append(_flag(match, "neighbouring words favour the spun wording"))
    return assessment


def _restoration(text: str, match: LexiconMatch, confidence: float) -> Edit:
    return restoration(text, match.start, match.end, match.original, "lexicon", confidence)


def _inside(match: LexiconMatch, spans: list[tuple[int, int]]) -> bool:
    return any(start <= match.start and match.end <= end for start, end in spans)


def _undecided_swap(match: LexiconMatch, table: InverseTable, settings: SpinSettings) -> bool:
    """A swap whose spun words the table lists with another original at least as well supported
    as the lexicon's own (which counts at least as one lexicon entry)."""
    if match.entry.kind != "swap":
        return False
    pairs = table.candidates(" ".join(match.spun.lower().replace("’", "'").split()))
    original = match.original.lower()
    own = max([LEXICON_WEIGHT, *(p.support for p in pairs if p.original == original)])
    needed = max(own, settings.table_min_support)
    return any(p.support >= needed for p in pairs if p.original != original)


def _rarity(spun: str, counts: NgramCounts, settings: SpinSettings) -> float:
    """Weight of a strong hit as evidence: 1, or ``common_weight`` when clean English uses its
    spun wording often (web count of the word, or of its first two words, over ``common_count``)."""
    words = spun.lower().split()
    count = counts.bigram(*words[:2]) if len(words) > 1 else counts.unigram(words[0])
    return settings.common_weight if count > settings.common_count else 1.0


def _in_repeated_name(text: str, match: LexiconMatch) -> bool:
    """Whether a capitalised hit is part of a longer capitalised name used more than once."""
    if not match.spun[:1].isupper():
        return False
    before = _NAME_BEFORE.search(text, max(0, match.start - 60), match.start)
    after = _NAME_AFTER.match(text[match.end : match.end + 60])
    if not before and not after:
        return False
    name = (before.group() if before else "") + match.spun + (after.group() if after else "")
    return text.count(name) > 1


def _original_preference(text: str, match: LexiconMatch, counts: NgramCounts) -> float:
    """How much better the neighbouring words go with the original than with the spun form.

    Association is the share of a word's occurrences that have the neighbour next to them
    (web bigram counts), so a frequent word is not favoured for being frequent. 1.0 means no
    evidence either way.
    """
    left = _neighbour(text[: match.start], last=True)
    right = _neighbour(text[match.end :], last=False)
    spun, original = match.spun.lower().split(), match.original.lower().split()
    return (counts.association(left, original, right) + SMOOTHING) / (
        counts.association(left, spun, right) + SMOOTHING
    )


def _neighbour(side: str, last: bool) -> str | None:
    """The word right next to a match on one side, if only spaces separate them."""
    found = re.search(r"(\w+)[ \t]+$", side[-40:]) if last else re.match(r"[ \t]+(\w+)", side[:40])
    return found.group(1) if found else None


def _flag(match: LexiconMatch, reason: str) -> SpanFlag:
    return SpanFlag(
        match.start, match.end, match.spun, f"{reason} (lexicon: {match.original!r})", 0.5
    )
