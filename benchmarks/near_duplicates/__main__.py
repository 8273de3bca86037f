"""Command line: ``.venv/bin/python -m benchmarks.near_duplicates [options]``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks import near_duplicates
from benchmarks.near_duplicates.clustering import ORDER_SHUFFLES, SignatureCache, order_independent
from benchmarks.near_duplicates.corpus import DEFAULT_CORPUS, Pool, load_pool
from benchmarks.near_duplicates.labelled import build_labelled_set
from benchmarks.near_duplicates.report import (
    describe,
    print_evaluation,
    print_labelled_set,
    print_lsh,
    print_pool,
    print_ranking,
    print_sweep,
)
from benchmarks.near_duplicates.scoring import Evaluation, Scores, evaluate, topic_similarity
from benchmarks.near_duplicates.sweep import (
    SweepRow,
    compare_lsh,
    hardest_negatives,
    pooled,
    ranking,
    setting,
    sweep,
)
from pressroom.settings import DedupSettings


def floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",")]


def ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",")]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.near_duplicates",
        description=near_duplicates.__doc__.split("\n\n")[0],
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help="dev-corpus extraction folder (annotations.json, html/); default: %(default)s",
    )
    parser.add_argument(
        "--sources", type=int, default=300, help="articles that get variants, per seed"
    )
    parser.add_argument(
        "--issuers", type=int, default=30, help="release series sharing an 'about us' block"
    )
    parser.add_argument("--issuer-size", type=int, default=5, help="releases per series")
    parser.add_argument(
        "--seeds",
        type=ints,
        default=[20240611, 1, 2],
        help="one labelled set per seed, results pooled (default: %(default)s)",
    )
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 2, help="extraction processes"
    )
    parser.add_argument(
        "--thresholds", type=floats, default=[round(0.3 + 0.05 * i, 2) for i in range(11)]
    )
    parser.add_argument("--shingle-sizes", type=ints, default=[1, 2, 3, 4, 5])
    parser.add_argument("--num-perms", type=ints, default=[64, 128, 256])
    parser.add_argument("--no-sweep", action="store_true", help="only evaluate the defaults")
    parser.add_argument(
        "--no-boilerplate-removal",
        action="store_true",
        help="skip the pipeline's site boilerplate removal before dedup",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    return parser.parse_args(argv)


@dataclass
class SeedResult:
    """What one seed's labelled set measured."""

    evaluation: Evaluation
    order_independent: bool
    rows: list[SweepRow]
    lsh: dict[str, tuple[Scores, float]]
    hardest: dict[int, float]


def run_seed(pool: Pool, seed: int, args: argparse.Namespace) -> SeedResult:
    """Build one labelled set; evaluate the defaults, check input order, and sweep."""
    defaults = DedupSettings()
    labelled = build_labelled_set(
        pool,
        args.sources,
        seed,
        args.jobs,
        issuers=args.issuers,
        issuer_size=args.issuer_size,
        boilerplate=not args.no_boilerplate_removal,
    )
    print_labelled_set(labelled)
    topics = topic_similarity(labelled.docs, labelled.labels)
    result = SeedResult(
        evaluation=evaluate(labelled, defaults, topics),
        order_independent=order_independent(labelled.docs, defaults, seed),
        rows=[],
        lsh={},
        hardest={},
    )
    if not args.no_sweep:
        cache = SignatureCache()
        result.rows = sweep(labelled, cache, args.thresholds, args.shingle_sizes, args.num_perms)
        result.lsh = compare_lsh(labelled, defaults, cache)
        result.hardest = hardest_negatives(labelled, args.shingle_sizes)
    return result


def report_sweep(seeds: Sequence[SeedResult], thresholds: Sequence[float]) -> dict:
    """Print the pooled sweep, the ranking and the LSH comparison; return them for JSON."""
    per_seed = [row for seed in seeds for row in seed.rows]
    rows = pooled(per_seed)
    hardest = {size: max(seed.hardest[size] for seed in seeds) for size in seeds[0].hardest}
    print(f"\n== sweep: {len(rows)} settings x {len(seeds)} seeds, pooled ==")
    print_sweep(rows, thresholds)
    ranked = ranking(rows, per_seed, hardest)
    print_ranking(ranked, hardest)
    lsh = {
        name: (
            sum((seed.lsh[name][0] for seed in seeds[1:]), seeds[0].lsh[name][0]),
            sum(seed.lsh[name][1] for seed in seeds),
        )
        for name in seeds[0].lsh
    }
    print(f"\n== LSH banding at the defaults (lsh_weights = {DedupSettings().lsh_weights}) ==")
    print_lsh(lsh)
    return {
        "sweep": [
            {"seed": r.seed, "setting": setting(r), **r.scores.as_dict()} for r in per_seed + rows
        ],
        "hardest_negatives": hardest,
        "ranking": [
            {"setting": setting(r), "margin": r.scores.margin, "robust_margin": m, "sigma": b}
            for r, m, b in ranked
        ],
        "lsh": {name: scores.as_dict() for name, (scores, _seconds) in lsh.items()},
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not (args.corpus / "annotations.json").is_file():
        print(f"corpus not found: {args.corpus} (pass --corpus)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    defaults = DedupSettings()
    pool = load_pool(args.corpus, args.jobs)
    print_pool(pool, defaults)
    seeds = [run_seed(pool, seed, args) for seed in args.seeds]

    evaluation = sum((s.evaluation for s in seeds[1:]), seeds[0].evaluation)
    stable = all(s.order_independent for s in seeds)
    print(f"\n== defaults ({describe(defaults)}), {len(seeds)} seeds pooled ==")
    print_evaluation(evaluation)
    print(
        f"order-independent ({ORDER_SHUFFLES} shuffles per seed, every dedup field equal): "
        f"{'yes' if stable else 'NO'}"
    )
    results = {
        "seeds": args.seeds,
        "settings": asdict(defaults),
        "defaults": evaluation.as_dict(),
        "order_independent": stable,
    }
    if not args.no_sweep:
        results.update(report_sweep(seeds, args.thresholds))
    print(f"\ntotal {time.perf_counter() - started:.0f}s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
