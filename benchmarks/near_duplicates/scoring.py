"""Pairwise scores of a clustering against the labels, recall by variant kind and false
positives by negative category."""

from __future__ import annotations

import math
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import sparse

from benchmarks.near_duplicates.clustering import cluster_ids
from benchmarks.near_duplicates.labelled import LabelledSet
from benchmarks.near_duplicates.variants import Label
from pressroom.dedup.shingles import hashing_view, shingles
from pressroom.schemas import Document
from pressroom.settings import DedupSettings

TARGET_PRECISION = 0.99
TARGET_RECALL = 0.95


SIMILAR_SUBJECT = 0.15
"""TF-IDF cosine (stopwords dropped per language) from which two articles count as being on a
similar subject: at 0.15 and above the corpus pairs share a topic (car loans, heat pumps,
Python packaging, one arrest reported by two outlets); below, mostly not."""


@dataclass(frozen=True)
class Scores:
    """Pair counts of one clustering against the labels, and the scores they give."""

    true_positives: int
    predicted_pairs: int
    true_pairs: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def margin(self) -> float:
        """Share of the tighter error budget left: 1 = no errors, 0 = exactly on a target."""
        precision_left = 1 - (1 - self.precision) / (1 - TARGET_PRECISION)
        recall_left = 1 - (1 - self.recall) / (1 - TARGET_RECALL)
        return min(precision_left, recall_left)

    def __add__(self, other: Scores) -> Scores:
        return Scores(
            self.true_positives + other.true_positives,
            self.predicted_pairs + other.predicted_pairs,
            self.true_pairs + other.true_pairs,
        )

    def as_dict(self) -> dict:
        return {**asdict(self), "precision": self.precision, "recall": self.recall, "f1": self.f1}


def pairs_within(sizes: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)


def pair_scores(clusters: Mapping[str, str], groups: Mapping[str, str]) -> Scores:
    """Pairwise counts of a clustering (doc_id -> cluster) against groups (doc_id -> group)."""
    both = Counter((clusters[d], groups[d]) for d in clusters)
    return Scores(
        true_positives=pairs_within(both.values()),
        predicted_pairs=pairs_within(Counter(clusters.values()).values()),
        true_pairs=pairs_within(Counter(groups[d] for d in clusters).values()),
    )


def exact_jaccard(a: str, b: str, size: int = 3) -> float:
    x, y = shingles(a, size), shingles(b, size)
    return len(x & y) / len(x | y) if x | y else 1.0


@dataclass
class Evaluation:
    """Everything measured at one setting, as counts so that seeds can be pooled."""

    scores: Scores
    found: Counter[str]
    """Variant kind -> (original, variant) pairs that share a cluster..."""
    variants: Counter[str]
    """...out of this many."""
    jaccards: dict[str, list[float]]
    """Variant kind -> exact 3-shingle Jaccard of each (original, variant) pair."""
    merged: Counter[str]
    """Negative category -> negative pairs that share a cluster (false positives)..."""
    negatives: Counter[str]
    """...out of this many."""
    examples: list[tuple[str, str, str]]
    dedup_s: float

    def __add__(self, other: Evaluation) -> Evaluation:
        jaccards = defaultdict(list, {k: list(v) for k, v in self.jaccards.items()})
        for kind, values in other.jaccards.items():
            jaccards[kind] += values
        return Evaluation(
            self.scores + other.scores,
            self.found + other.found,
            self.variants + other.variants,
            dict(jaccards),
            self.merged + other.merged,
            self.negatives + other.negatives,
            self.examples + other.examples,
            self.dedup_s + other.dedup_s,
        )

    def as_dict(self) -> dict:
        return {
            "scores": self.scores.as_dict(),
            "kind_recall": {
                kind: {
                    "found": self.found[kind],
                    "total": total,
                    "median_jaccard": statistics.median(self.jaccards[kind]),
                }
                for kind, total in self.variants.items()
            },
            "negatives": {
                c: {"merged": self.merged[c], "total": self.negatives[c]}
                for c in NEGATIVE_CATEGORIES
            },
            "dedup_s": self.dedup_s,
        }


def evaluate(
    labelled: LabelledSet, settings: DedupSettings, topics: tuple[dict[str, int], np.ndarray]
) -> Evaluation:
    """Run the production ``deduplicate`` at ``settings`` and measure it."""
    docs, labels = labelled.docs, labelled.labels
    clock = time.perf_counter()
    clusters = cluster_ids(docs, settings)
    seconds = time.perf_counter() - clock
    found, variants, jaccards = kind_recall(docs, labels, clusters)
    merged, negatives, examples = negative_breakdown(docs, labels, clusters, topics)
    scores = pair_scores(clusters, labelled.groups)
    return Evaluation(scores, found, variants, jaccards, merged, negatives, examples, seconds)


def kind_recall(
    docs: Sequence[Document], labels: Mapping[str, Label], clusters: Mapping[str, str]
) -> tuple[Counter[str], Counter[str], dict[str, list[float]]]:
    """Per variant kind: (original, variant) pairs sharing a cluster, all such pairs, and their
    exact 3-shingle Jaccard similarities."""
    originals = {labels[d.doc_id].group: d for d in docs if labels[d.doc_id].kind == "original"}
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    jaccards: dict[str, list[float]] = defaultdict(list)
    for doc in docs:
        label = labels[doc.doc_id]
        original = originals.get(label.group)
        if label.kind == "original" or original is None:
            continue
        total[label.kind] += 1
        found[label.kind] += clusters[doc.doc_id] == clusters[original.doc_id]
        jaccards[label.kind].append(exact_jaccard(doc.text, original.text))
    return found, total, dict(jaccards)


def topic_similarity(
    docs: Sequence[Document], labels: Mapping[str, Label]
) -> tuple[dict[str, int], np.ndarray]:
    """Group index and the groups' TF-IDF cosine matrix, from each group's original text.

    Words frequent within a language (in 15% or more of its pages) are dropped as stopwords, so
    that similarity means shared subject words, not a shared language.
    """
    originals = sorted(
        (labels[d.doc_id].group, d) for d in docs if labels[d.doc_id].kind == "original"
    )
    index = {group: i for i, (group, _doc) in enumerate(originals)}
    counts = [Counter(hashing_view(doc.text).split()) for _group, doc in originals]
    languages = [doc.language or "?" for _group, doc in originals]
    stopwords = _language_stopwords(counts, languages)
    df = Counter(word for c in counts for word in c)
    rows, cols, values, vocabulary = [], [], [], {}
    for row, (c, language) in enumerate(zip(counts, languages, strict=True)):
        for word, n in c.items():
            if df[word] >= 2 and word not in stopwords[language]:
                rows.append(row)
                cols.append(vocabulary.setdefault(word, len(vocabulary)))
                values.append((1 + math.log(n)) * math.log(len(counts) / df[word]))
    matrix = sparse.csr_matrix((values, (rows, cols)), shape=(len(counts), len(vocabulary)))
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
    matrix = sparse.diags(1 / np.maximum(norms, 1e-12)) @ matrix
    return index, (matrix @ matrix.T).toarray()


def _language_stopwords(
    counts: Sequence[Counter[str]], languages: Sequence[str]
) -> dict[str, set[str]]:
    """Per language, the words found in at least 15% (and 3) of its pages."""
    pages: Counter[str] = Counter(languages)
    df: dict[str, Counter[str]] = defaultdict(Counter)
    for c, language in zip(counts, languages, strict=True):
        df[language].update(c.keys())
    return {
        language: {w for w, n in df[language].items() if n >= max(3, 0.15 * pages[language])}
        for language in pages
    }


NEGATIVE_CATEGORIES = ("shared boilerplate", "same site/template", "similar subject", "unrelated")
"""Kinds of negative pairs, hardest first; a pair counts in the first that applies."""


def negative_breakdown(
    docs: Sequence[Document],
    labels: Mapping[str, Label],
    clusters: Mapping[str, str],
    topics: tuple[dict[str, int], np.ndarray],
    examples: int = 3,
) -> tuple[Counter[str], Counter[str], list[tuple[str, str, str]]]:
    """Per category: negative pairs sharing a cluster, all negative pairs; a few merged examples.

    A pair merged only through a chain (a ~ b ~ c) counts in the category of (a, c) itself.
    """
    index, similarity = topics
    ids = [d.doc_id for d in docs]

    def codes(values: list[str]) -> np.ndarray:
        numbering = {v: n for n, v in enumerate(sorted(set(values)))}
        return np.array([numbering[v] for v in values])

    group = np.array([index[labels[i].group] for i in ids])
    site = codes([labels[i].site for i in ids])
    issuer = codes([labels[i].issuer or f"none:{i}" for i in ids])
    cluster = codes([clusters[i] for i in ids])
    merged, total, shown = Counter(), Counter(), []
    for i in range(len(ids) - 1):
        rest = slice(i + 1, None)
        left = group[rest] != group[i]  # negatives not yet given a category
        masks = {}
        for name, related in (
            ("shared boilerplate", issuer[rest] == issuer[i]),
            ("same site/template", site[rest] == site[i]),
            ("similar subject", similarity[group[i], group[rest]] >= SIMILAR_SUBJECT),
            ("unrelated", np.ones_like(left)),
        ):
            masks[name], left = left & related, left & ~related
        together = cluster[rest] == cluster[i]
        for name, mask in masks.items():
            total[name] += int(mask.sum())
            hits = np.flatnonzero(mask & together)
            merged[name] += len(hits)
            for j in hits[: max(0, examples - len(shown))]:
                a, b = labels[ids[i]], labels[ids[i + 1 + j]]
                shown.append((name, f"{a.group} [{a.kind}]", f"{b.group} [{b.kind}]"))
    return merged, total, shown
