"""The parameter sweep, the ranking of settings and the comparison of LSH bandings."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import combinations

from benchmarks.near_duplicates.clustering import (
    SignatureCache,
    brute_force_pairs,
    minhash_clusters,
)
from benchmarks.near_duplicates.labelled import LabelledSet
from benchmarks.near_duplicates.scoring import Scores, exact_jaccard, pair_scores
from pressroom.dedup.lsh import similar_pairs
from pressroom.schemas import Document
from pressroom.settings import DedupSettings


@dataclass(frozen=True)
class SweepRow:
    """The scores of one setting on one seed's labelled set (seed None: pooled over seeds)."""

    seed: int | None
    shingle_size: int
    num_perm: int
    threshold: float
    scores: Scores


def sweep(
    labelled: LabelledSet,
    cache: SignatureCache,
    thresholds: Sequence[float],
    shingle_sizes: Sequence[int],
    num_perms: Sequence[int],
) -> list[SweepRow]:
    """Scores of every combination of the given values on one labelled set (``deduplicate``
    alone: ``clustering``)."""
    rows = []
    groups = labelled.groups
    for shingle_size in shingle_sizes:
        for num_perm in num_perms:
            for threshold in thresholds:
                settings = DedupSettings(
                    threshold=threshold, shingle_size=shingle_size, num_perm=num_perm
                )
                clusters = minhash_clusters(labelled.docs, settings, cache)
                scores = pair_scores(clusters, groups)
                rows.append(SweepRow(labelled.seed, shingle_size, num_perm, threshold, scores))
    return rows


def setting(row: SweepRow) -> tuple[int, int, float]:
    return row.shingle_size, row.num_perm, row.threshold


def pooled(rows: Sequence[SweepRow]) -> list[SweepRow]:
    """One row per setting, the counts summed over seeds, in first-seen order."""
    totals: dict[tuple[int, int, float], Scores] = {}
    for row in rows:
        key = setting(row)
        totals[key] = totals[key] + row.scores if key in totals else row.scores
    return [SweepRow(None, *key, scores) for key, scores in totals.items()]


NEIGHBOURHOOD = 0.05
"""Thresholds this close count as neighbours when judging how robust a setting is."""


def robust_margin(row: SweepRow, per_seed: Sequence[SweepRow]) -> float:
    """The smallest margin over every seed at ``row``'s threshold and its neighbours (same
    shingle size and permutations): a setting next to a cliff, or good on one draw of the
    labelled set only, is fragile whatever its pooled score."""
    return min(
        r.scores.margin
        for r in per_seed
        if (r.shingle_size, r.num_perm) == (row.shingle_size, row.num_perm)
        and abs(r.threshold - row.threshold) <= NEIGHBOURHOOD + 1e-9
    )


NOISE_BUFFER = 4.0
"""Thresholds must lie this many standard deviations of the MinHash estimate above the hardest
negatives (odds of about 3e-5 that one such pair is merged by estimation noise; union-find
chains such merges). Closer, precision on this set may look perfect only because few of its
negatives are that similar, while press releases sharing an issuer's boilerplate are common."""


def hardest_negatives(labelled: LabelledSet, shingle_sizes: Sequence[int]) -> dict[int, float]:
    """Per shingle size: the highest exact Jaccard between releases of one series (different
    articles sharing the issuer's block), the closest negatives the set is built to hold."""
    series: dict[str, list[Document]] = defaultdict(list)
    for doc in labelled.docs:
        label = labelled.labels[doc.doc_id]
        if label.issuer:
            series[label.issuer].append(doc)
    pairs = [
        (a.text, b.text)
        for docs in series.values()
        for a, b in combinations(docs, 2)
        if labelled.labels[a.doc_id].group != labelled.labels[b.doc_id].group
    ]
    return {
        size: max((exact_jaccard(a, b, size) for a, b in pairs), default=0.0)
        for size in shingle_sizes
    }


def noise_buffer(row: SweepRow, hardest: Mapping[int, float]) -> float:
    """How many standard deviations of the estimated Jaccard (at the hardest negative's
    similarity) the threshold lies above the hardest negative."""
    j = hardest[row.shingle_size]
    return (row.threshold - j) / max(math.sqrt(j * (1 - j) / row.num_perm), 1e-9)


def ranking(
    rows: Sequence[SweepRow],
    per_seed: Sequence[SweepRow],
    hardest: Mapping[int, float],
    top: int = 8,
) -> list[tuple[SweepRow, float, float]]:
    """Pooled settings meeting both targets with a noise buffer of at least ``NOISE_BUFFER``,
    by robust margin (ties: fewer permutations, then longer shingles)."""
    scored = [
        (row, robust_margin(row, per_seed), noise_buffer(row, hardest))
        for row in rows
        if row.scores.margin > 0 and noise_buffer(row, hardest) >= NOISE_BUFFER
    ]
    scored.sort(key=lambda item: (-round(item[1], 2), item[0].num_perm, -item[0].shingle_size))
    return scored[:top]


def compare_lsh(
    labelled: LabelledSet, settings: DedupSettings, cache: SignatureCache
) -> dict[str, tuple[Scores, float]]:
    """Scores and seconds with other LSH band weightings, and with every pair compared."""
    options = [
        (f"weights {weights}", replace(settings, lsh_weights=weights), similar_pairs)
        for weights in ((0.5, 0.5), (0.2, 0.8), (0.1, 0.9))
    ]
    options.append(("all pairs, no LSH", settings, brute_force_pairs))
    results = {}
    for name, option, finder in options:
        clock = time.perf_counter()
        clusters = minhash_clusters(labelled.docs, option, cache, finder)
        results[name] = (pair_scores(clusters, labelled.groups), time.perf_counter() - clock)
    return results
