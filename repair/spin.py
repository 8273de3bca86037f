"""Detecting spun text and restoring the original wording from the lexicon.

Detection counts lexicon hits: signatures (phrases clean English almost never uses, such as
"Safety Council" or "our on-line world") and swaps (plausible words spinners also produce). A
document is spun when it has several distinct signatures at a high enough density. Only then are
its hits restored; in a clean document a signature is flagged, never rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pressroom.settings import SpinSettings
from repair.edits import WORD, Edit, match_case
from repair.lexicon import Lexicon, LexiconMatch, default_lexicon
from repair.ngrams import NgramCounts, web_counts
from schemas import SpanFlag

SIGNATURE_CONFIDENCE = 0.95
COLLOCATION_CONFIDENCE = 0.9
SWAP_CONFIDENCE = 0.7
SMOOTHING = 1e-5
"""Added to both sides of an association ratio, so unknown bigrams compare as equal."""
_ARTICLE_BEFORE = re.compile(r"\b(an?)\s+$", re.IGNORECASE)


@dataclass
class SpinAssessment:
    """What the lexicon says about one text: its score, and the edits and flags it proposes."""

    spin_score: float
    is_spun: bool
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
) -> SpinAssessment:
    """Score ``text`` and, if it is spun, plan the lexicon's restorations.

    ``judged_spun``, when given, replaces the verdict computed from ``text`` (see ``repair_text``).

    A swap whose neighbours go far better with the original ("peace and safety" next to
    "international") is an improbable collocation and weighs like a signature; one whose
    neighbours favour the spun word is flagged and left alone.
    """
    lexicon = lexicon or default_lexicon()
    matches = list(lexicon.find(text))
    if any(m.entry.kind == "swap" for m in matches):  # only swaps are weighed by their context
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
    distinct = len({m.entry for m in strong})
    is_spun = distinct >= settings.min_signatures and score >= settings.threshold
    if judged_spun is not None:
        is_spun = judged_spun
    assessment = SpinAssessment(round(score, 4), is_spun)
    for match in matches:
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
    """The edit that puts the original back, fixing a preceding "a"/"an" where needed."""
    after = match_case(match.spun, match.original)
    start = match.start
    article = _ARTICLE_BEFORE.search(text, max(0, start - 4), start)
    if article:
        wanted = "an" if after[:1].lower() in "aeiou" else "a"
        if article.group(1).lower() != wanted:
            wanted = match_case(article.group(1), wanted)
            after = text[article.start() : start].replace(article.group(1), wanted, 1) + after
            start = article.start()
    return Edit(start, match.end, after, "lexicon", confidence)


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
