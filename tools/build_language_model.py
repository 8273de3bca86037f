"""Build the context-scoring language model (``pressroom/repair/data/language_model.npz``), or
evaluate it.

``build`` reads public clean English from ``--corpora`` (default ``../shared/corpora``, laid out
as described in ``docs/language_model.md``; read at build time only, the product reads just the
generated file):

- ``ungdc/UNGDC_1946-2024_TXT.tar.gz``: UN General Debate speeches 1946-2024 (CC0), except
  session 79 (2024), which is held out for ``evaluate``;
- ``nltk_data/state_union.zip``, ``nltk_data/inaugural.zip``: US State of the Union and
  inaugural addresses (public domain);
- ``nltk_data/abc.zip``: Australian Broadcasting Commission rural and science news (2006);
- ``nltk_data/masc_tagged.zip``: the written, formal genres of MASC (newspaper, government
  documents, letters, essays, journal, non-fiction, technical, travel guides).

Text is split into sentences and words like the restorer (``repair.language_model.sentences``),
words seen fewer than ``--min-word-count`` times become ``<unk>``, and an interpolated
Kneser-Ney trigram model is estimated on all counts, then pruned to the bigrams and trigrams
seen at least ``--min-bigram-count``/``--min-trigram-count`` times, with backoff weights
renormalised. wordsegment's web unigram and bigram counts (``repair.ngrams.web_counts``) are
stored beside it as the model's web part (web words seen at least ``WEB_MIN_COUNT`` times are
added to the vocabulary). The same inputs and options give the same file.

``evaluate`` prints held-out perplexity (UN General Debate session 79) and, for every word-level
substitution of spun seed 001 (or of the ``--pair`` texts) against its clean wording, whether
the model scores the original wording above the spun one in its context (3 words either side):
the trained model alone, mixed with the web bigrams as shipped, and the web-bigram stand-in
that the model replaced.

Run from the project root: ``.venv/bin/python tools/build_language_model.py build`` (``--help``).
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import tarfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pressroom.repair.edits import WORD  # noqa: E402
from pressroom.repair.language_model import (  # noqa: E402
    ID_BITS,
    MODEL_FILE,
    SENTENCE_START,
    UNKNOWN,
    LanguageModel,
    normal_word,
    sentences,
)
from pressroom.repair.ngrams import web_counts  # noqa: E402

DEFAULT_CORPORA = ROOT.parent / "shared" / "corpora"
DEFAULT_OUTPUT = ROOT / "pressroom" / "repair" / "data" / MODEL_FILE
HELD_OUT_SESSION = "Session 79 - 2024"
SEEDS = ROOT.parent / "shared" / "seeds"
SEED_001_ORIGINAL = ROOT / "tests" / "fixtures" / "us_mission_joint_statement_original.txt"
MASC_GENRES = {
    "newspaper",
    "govt-docs",
    "letters",
    "essays",
    "journal",
    "non-fiction",
    "technical",
    "travel-guides",
}
LEVELS = 256
WEB_MIN_COUNT = 50_000
"""Web words rarer than this that the training text lacks are left out (they stay unknown)."""
_LOW_MASK = np.uint64((1 << ID_BITS) - 1)
_PAIR_MASK = np.uint64((1 << 2 * ID_BITS) - 1)
_SHIFT = np.uint64(ID_BITS)


# --- sources -------------------------------------------------------------------------------


def ungdc(corpora: Path, held_out: bool = False) -> Iterator[str]:
    """UN General Debate speeches (training sessions, or only the held-out one)."""
    with tarfile.open(corpora / "ungdc" / "UNGDC_1946-2024_TXT.tar.gz") as archive:
        members = sorted(
            (m for m in archive.getmembers() if _is_speech(m.name)), key=lambda m: m.name
        )
        for member in members:
            if (HELD_OUT_SESSION in member.name) == held_out:
                yield archive.extractfile(member).read().decode("utf-8", errors="replace")


def _is_speech(name: str) -> bool:
    return "/TXT/Session " in name and name.endswith(".txt") and "/._" not in name


def nltk_plain(corpora: Path, package: str) -> Iterator[str]:
    """Every text file of an NLTK corpus package of plain text."""
    with zipfile.ZipFile(corpora / "nltk_data" / f"{package}.zip") as archive:
        for name in sorted(archive.namelist()):
            if name.endswith(".txt"):
                yield archive.read(name).decode("utf-8", errors="replace")


def masc_written(corpora: Path) -> Iterator[str]:
    """MASC documents of formal written genres, tags removed ("word_TAG" → "word")."""
    with zipfile.ZipFile(corpora / "nltk_data" / "masc_tagged.zip") as archive:
        genres = archive.read("masc_tagged/categories.txt").decode().splitlines()
        for line in sorted(genres):
            name, genre = line.split(" ", 1)
            if genre in MASC_GENRES:
                text = archive.read(f"masc_tagged/{name}").decode("utf-8", errors="replace")
                yield _untag(text)


def _untag(text: str) -> str:
    lines = []
    for line in text.splitlines():
        words = [token.rpartition("_")[0] or token for token in line.split()]
        joined = " ".join(words).replace(" n't", "n't").replace(" '", "'")
        lines.append(joined)
    return "\n".join(lines)


SOURCES: dict[str, Callable[[Path], Iterator[str]]] = {
    "ungdc": ungdc,
    "state_union": lambda corpora: nltk_plain(corpora, "state_union"),
    "inaugural": lambda corpora: nltk_plain(corpora, "inaugural"),
    "abc": lambda corpora: nltk_plain(corpora, "abc"),
    "masc": masc_written,
}


# --- counting and estimation ---------------------------------------------------------------


def word_stream(texts: Iterator[str], ids: dict[str, int]) -> list[np.ndarray]:
    """Each text as one array of word ids, every sentence preceded by ``<s>`` (``ids`` grows)."""
    arrays = []
    for text in texts:
        stream = []
        for words in sentences(text):
            stream.append(SENTENCE_START)
            stream.extend(ids.setdefault(w, len(ids)) for w in words)
        arrays.append(np.array(stream, dtype=np.uint32))
    return arrays


def discount(counts: np.ndarray) -> float:
    """Kneser-Ney absolute discount n1 / (n1 + 2 n2) from counts of counts."""
    once, twice = np.count_nonzero(counts == 1), np.count_nonzero(counts == 2)
    return once / (once + 2 * twice) if once else 0.5


def groups(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of sorted keys, and each key's group number."""
    starts = np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1]))
    return sorted_keys[starts], np.cumsum(starts) - 1


def estimate(stream: np.ndarray, vocab_size: int, min_bigram: int, min_trigram: int) -> dict:
    """Interpolated Kneser-Ney trigram model in backoff form, pruned by count."""
    x = stream.astype(np.uint64)
    start = np.uint64(SENTENCE_START)
    valid = x[1:] != start
    bigram_keys, bigram_counts = np.unique(
        (x[:-1][valid] << _SHIFT) | x[1:][valid], return_counts=True
    )
    valid = (x[1:-1] != start) & (x[2:] != start)
    trigram_keys, trigram_counts = np.unique(
        (((x[:-2][valid] << _SHIFT) | x[1:-1][valid]) << _SHIFT) | x[2:][valid],
        return_counts=True,
    )
    del x, valid

    # unigrams: continuation counts (distinct left neighbours), interpolated with uniform
    continuation = np.bincount(
        (bigram_keys & _LOW_MASK).astype(np.int64), minlength=vocab_size
    ).astype(np.float64)
    d1 = discount(continuation[continuation > 0])
    total = continuation.sum()
    unigram = np.maximum(continuation - d1, 0) / total
    unigram += d1 * np.count_nonzero(continuation) / total / (vocab_size - 1)
    unigram[SENTENCE_START] = 0.0

    # bigrams: continuation counts, except after <s> (nothing precedes it): raw counts
    suffixes, suffix_counts = np.unique(
        trigram_keys & ((_LOW_MASK << _SHIFT) | _LOW_MASK), return_counts=True
    )
    found = np.searchsorted(suffixes, bigram_keys)
    found[found == len(suffixes)] = 0
    listed = suffixes[found] == bigram_keys
    first = bigram_keys >> _SHIFT
    counts2 = np.where(listed, suffix_counts[found], bigram_counts).astype(np.float64)
    counts2[first == start] = bigram_counts[first == start]
    bigram = _interpolate(first, counts2, unigram[(bigram_keys & _LOW_MASK).astype(np.int64)])

    # trigrams: raw counts, lower order = the bigram of their last two words
    context = trigram_keys >> _SHIFT
    lower = bigram[np.searchsorted(bigram_keys, trigram_keys & _PAIR_MASK)]
    trigram = _interpolate(context, trigram_counts.astype(np.float64), lower)

    keep2, keep3 = bigram_counts >= min_bigram, trigram_counts >= min_trigram
    unigram_backoff = _backoff(
        first[keep2].astype(np.int64),
        bigram[keep2],
        unigram[(bigram_keys[keep2] & _LOW_MASK).astype(np.int64)],
        vocab_size,
    )
    kept_bigrams = bigram_keys[keep2]
    context_backoff = np.zeros(len(kept_bigrams))
    contexts, context_group = groups(context[keep3])
    weights = _backoff(context_group, trigram[keep3], lower[keep3], len(contexts))
    context_backoff[np.searchsorted(kept_bigrams, contexts)] = weights
    with np.errstate(divide="ignore"):
        unigram_logprob = np.where(unigram > 0, np.log10(unigram), -99.0)
    return {
        "unigram_logprob": unigram_logprob.astype(np.float32),
        "unigram_backoff": unigram_backoff.astype(np.float32),
        "bigram_keys": kept_bigrams,
        "bigram_logprob": np.log10(bigram[keep2]),
        "bigram_backoff": context_backoff,
        "trigram_keys": trigram_keys[keep3],
        "trigram_logprob": np.log10(trigram[keep3]),
    }


def _interpolate(context: np.ndarray, counts: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """P(w | context) = max(c - D, 0) / c(context) + D * N1+(context) / c(context) * P_lower."""
    d = discount(counts)
    _, group = groups(context)
    totals = np.bincount(group, weights=counts)
    kinds = np.bincount(group).astype(np.float64)
    return (np.maximum(counts - d, 0) + d * kinds[group] * lower) / totals[group]


def _backoff(group: np.ndarray, kept: np.ndarray, lower: np.ndarray, size: int) -> np.ndarray:
    """log10 backoff weights: the mass left by the kept n-grams of each context over the lower
    order's mass for the words they do not cover."""
    left = 1 - np.bincount(group, weights=kept, minlength=size)
    lower_left = 1 - np.bincount(group, weights=lower, minlength=size)
    return np.log10(np.maximum(left, 1e-12) / np.maximum(lower_left, 1e-12))


def web_component(vocab: list[str]) -> dict[str, np.ndarray]:
    """wordsegment's web counts as a bigram model over ``vocab``, which is extended in place
    with the web words it lacks that were seen at least ``WEB_MIN_COUNT`` times:
    P(w | v) = c(v w) / c(v) for listed pairs, plus the share of c(v) that no listed pair
    covers times the add-one unigram probability of w."""
    counts = web_counts()
    index = {word: i for i, word in enumerate(vocab)}
    for word in sorted(counts.unigrams, key=lambda w: (-counts.unigrams[w], w)):
        if word not in index and counts.unigrams[word] >= WEB_MIN_COUNT:
            index[word] = len(vocab)
            vocab.append(word)
    total = sum(counts.unigrams.values()) + len(counts.unigrams)
    unigram = np.ones(len(vocab))
    for word, count in counts.unigrams.items():
        if word in index:
            unigram[index[word]] += count
    pairs = [
        (index[first], index[second], count / counts.unigrams[first])
        for pair, count in counts.bigrams.items()
        for first, second in [pair.split(" ")]
        if counts.unigrams.get(first) and first in index and second in index
    ]
    firsts = np.array([p[0] for p in pairs], dtype=np.uint64)
    keys = (firsts << _SHIFT) | np.array([p[1] for p in pairs], dtype=np.uint64)
    shares = np.array([p[2] for p in pairs])
    listed = np.bincount(firsts.astype(np.int64), weights=shares, minlength=len(vocab))
    order = np.argsort(keys)
    return {
        "unigram_logprob": np.log10(unigram / total).astype(np.float32),
        "unlisted_logmass": np.log10(np.clip(1 - listed, 0.01, 1)).astype(np.float32),
        "bigram_keys": keys[order],
        "bigram_logprob": np.log10(shares[order]),
    }


def quantise(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """uint8 codes for ``values`` (equal-population bins) and the level (bin mean) of each."""
    edges = np.quantile(values, np.linspace(0, 1, LEVELS + 1)[1:-1])
    codes = np.searchsorted(edges, values, side="right").astype(np.uint8)
    sums = np.bincount(codes, weights=values, minlength=LEVELS)
    sizes = np.bincount(codes, minlength=LEVELS)
    levels = np.where(sizes > 0, sums / np.maximum(sizes, 1), 0.0)
    return codes, levels.astype(np.float32)


def key_planes(keys: np.ndarray) -> np.ndarray:
    """Sorted keys as their differences, byte by byte (8 rows of bytes): compresses well."""
    differences = np.diff(keys, prepend=np.uint64(0)).astype("<u8")
    return np.ascontiguousarray(differences.view(np.uint8).reshape(-1, 8).T)


def build(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    ids = {"<unk>": UNKNOWN, "<s>": SENTENCE_START}
    arrays: list[np.ndarray] = []
    for name in args.sources:
        before = sum(len(a) for a in arrays)
        arrays.extend(word_stream(SOURCES[name](args.corpora), ids))
        print(
            f"{name}: {sum(len(a) for a in arrays) - before:,} tokens (words and <s>)", flush=True
        )
    stream = np.concatenate(arrays)
    del arrays
    words = [""] * len(ids)
    for word, index in ids.items():
        words[index] = word
    counts = np.bincount(stream, minlength=len(words))
    kept = sorted(
        (i for i in range(2, len(words)) if counts[i] >= args.min_word_count),
        key=lambda i: (-counts[i], words[i]),
    )
    remap = np.full(len(words), UNKNOWN, dtype=np.uint32)
    remap[SENTENCE_START] = SENTENCE_START
    vocab = ["<unk>", "<s>"]
    for index in kept:
        remap[index] = len(vocab)
        vocab.append(words[index])
    unknown_types = len(words) - len(vocab)
    stream = remap[stream]
    starts = int(np.count_nonzero(stream == SENTENCE_START))
    print(
        f"{len(stream) - starts:,} words in {starts:,} sentences, vocabulary {len(vocab) - 2:,}, "
        f"{unknown_types:,} rarer word types read as <unk>",
        flush=True,
    )
    model = estimate(stream, len(vocab), args.min_bigram_count, args.min_trigram_count)
    trained_vocab_size = len(vocab)
    web = web_component(vocab)
    bigram_codes, bigram_levels = quantise(model["bigram_logprob"])
    trigram_codes, trigram_levels = quantise(model["trigram_logprob"])
    backoff_codes, backoff_levels = quantise(model["bigram_backoff"])
    web_bigram_codes, web_bigram_levels = quantise(web["bigram_logprob"])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "wb") as handle:
        np.savez_compressed(
            handle,
            vocab=np.frombuffer("\n".join(vocab).encode("utf-8"), dtype=np.uint8),
            unknown_types=np.int64(unknown_types),
            trained_vocab_size=np.int64(trained_vocab_size),
            unigram_logprob=model["unigram_logprob"],
            unigram_backoff=model["unigram_backoff"],
            bigram_keys=key_planes(model["bigram_keys"]),
            bigram_logprob=bigram_codes,
            bigram_levels=bigram_levels,
            bigram_backoff=backoff_codes,
            backoff_levels=backoff_levels,
            trigram_keys=key_planes(model["trigram_keys"]),
            trigram_logprob=trigram_codes,
            trigram_levels=trigram_levels,
            web_unigram_logprob=web["unigram_logprob"],
            web_unlisted_logmass=web["unlisted_logmass"],
            web_bigram_keys=key_planes(web["bigram_keys"]),
            web_bigram_logprob=web_bigram_codes,
            web_bigram_levels=web_bigram_levels,
        )
    print(
        f"wrote {args.output}: {args.output.stat().st_size / 2**20:.2f} MiB, "
        f"{trained_vocab_size - 2:,} words ({len(vocab) - 2:,} with the web's), "
        f"{len(model['bigram_keys']):,} bigrams, "
        f"{len(model['trigram_keys']):,} trigrams, in {time.perf_counter() - began:.0f} s, "
        f"peak memory {_peak_mib():.0f} MiB"
    )


# --- evaluation ----------------------------------------------------------------------------


class WebBigramModel:
    """The stand-in the trained model replaced: wordsegment web bigrams, stupid backoff (0.4)
    to add-one unigrams."""

    def __init__(self):
        self.counts = web_counts()
        self.total = sum(self.counts.unigrams.values())

    def logprob(self, words: Sequence[str]) -> float:
        score = 0.0
        for index, word in enumerate(words):
            unigram = (self.counts.unigram(word) + 1) / self.total
            previous = words[index - 1] if index else None
            probability = unigram
            if previous is not None and self.counts.unigram(previous):
                bigram = self.counts.bigram(previous, word)
                probability = bigram / self.counts.unigram(previous) if bigram else 0.4 * unigram
            score += math.log10(probability)
        return score


@dataclass(frozen=True)
class Substitution:
    """One word-level substitution between a spun text and its original, with the 3 words
    either side in the original (``left``/``right``) and in the spun text (``spun_left``...)."""

    spun: list[str]
    original: list[str]
    left: list[str]
    right: list[str]
    spun_left: list[str]
    spun_right: list[str]


def substitutions(spun: str, original: str, window: int = 3) -> list[Substitution]:
    """Each run of at most 6 words that differs between the two texts (difflib alignment)."""
    spun_words = [normal_word(w) for w in WORD.findall(spun)]
    original_words = [normal_word(w) for w in WORD.findall(original)]
    matcher = SequenceMatcher(None, spun_words, original_words, autojunk=False)
    return [
        Substitution(
            spun_words[i1:i2],
            original_words[j1:j2],
            original_words[max(0, j1 - window) : j1],
            original_words[j2 : j2 + window],
            spun_words[max(0, i1 - window) : i1],
            spun_words[i2 : i2 + window],
        )
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag == "replace" and i2 - i1 <= 6 and j2 - j1 <= 6
    ]


def preference_accuracy(model, cases: list[Substitution], spun_context: bool) -> tuple[int, list]:
    """How many substitutions the model scores in favour of the original wording (in the
    original's context, or in the spun text's); the misses."""
    right, misses = 0, []
    for case in cases:
        left, after = (case.spun_left, case.spun_right) if spun_context else (case.left, case.right)
        if model.logprob(left + case.original + after) > model.logprob(left + case.spun + after):
            right += 1
        else:
            misses.append(f"{' '.join(case.spun)} -> {' '.join(case.original)}")
    return right, misses


def perplexity(model: LanguageModel, texts: Iterator[str]) -> tuple[float, int, float]:
    """Per-word perplexity over sentences of ``texts`` (each scored after ``<s>``), the number
    of words and the share of them unknown to the model."""
    total, words, unknown = 0.0, 0, 0
    for text in texts:
        for sentence in sentences(text):
            total += float(model.word_logprobs(["<s>", *sentence])[1:].sum())
            words += len(sentence)
            ids = model.ids(sentence)
            unknown += int(np.count_nonzero((ids == UNKNOWN) | (ids >= model.trained_vocab_size)))
    return 10 ** (-total / words), words, unknown / words


def evaluate(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    model = LanguageModel.load(args.model)
    print(f"loaded {args.model} in {time.perf_counter() - began:.2f} s, {model.sizes}")
    print(f"peak memory after loading: {_peak_mib():.0f} MiB")
    trained = LanguageModel.load(args.model)
    trained.web_weight = 0.0
    for name, scored in (("trained model alone", trained), ("shipped mixture", model)):
        ppl, words, oov = perplexity(scored, ungdc(args.corpora, held_out=True))
        print(
            f"{name}: held-out perplexity (UNGDC {HELD_OUT_SESSION}) {ppl:.1f} over {words:,} "
            f"words, {oov:.2%} unknown to the trained model"
        )
    pairs = args.pair or [(next(SEEDS.glob("001_*")), SEED_001_ORIGINAL)]
    cases = [
        case
        for spun, original in pairs
        for case in substitutions(
            Path(spun).read_text(encoding="utf-8"), Path(original).read_text(encoding="utf-8")
        )
    ]
    print(f"{len(cases)} substitutions in {len(pairs)} spun texts")
    scorers = (
        ("trained model alone", trained),
        (f"shipped mixture (web weight {model.web_weight})", model),
        ("web-bigram stand-in", WebBigramModel()),
    )
    for name, scorer in scorers:
        for spun_context in (False, True):
            right, misses = preference_accuracy(scorer, cases, spun_context)
            print(
                f"{name}, {'spun' if spun_context else 'original'} context: original wording "
                f"preferred in {right} of {len(cases)} substitutions ({right / len(cases):.3f})"
            )
            if args.verbose:
                print("  missed: " + "; ".join(misses))


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="count the corpora and write the model")
    build_parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    build_parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    build_parser.add_argument(
        "--sources", nargs="+", choices=sorted(SOURCES), default=list(SOURCES)
    )
    build_parser.add_argument("--min-word-count", type=int, default=2)
    build_parser.add_argument("--min-bigram-count", type=int, default=2)
    build_parser.add_argument("--min-trigram-count", type=int, default=3)
    evaluate_parser = commands.add_parser("evaluate", help="held-out perplexity and seed 001")
    evaluate_parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    evaluate_parser.add_argument("--model", type=Path, default=DEFAULT_OUTPUT)
    evaluate_parser.add_argument(
        "--pair",
        nargs=2,
        action="append",
        metavar=("SPUN", "ORIGINAL"),
        help="a spun text and its clean original (repeatable; default: seed 001)",
    )
    evaluate_parser.add_argument("--verbose", action="store_true", help="list the misses")
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args)
    else:
        evaluate(args)


if __name__ == "__main__":
    main()
