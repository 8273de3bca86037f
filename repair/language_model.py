"""Context scoring for spin restoration: a word n-gram language model.

Interface used by the restorer (``repair.spin``/``repair.candidates``): ``LanguageModel.logprob``
of a lower-case word sequence, compared across candidate wordings of one span in the same
context. This first version backs off from wordsegment's web bigram counts to its unigram counts;
``tools/build_language_model.py`` builds the trained model that replaces it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

from repair.ngrams import NgramCounts, web_counts

BACKOFF = 0.4
"""Stupid-backoff weight for an unseen bigram."""


class LanguageModel:
    """log10 probabilities of word sequences (lower-case tokens)."""

    def __init__(self, counts: NgramCounts):
        self.counts = counts
        self._total = sum(counts.unigrams.values())

    def logprob(self, words: Sequence[str]) -> float:
        """log10 score of ``words``, each word conditioned on the one before it in ``words``."""
        score = 0.0
        for index, word in enumerate(words):
            previous = words[index - 1] if index else None
            score += math.log10(self._probability(previous, word))
        return score

    def _probability(self, previous: str | None, word: str) -> float:
        unigram = (self.counts.unigram(word) + 1) / self._total
        if previous is None or not self.counts.unigram(previous):
            return unigram
        bigram = self.counts.bigram(previous, word)
        if bigram:
            return bigram / self.counts.unigram(previous)
        return BACKOFF * unigram


@cache
def default_language_model() -> LanguageModel:
    """The shipped model, loaded once per process."""
    return LanguageModel(web_counts())
