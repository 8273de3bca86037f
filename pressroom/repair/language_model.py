"""Context scoring for spin restoration: a word trigram language model.

The restorer (``repair.spin``/``repair.candidates``) compares candidate wordings of one span in
the same context with ``LanguageModel.logprob``. The shipped model
(``pressroom/repair/data/language_model.npz``, built offline by ``tools/build_language_model.py``;
see
``docs/language_model.md``) mixes two parts per word: an interpolated Kneser-Ney trigram model
in backoff form, trained on public clean English (UN General Debate speeches, State of the
Union and inaugural addresses, news), and wordsegment's web bigram counts for the words and
pairs that text lacks (weight ``WEB_WEIGHT``).

File layout (``np.savez_compressed``, all scores log10): ``vocab`` (UTF-8 words joined by
newlines, id = line number; 0 is ``<unk>``, 1 the sentence start ``<s>``; the first
``trained_vocab_size`` are the trained model's, the rest web words); ``unigram_logprob`` and
``unigram_backoff`` (float32 per trained id); ``bigram_keys``, ``trigram_keys`` and
``web_bigram_keys`` (sorted keys of ids packed ``ID_BITS`` apart, stored as differences in 8
byte planes); ``*_logprob`` and ``bigram_backoff`` (uint8 codes into the 256-value tables
``*_levels``); ``web_unigram_logprob`` and ``web_unlisted_logmass`` (float32 per id);
``unknown_types`` (how many rare word types ``<unk>`` stands for).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

import numpy as np

from pressroom.repair.edits import WORD

MODEL_FILE = "language_model.npz"
ID_BITS = 21
"""Bits per word id in a packed n-gram key (three ids fit an unsigned 64-bit key)."""
UNKNOWN, SENTENCE_START = 0, 1
WEB_WEIGHT = 0.2
"""Share of the web bigram model in the mixture (the trained model has the rest)."""
ADAPTATION_PRIOR = 8.0
"""Weight of the shipped model against counts from ``adapted`` texts (a Dirichlet prior)."""
_SENTENCE_END = re.compile(r"[.!?;:]+(?=\s)|\n\s*\n")


def sentences(text: str) -> list[list[str]]:
    """Lower-case word sequences of ``text`` (split at sentence punctuation and blank lines),
    tokenised like the restorer (``repair.edits.WORD``; curly apostrophes made straight)."""
    found = []
    for part in _SENTENCE_END.split(text):
        words = [normal_word(w) for w in WORD.findall(part)]
        if words:
            found.append(words)
    return found


def normal_word(word: str) -> str:
    return word.lower().replace("’", "'")


def _keys(planes: np.ndarray) -> np.ndarray:
    """Sorted n-gram keys from the stored byte planes of their differences."""
    differences = np.ascontiguousarray(planes.T).view("<u8").ravel()
    return np.cumsum(differences, dtype=np.uint64)


@dataclass(frozen=True)
class _Table:
    """Sorted n-gram keys with their log10 probabilities (and backoff weights, for contexts)."""

    keys: np.ndarray
    logprob: np.ndarray
    backoff: np.ndarray | None = None

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions of ``keys`` in the table, and which of them are present."""
        positions = np.searchsorted(self.keys, keys)
        positions[positions == len(self.keys)] = 0
        return positions, self.keys[positions] == keys


@dataclass(frozen=True)
class _WebBigrams:
    """wordsegment's web counts as a bigram model: P(w | v) = c(v w) / c(v) for the listed pairs
    plus, for any w, the share of c(v) no listed pair covers times the unigram probability."""

    unigram_logprob: np.ndarray
    unlisted_logmass: np.ndarray
    bigrams: _Table

    def probabilities(self, ids: np.ndarray) -> np.ndarray:
        unigram = 10 ** self.unigram_logprob[ids.astype(np.int64)]
        if len(ids) < 2:
            return unigram
        previous = ids[:-1]
        at, listed = self.bigrams.find((previous << np.uint64(ID_BITS)) | ids[1:])
        rest = 10 ** self.unlisted_logmass[previous.astype(np.int64)] * unigram[1:]
        listed_share = np.where(listed, 10 ** self.bigrams.logprob[at], 0.0)
        return np.concatenate((unigram[:1], listed_share + rest))


class LanguageModel:
    """log10 probabilities of lower-case word sequences: a trained trigram backoff model mixed
    with web bigram counts (for words and pairs the training text lacks)."""

    def __init__(
        self,
        vocab: Sequence[str],
        unigram_logprob: np.ndarray,
        unigram_backoff: np.ndarray,
        bigrams: _Table,
        trigrams: _Table,
        unknown_types: int,
        web: _WebBigrams,
        web_weight: float = WEB_WEIGHT,
    ):
        self.vocab = list(vocab)
        self._ids = {word: index for index, word in enumerate(self.vocab)}
        self.trained_vocab_size = len(unigram_logprob)
        self._web = web
        self.web_weight = web_weight
        self._unigram_logprob = unigram_logprob.astype(np.float64)
        self._unigram_backoff = unigram_backoff.astype(np.float64)
        self._bigrams = bigrams
        self._trigrams = trigrams
        self._unknown_penalty = math.log10(max(unknown_types, 1))
        """An unknown word gets ``<unk>``'s probability shared among the rare types it stands
        for, so it never scores like a common word."""

    @classmethod
    def load(cls, path: str | Path | None = None) -> LanguageModel:
        """The model in ``path`` (default: the shipped
        ``pressroom/repair/data/language_model.npz``)."""
        source = Path(path) if path else files("pressroom.repair.data").joinpath(MODEL_FILE)
        with source.open("rb") as handle:
            data = dict(np.load(handle))
        bigram_levels, trigram_levels = data["bigram_levels"], data["trigram_levels"]
        return cls(
            vocab=bytes(data["vocab"]).decode("utf-8").split("\n"),
            unigram_logprob=data["unigram_logprob"],
            unigram_backoff=data["unigram_backoff"],
            bigrams=_Table(
                _keys(data["bigram_keys"]),
                bigram_levels[data["bigram_logprob"]],
                data["backoff_levels"][data["bigram_backoff"]],
            ),
            trigrams=_Table(
                _keys(data["trigram_keys"]),
                trigram_levels[data["trigram_logprob"]],
            ),
            unknown_types=int(data["unknown_types"]),
            web=_WebBigrams(
                data["web_unigram_logprob"].astype(np.float64),
                data["web_unlisted_logmass"].astype(np.float64),
                _Table(
                    _keys(data["web_bigram_keys"]),
                    data["web_bigram_levels"][data["web_bigram_logprob"]],
                ),
            ),
        )

    @property
    def sizes(self) -> dict[str, int]:
        """How many n-grams of each order the model lists."""
        trigrams, bigrams = len(self._trigrams.keys), len(self._bigrams.keys)
        return {
            "unigrams": self.trained_vocab_size - 2,
            "bigrams": bigrams,
            "trigrams": trigrams,
            "web unigrams": len(self.vocab) - self.trained_vocab_size,
            "web bigrams": len(self._web.bigrams.keys),
        }

    def ids(self, words: Sequence[str]) -> np.ndarray:
        """Word ids (``UNKNOWN`` for words the model does not list)."""
        return np.array([self._ids.get(normal_word(w), UNKNOWN) for w in words], dtype=np.uint64)

    def logprob(self, words: Sequence[str]) -> float:
        """log10 score of ``words``, each word conditioned on the (up to two) words before it in
        ``words``."""
        return float(self.word_logprobs(words).sum())

    def word_logprobs(self, words: Sequence[str]) -> np.ndarray:
        """log10 probability of each word of ``words`` given the words before it in ``words``:
        the trained model mixed with the web bigram model (``web_weight``)."""
        ids = self.ids(words)
        if not len(ids):
            return np.zeros(0)
        trained = 10 ** self._trained_logprobs(ids)
        web = self._web.probabilities(ids)
        return np.log10((1 - self.web_weight) * trained + self.web_weight * web)

    def _trained_logprobs(self, ids: np.ndarray) -> np.ndarray:
        """Trigram backoff scores; words outside the trained vocabulary count as ``<unk>``."""
        ids = np.where(ids < self.trained_vocab_size, ids, np.uint64(UNKNOWN))
        shift = np.uint64(ID_BITS)
        scores = self._unigram_logprob[ids.astype(np.int64)]
        if len(ids) > 1:
            previous, current = ids[:-1], ids[1:]
            bigram_keys = (previous << shift) | current
            at, listed = self._bigrams.find(bigram_keys)
            backed_off = self._unigram_backoff[previous.astype(np.int64)] + scores[1:]
            scores[1:] = np.where(listed, self._bigrams.logprob[at], backed_off)
        if len(ids) > 2:
            context_keys = (ids[:-2] << shift) | ids[1:-1]
            trigram_keys = (context_keys << shift) | ids[2:]
            at, listed = self._trigrams.find(trigram_keys)
            context_at, context_listed = self._bigrams.find(context_keys)
            context_backoff = np.where(context_listed, self._bigrams.backoff[context_at], 0.0)
            scores[2:] = np.where(listed, self._trigrams.logprob[at], context_backoff + scores[2:])
        return scores - self._unknown_penalty * (ids == UNKNOWN)

    def adapted(self, texts: Iterable[str]) -> AdaptedLanguageModel:
        """This model with counts from ``texts`` (clean English documents) mixed in; ``self`` is
        not changed."""
        return AdaptedLanguageModel(self, texts)


class AdaptedLanguageModel:
    """A language model whose predictions are pulled towards n-gram counts of given texts.

    P(w | u v) = (c(h w) + prior * P_base(w | u v)) / (c(h) + prior), with h the longest of
    "u v" and "v" that the texts have seen as a context (the base model alone when neither), so
    the probabilities still sum to one and texts that never use a context leave it unchanged.
    """

    def __init__(self, base: LanguageModel, texts: Iterable[str], prior: float = ADAPTATION_PRIOR):
        self.base = base
        self.prior = prior
        self.counts: Counter[tuple[str, ...]] = Counter()
        self.context_counts: Counter[tuple[str, ...]] = Counter()
        for text in texts:
            for words in sentences(text):
                for order in (2, 3):
                    for start in range(len(words) - order + 1):
                        ngram = tuple(words[start : start + order])
                        self.counts[ngram] += 1
                        self.context_counts[ngram[:-1]] += 1

    def logprob(self, words: Sequence[str]) -> float:
        """log10 score of ``words`` (see ``LanguageModel.logprob``)."""
        words = [normal_word(w) for w in words]
        base = self.base.word_logprobs(words)
        score = 0.0
        for index, word in enumerate(words):
            probability = 10 ** base[index]
            for context in (
                tuple(words[max(0, index - 2) : index]),
                tuple(words[index - 1 : index]),
            ):
                seen = self.context_counts.get(context, 0) if context else 0
                if seen:
                    count = self.counts.get((*context, word), 0)
                    probability = (count + self.prior * probability) / (seen + self.prior)
                    break
            score += math.log10(probability)
        return score

    def adapted(self, texts: Iterable[str]) -> AdaptedLanguageModel:
        """The base model adapted to this model's texts and ``texts`` together."""
        combined = AdaptedLanguageModel(self.base, texts, self.prior)
        combined.counts.update(self.counts)
        combined.context_counts.update(self.context_counts)
        return combined


ScoringModel = LanguageModel | AdaptedLanguageModel
"""Either model: both score word sequences with ``logprob``."""


@cache
def default_language_model() -> LanguageModel:
    """The shipped model, loaded once per process."""
    return LanguageModel.load()
