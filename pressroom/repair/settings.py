"""Settings of spin detection and restoration (measured in docs/spin.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SpinSettings:
    """Detecting and restoring spun text (see docs/spin.md for the measurements)."""

    min_signatures: float = 2.0
    """Distinct strong lexicon hits a document needs before it can count as spun, each weighed
    by its rarity in clean English (``common_weight``)."""
    common_count: int = 10_000_000
    """Web count above which a hit's spun wording is common in clean English."""
    common_weight: float = 0.5
    """Evidence a strong hit with common spun wording gives (a rare one gives 1)."""
    threshold: float = 0.3
    """``spin_score`` from which a document is spun: 0.5 is one signature per 100 words, 0.3 one
    per 233 (measured in docs/spin.md)."""
    swap_weight: float = 0.25
    """Evidence of one swap-kind lexicon hit, relative to a signature."""
    min_words: int = 100
    """Short texts are scored as if they had this many words."""
    context_ratio: float = 3.0
    """A swap is left alone (and flagged) when its neighbouring words go this many times better
    with the spun wording than with the original (web bigram counts)."""
    collocation_ratio: float = 3.0
    """A swap whose neighbours go this many times better with the original is an improbable
    collocation: evidence like a signature, and restored in a spun text."""
    restore_plain_swaps: bool = True
    """In a spun text, restore swaps whose context decides nothing (else flag them)."""
    reference_similarity: float = 0.5
    """Share of words a spun copy must align with a clean document to be restored from it."""
    candidate_ratio: float = 30.0
    """A thesaurus candidate replaces a word when, at every occurrence, the neighbouring words go
    this many times better with it than with the word (web bigram association)."""
    candidate_max_count: int = 30_000_000
    """Words more common than this (web count) are never replaced by a thesaurus candidate."""
    candidate_frequency: float = 5.0
    """A thesaurus candidate must be at least this many times more common than the word."""
    context_words: int = 500_000
    """Words of the dataset's clean English text (this chunk's first, then earlier canonicals)
    that the language model is adapted to before a spun document's second repair pass; 0 turns
    the pass off (measured in docs/spin.md)."""
    table_window: int = 2
    """Words of context either side of a span that the inverse-spinner table tier scores."""
    table_margin: float = 2.5
    """A table candidate replaces a span when its score (log10: language model, plus priors)
    beats keeping the span by this much (2.0 restores more of the real development pages,
    0.175 against 0.150, at lower precision on the simulated set, 0.939 against 0.946:
    precision first)."""
    table_common_margin: float = 1.5
    """Added to ``table_margin`` for a one-word span more common than ``candidate_max_count``
    (web count): common words are mostly the author's own ("point", "help"); not added when
    the best candidate's pair is curated (a lexicon entry or a curated force: "stated")."""
    table_gap: float = 1.0
    """... and beats every other candidate for the span by this much (else the span is
    flagged: "nonetheless" may stand for "still" or "however")."""
    table_flag: float = 0.5
    """A best candidate beating the span by this much, but not clearly, is flagged."""
    table_repeat_margin: float = 0.5
    """Another occurrence of a span the table tier clearly restored takes the same original when
    it is that occurrence's best candidate too, beating keeping by this much (the spinner
    replaces a word the same way throughout a text)."""
    table_prior: float = 0.5
    """Weight of log10(1 + support) of a table pair in its candidate's score."""
    table_determinism: float = 1.0
    """Score added to every candidate of a span that is itself a word the spinner replaces."""
    table_min_support: int = 4
    """Table pairs with less support (see ``table_strong_support``) are not candidates."""
    table_frequency: float = 2.0
    """A one-word table candidate must be this many times more common (web count) than the
    spun word, unless the spun word is itself one the spinner replaces."""
    table_survivor_penalty: float = 1.0
    """Score taken from a candidate that the text also uses unchanged elsewhere (the spinner
    evidently left it alone there)."""
    table_evidence: int = 3
    """A text one strong lexicon hit short of spun is spun when the inverse-spinner table
    restores this many distinct spans of it with a clear margin (``table_confirm_margin``)."""
    table_confirm_margin: float = 2.5
    """The ``table_margin`` a table restoration must clear to count as detection evidence
    (stricter than restoring in a text already judged spun)."""
    table_alone_evidence: int = 3
    """A text with no lexicon evidence is spun when the table restores this many distinct spans
    of it with the confirmation margin ..."""
    table_alone_density: float = 0.75
    """... at this many distinct spans per 100 words (clean pages of the development data: at
    most 0.4; spun pages from 0.98)."""
    table_strong_support: int = 5
    """Support (PPS phrases; a lexicon entry counts 5, a real spun page 2) from which the
    spinner is taken to replace a phrase whenever it meets it."""
    timeout_s: float = 60.0
    """Wall-clock limit for repairing one document in a worker process (Unicode and spin; the
    first spun document a worker sees also loads the thesaurus, a few seconds)."""
