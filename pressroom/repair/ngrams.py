"""Web n-gram counts (wordsegment's unigram and bigram tables, shipped with the package)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


class NgramCounts:
    """Lower-case unigram and bigram counts; an unknown n-gram counts 0."""

    def __init__(self, unigrams: dict[str, int], bigrams: dict[str, int]):
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.floor = min(bigrams.values(), default=0)
        """The rarest bigram listed: rarer pairs are missing from the table."""

    def unigram(self, word: str) -> int:
        return self.unigrams.get(word.lower(), 0)

    def bigram(self, first: str, second: str) -> int:
        return self.bigrams.get(f"{first.lower()} {second.lower()}", 0)

    def association(self, left: str | None, words: list[str], right: str | None) -> float:
        """How strongly a phrase goes with its neighbours, whatever its own frequency.

        The share of the first word's occurrences that follow ``left``, or of the last word's
        that precede ``right``, whichever is larger; 0 when neither bigram is known.
        """
        scores = [0.0]
        if left and self.unigram(words[0]):
            scores.append(self.bigram(left, words[0]) / self.unigram(words[0]))
        if right and self.unigram(words[-1]):
            scores.append(self.bigram(words[-1], right) / self.unigram(words[-1]))
        return max(scores)


@cache
def web_counts() -> NgramCounts:
    """Counts from the Google Web Trillion Word Corpus subset that wordsegment bundles."""
    return NgramCounts(_read("unigrams.txt"), _read("bigrams.txt"))


def _read(name: str) -> dict[str, int]:
    table = {}
    for line in files("wordsegment").joinpath(name).read_text(encoding="utf-8").splitlines():
        ngram, _, count = line.rpartition("\t")
        table[ngram] = int(count)
    return table
