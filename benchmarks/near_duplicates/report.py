"""Printing the results."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from benchmarks.near_duplicates.corpus import Pool
from benchmarks.near_duplicates.labelled import LabelledSet
from benchmarks.near_duplicates.scoring import (
    NEGATIVE_CATEGORIES,
    TARGET_PRECISION,
    TARGET_RECALL,
    Evaluation,
    Scores,
    exact_jaccard,
    pairs_within,
)
from benchmarks.near_duplicates.sweep import NEIGHBOURHOOD, NOISE_BUFFER, SweepRow
from benchmarks.near_duplicates.variants import ISSUER_KIND, VARIANT_KINDS
from pressroom.settings import DedupSettings


def pct(value: float) -> str:
    return f"{100 * value:.2f}%"


def describe(settings: DedupSettings) -> str:
    return (
        f"threshold {settings.threshold}, shingle_size {settings.shingle_size}, "
        f"num_perm {settings.num_perm}"
    )


def print_pool(pool: Pool, settings: DedupSettings) -> None:
    """The corpus, and its own copies (kept once) with their similarity."""
    print(
        f"corpus: {len(pool.sources) + len(pool.left_out):,} pages extracted in "
        f"{pool.extract_s:.0f}s; {len(pool.copies)} copy another page and are left out:"
    )
    for a, b, _jaccard, containment in pool.copies:
        text_a, text_b = pool.sources[a].doc.text, pool.left_out[b].doc.text
        jaccard = exact_jaccard(text_a, text_b, settings.shingle_size)
        print(
            f"    {a} ~ {b}: Jaccard {jaccard:.2f} at shingle size {settings.shingle_size}, "
            f"containment {containment:.2f}"
        )


def print_labelled_set(labelled: LabelledSet) -> None:
    sizes = Counter(labelled.groups.values())
    kinds = Counter(labelled.labels[d.doc_id].kind for d in labelled.docs)
    print(
        f"seed {labelled.seed}: {len(labelled.docs):,} documents in {len(sizes):,} groups "
        f"({sum(1 for n in sizes.values() if n > 1)} with variants), "
        f"{pairs_within(sizes.values()):,} true pairs; variants extracted in "
        f"{labelled.extract_s:.0f}s; {labelled.boilerplate_cleaned} documents changed by "
        "site boilerplate removal"
    )
    print("    by kind: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    if labelled.failures:
        failed = ", ".join(f"{k} {n}" for k, n in labelled.failures.items())
        print(f"    variants whose extraction failed (left out): {failed}")


def print_evaluation(evaluation: Evaluation) -> None:
    """Scores, recall by variant kind and false positives by negative category."""
    scores = evaluation.scores
    print(
        f"precision {pct(scores.precision)}  recall {pct(scores.recall)}  F1 {pct(scores.f1)}  "
        f"(true pairs {scores.true_pairs:,}, predicted {scores.predicted_pairs:,}, correct "
        f"{scores.true_positives:,}; deduplicate {evaluation.dedup_s:.1f}s)"
    )
    print("  recall of (original, variant) pairs by kind   [median exact 3-shingle Jaccard]")
    for kind in (*VARIANT_KINDS, ISSUER_KIND):
        found, total = evaluation.found[kind], evaluation.variants[kind]
        if total:
            jaccard = statistics.median(evaluation.jaccards[kind])
            print(f"    {kind:<18} {found:>5}/{total:<5} {pct(found / total):>8}   [{jaccard:.2f}]")
    print("  negative pairs merged (false positives) by category")
    for category in NEGATIVE_CATEGORIES:
        merged, total = evaluation.merged[category], evaluation.negatives[category]
        print(f"    {category:<20} {merged:>6} of {total:>12,}")
    for category, a, b in evaluation.examples[:6]:
        print(f"      e.g. {category}: {a} ~ {b}")


def print_sweep(rows: Sequence[SweepRow], thresholds: Sequence[float]) -> None:
    """Two compact tables (precision, recall) with one row per (shingle size, num_perm)."""
    header = "shingle perm | " + " ".join(f"{t:>6.2f}" for t in thresholds)
    by_setting: dict[tuple[int, int], dict[float, SweepRow]] = defaultdict(dict)
    for row in rows:
        by_setting[row.shingle_size, row.num_perm][row.threshold] = row
    for metric in ("precision", "recall"):
        print(
            f"\n{metric} (%) by threshold; * = meets both targets "
            f"(P >= {TARGET_PRECISION:.0%}, R >= {TARGET_RECALL:.0%})"
        )
        print(header)
        for (shingle_size, num_perm), cells in by_setting.items():
            values = []
            for t in thresholds:
                row = cells[t]
                mark = "*" if row.scores.margin > 0 else " "
                values.append(f"{100 * getattr(row.scores, metric):5.1f}{mark}")
            print(f"{shingle_size:>7} {num_perm:>4} | " + " ".join(values))


def print_ranking(
    ranked: Sequence[tuple[SweepRow, float, float]], hardest: Mapping[int, float]
) -> None:
    closest = ", ".join(f"{size}: {j:.2f}" for size, j in hardest.items())
    print(f"\nhardest negatives, exact Jaccard by shingle size: {closest}")
    print(
        "settings by robust margin (the worst margin over every seed at the threshold and its "
        f"neighbours +-{NEIGHBOURHOOD}; 1 = no errors, 0 = on a target), among those whose "
        f"threshold is >= {NOISE_BUFFER:.0f} sigma of the MinHash estimate above the hardest "
        "negatives"
    )
    print("shingle perm threshold | precision  recall | margin robust | sigma")
    for row, robust, buffer in ranked:
        print(
            f"{row.shingle_size:>7} {row.num_perm:>4} {row.threshold:>9.2f} | "
            f"{pct(row.scores.precision):>9} {pct(row.scores.recall):>7} | "
            f"{row.scores.margin:>6.2f} {robust:>6.2f} | {buffer:>5.1f}"
        )


def print_lsh(results: Mapping[str, tuple[Scores, float]]) -> None:
    print("  weights = (false positive, false negative) weights from which datasketch picks bands")
    for name, (scores, seconds) in results.items():
        print(
            f"    {name:<20} precision {pct(scores.precision)}  recall {pct(scores.recall)}  "
            f"({seconds:.2f}s with cached signatures)"
        )
