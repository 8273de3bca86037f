"""Incremental cost: a re-run over unchanged input, and 1% new documents over a large dataset.

Both parts call the ``ingest`` flow directly, in this one process (Prefect's ephemeral mode with
a throw-away ``PREFECT_HOME``): the ephemeral API server starts once, in a warm-up run on
``data/samples`` whose time is reported apart, so no measured run pays for it. Wall times are
taken around the flow call and so include Prefect's per-run overhead (flow and task runs, the
summary artifact) and the start of the extraction sandboxes; the flow's own ``timings_s`` are
printed beside them.

Part 1, re-run over unchanged input: ``--pages`` dev-corpus pages (``.html.gz``, passed as
files) into an empty dataset (first run), then the same paths again (re-run, every page
``known``), ``--rounds`` times (default 1; each round into its own empty dataset, medians
compared). Target: the re-run at least 20x faster than the first run.

Part 2, 1% new documents over ``--history`` documents. Extracting 100,000 pages is too slow
here, so the history is synthetic: each document is 300-600 words in paragraphs of 2-5
sentences drawn at random from the texts Part 1 extracted (and the releases under
``benchmarks/data``), all in one language, languages in the corpus's proportions (mostly German);
every tenth is a near-duplicate of the one before it (a paragraph replaced, a sentence added).
The documents go through ``deduplicate`` (so their ``minhash``/``lsh_bands``/cluster columns are
set; chunks are not deduplicated against each other, which does not matter here) and
``Dataset.write_chunk`` in 10 runs with their own run ids, in 2 spawned processes taking turns on
the dataset's lock.
That setup is timed and printed but is not the measured figure. Then ``--new`` HTML files are
written: fresh synthetic documents, with every tenth a near-duplicate and every hundredth
(offset 5) an exact copy of a history document, published 1-30 days after it, so deduplication
against the history has matches to find. Measured, each into its own folder:
(a) the flow over those files into an empty dataset;
(b) the same files into a copy of the history dataset (the copy is made before and not timed);
(c) only when (b) wrote no spun document: as (b) plus one spun page (``data/samples/001``).
    A new document judged spun makes the dedup stage read the texts of the earlier clean English
    canonicals (``earlier_references``) and index them by anchor words.
b - a is the cost of the history. Criterion: the run is "dominated by the new documents" when
its wall time is at most 1.5 x a; printed for (b) and (c). The parts of the flow that read the
history (``Dataset.verify``, ``Dataset.doc_ids``, ``History.load``, ``earlier_references``, its
``ReferenceIndex`` and ``best_match`` for the run's spun documents, ``earlier_spun_canonicals``)
are also timed on their own against the history dataset. Peak memory is the largest summed RSS
of this process and its children (the sandboxes), sampled every 100 ms during each run.

    .venv/bin/python benchmarks/incremental.py [--pages 1000] [--rounds 1] [--history 100000]
        [--new 1000]

A quick run: ``--pages 200 --history 10000 --new 100``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from html import escape
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from throughput import PeakMemory

if TYPE_CHECKING:
    from pressroom.schemas import Document

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "dev-corpus" / "extraction" / "html"
PRESS_RELEASES = ROOT / "benchmarks" / "data" / "press_releases"
HISTORY_RUNS = 10
FAMILY = 10
"""Every FAMILY-th history document is a near-duplicate of the one before it."""
NEW_NEAR, NEW_EXACT = 10, 100
"""Every NEW_NEAR-th new document is a near-duplicate of a history document, and every
NEW_EXACT-th (offset 5) an exact copy of one."""
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")
MIN_POOL = 200
Pools = dict[str, list[str]]
"""Sentences by language."""
Text = tuple[str, list[str]]
"""A synthetic text: its language and paragraphs."""
T = TypeVar("T")
STAGES = ("extract", "boilerplate", "repair", "deduplicate", "write")


# --- synthetic documents -------------------------------------------------------------------


def sentence_pools(dataset: Path) -> Pools:
    """Distinct sentences of 8-60 words by language, from the documents of ``dataset`` and the
    (English) press releases; languages with fewer than MIN_POOL sentences are left out."""
    from pressroom.dataset import Dataset

    texts = [
        (row["language"], row["text"])
        for row in Dataset(dataset).read_documents(["text", "language"]).to_pylist()
    ]
    texts += [("en", path.read_text()) for path in sorted(PRESS_RELEASES.glob("*.txt"))]
    found: dict[str, dict[str, None]] = {}
    for language, text in texts:
        for line in text.splitlines():
            for sentence in _SENTENCE_END.split(line):
                if 8 <= len(sentence.split()) <= 60:
                    found.setdefault(language or "unknown", {})[sentence.strip()] = None
    return {language: list(s) for language, s in sorted(found.items()) if len(s) >= MIN_POOL}


def synthetic(pools: Pools, key: str) -> Text:
    """300-600 words in paragraphs of 2-5 sentences of one language (chosen in proportion to
    the pools' sizes), the same every time for ``key``."""
    rng = random.Random(key)
    language = rng.choices(list(pools), weights=[len(pool) for pool in pools.values()])[0]
    pool, target, chosen, words = pools[language], rng.randint(300, 600), [], 0
    while words < target:
        paragraph = " ".join(rng.choice(pool) for _ in range(rng.randint(2, 5)))
        chosen.append(paragraph)
        words += len(paragraph.split())
    return language, chosen


def variant(pools: Pools, text: Text, key: str) -> Text:
    """A near-duplicate: one paragraph replaced by other sentences, one sentence added."""
    rng = random.Random(key)
    language, changed = text[0], list(text[1])
    pool = pools[language]
    changed[rng.randrange(len(changed))] = " ".join(rng.choice(pool) for _ in range(3))
    return language, [*changed, rng.choice(pool)]


def history_text(pools: Pools, index: int) -> Text:
    """The language and paragraphs of history document ``index``."""
    if index % FAMILY == FAMILY - 1:
        return variant(pools, synthetic(pools, f"history:{index - 1}"), f"history:{index}")
    return synthetic(pools, f"history:{index}")


def published(key: str) -> datetime:
    return datetime(2020, 1, 1) + timedelta(days=random.Random(key).randrange(1500))


def history_document(pools: Pools, index: int) -> Document:
    """History document ``index`` as extraction and repair would leave it."""
    from pressroom.dedup.shingles import content_hash
    from pressroom.schemas import Document
    from pressroom.schemas.records import stable_id

    language, paragraphs = history_text(pools, index)
    text = "\n\n".join(paragraphs)
    uri = f"https://example.org/news/{index}.html"
    return Document(
        doc_id=stable_id("synthetic-history", str(index)),
        source_uri=uri,
        raw_path=f"/archive/history/{index}.html",
        raw_offset=None,
        url=uri,
        title=" ".join(paragraphs[0].split()[:8]),
        published_at=published(f"history:{index}"),
        author=None,
        site="example.org",
        language=language,
        issuer=None,
        release_status=None,
        text=text,
        content_hash=content_hash(text),
        encoding="utf-8",
        extractor="trafilatura",
        extracted_text=text,
    )


def write_history_run(pools: Pools, out: str, run: int, start: int, stop: int) -> dict:
    """Make, deduplicate and write history documents ``start..stop`` as one run."""
    from pressroom.dataset import Dataset
    from pressroom.dedup import deduplicate
    from pressroom.settings import DedupSettings

    clock = time.perf_counter()
    docs = [history_document(pools, index) for index in range(start, stop)]
    made = time.perf_counter()
    stats = deduplicate(docs, DedupSettings())
    deduplicated = time.perf_counter()
    with Dataset(out).lock(f"history run {run}", wait_s=3600):  # the writers take turns
        written = Dataset(out).write_chunk(docs, [], [], f"history-{run:02d}").documents_written
    return {
        "make": made - clock,
        "deduplicate": deduplicated - made,
        "write": time.perf_counter() - deduplicated,
        "written": written,
        "near": stats.near_duplicates,
    }


def build_history(pools: Pools, out: Path, size: int) -> dict:
    """The synthetic history dataset, in HISTORY_RUNS runs over two spawned processes."""
    bounds = [size * run // HISTORY_RUNS for run in range(HISTORY_RUNS + 1)]
    workers = min(2, os.cpu_count() or 1)
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as executor:
        futures = [
            executor.submit(write_history_run, pools, str(out), run, bounds[run], bounds[run + 1])
            for run in range(HISTORY_RUNS)
        ]
        parts = [future.result() for future in futures]
    return {key: sum(part[key] for part in parts) for key in parts[0]}


def page_html(text: Text, when: datetime) -> str:
    language, paragraphs = text
    title = escape(" ".join(paragraphs[0].split()[:8]))
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html>\n<html lang="{language}"><head><meta charset="utf-8">'
        f'<title>{title}</title><meta name="date" content="{when:%Y-%m-%d}"></head>\n'
        f"<body><main><article>\n{body}\n</article></main></body></html>"
    )


def write_new_pages(pools: Pools, folder: Path, count: int, history: int) -> list[str]:
    """``count`` new HTML pages; some near-duplicates and exact copies of history documents,
    published 1-30 days after them (so the history keeps its canonicals)."""
    folder.mkdir(parents=True)
    rng = random.Random("new pages")
    paths = []
    for number in range(count):
        key = f"new:{number}"
        if number % NEW_NEAR == 0 or number % NEW_EXACT == 5:
            index = rng.randrange(history)
            text = history_text(pools, index)
            if number % NEW_NEAR == 0:
                text = variant(pools, text, key)
            when = published(f"history:{index}") + timedelta(days=rng.randint(1, 30))
        else:
            text, when = synthetic(pools, key), published(key)
        path = folder / f"release-{number:05d}.html"
        path.write_text(page_html(text, when))
        paths.append(str(path))
    return paths


# --- measuring -----------------------------------------------------------------------------


def timed_run(paths: list[str], out: Path) -> tuple[float, dict, int]:
    """(wall seconds, manifest, peak bytes of this process tree) of one flow run."""
    from pressroom.flows.ingest import ingest

    with PeakMemory(os.getpid()) as memory:
        start = time.perf_counter()
        manifest = ingest(paths=paths, out=str(out))
        seconds = time.perf_counter() - start
    return seconds, manifest, memory.peak


def timed(function: Callable[..., T], *args: object) -> tuple[float, T]:
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def stage_row(name: str, seconds: float, manifest: dict, peak: int) -> str:
    timings = manifest["timings_s"]
    stages = " ".join(f"{timings.get(stage, 0.0):8.2f}" for stage in STAGES)
    overhead = seconds - sum(timings.get(stage, 0.0) for stage in (*STAGES, "fetch"))
    return f"{name:34} {seconds:8.2f} {stages} {overhead:8.2f} {peak / 2**20:8.0f}"


def stage_header() -> str:
    stages = " ".join(f"{stage[:8]:>8}" for stage in STAGES)
    return f"{'run':34} {'wall s':>8} {stages} {'other':>8} {'peak MiB':>8}"


def suspects(manifest: dict) -> tuple[int, int, list[str]]:
    """(spun, flagged, texts of the spun) of the documents a run wrote. A spun one makes the
    dedup stage read and index the texts of the earlier clean English canonicals."""
    from pressroom.dataset import Dataset

    columns, where = ["is_spun", "spin_flags", "text"], [("run_id", "==", manifest["run_id"])]
    rows = Dataset(manifest["out"]).read_documents(columns, where).to_pylist()
    spun = sum(bool(row["is_spun"]) for row in rows)
    flagged = sum(bool(row["spin_flags"]) for row in rows)
    return spun, flagged, [row["text"] for row in rows if row["is_spun"]]


def part_one(corpus: Path, pages: int, rounds: int, scratch: Path) -> Path:
    """Run Part 1; return the first round's dataset (its texts feed Part 2)."""
    files = sorted(str(path) for path in corpus.glob("*.html.gz"))[:pages]
    if not files:
        raise SystemExit(f"no .html.gz pages under {corpus}")
    results = []
    for round_ in range(rounds):
        out = scratch / f"part1-{round_}"
        results.append((timed_run(files, out), timed_run(files, out)))
    print(f"\nPart 1: re-run over unchanged input ({len(files)} dev-corpus pages)")
    print(stage_header())
    for round_, (first, again) in enumerate(results):
        suffix = f", round {round_ + 1}" if rounds > 1 else ""
        print(stage_row(f"first run (empty dataset{suffix})", *first))
        print(stage_row(f"re-run (same paths{suffix})", *again))
    first, again = results[0]
    counts = first[1]["counts"], again[1]["counts"]
    spun, flagged, _ = suspects(first[1])
    print(
        f"first run: written {counts[0]['written']}, quarantined {counts[0]['quarantined']}, "
        f"spun {spun}, flagged {flagged}; "
        f"re-run: known {counts[1]['known']}, written {counts[1]['written']}"
    )
    ratio = statistics.median(r[0][0] for r in results) / statistics.median(
        r[1][0] for r in results
    )
    verdict = "met" if ratio >= 20 else "NOT met"
    median = " (medians)" if rounds > 1 else ""
    print(f"first / re-run wall time{median}: {ratio:.1f}x (target >= 20x: {verdict})")
    return scratch / "part1-0"


def part_two(pools: Pools, history: int, new: int, scratch: Path) -> None:
    from pressroom.dataset.dataset import Dataset
    from pressroom.dedup import History, earlier_references, earlier_spun_canonicals
    from pressroom.dedup.spun import ReferenceIndex
    from pressroom.settings import SpinSettings

    base = scratch / "history"
    setup = timed(build_history, pools, base, history)
    seconds, parts = setup
    languages = ", ".join(f"{len(pool)} {language}" for language, pool in pools.items())
    languages = f"sentences ({languages})"
    print(f"\nPart 2: {new} new documents over {history} ({100 * new / history:.1f}% new)")
    print(
        f"setup (not measured): history of {parts['written']} documents "
        f"({parts['near']} near-duplicates) from {languages} in {seconds:.1f} s wall "
        f"(CPU in workers: make {parts['make']:.1f} s, deduplicate {parts['deduplicate']:.1f} s, "
        f"write {parts['write']:.1f} s); "
        f"{sum(f.stat().st_size for f in base.rglob('*.parquet')) / 2**20:.0f} MiB of Parquet"
    )
    paths = write_new_pages(pools, scratch / "new", new, history)

    empty = timed_run(paths, scratch / "empty")
    shutil.copytree(base, scratch / "with-history")
    full = timed_run(paths, scratch / "with-history")
    runs = {"(a)": ("(a) new files, empty dataset", empty)}
    runs["(b)"] = (f"(b) new files, {history} history", full)
    if not suspects(full[1])[2]:  # (b) did not read the history's texts: make a run that does
        shutil.copytree(base, scratch / "with-history-spun")
        spun_page = str(next((ROOT / "data" / "samples").glob("001_*.txt")))
        runs["(c)"] = (
            "(c) as (b) + 1 spun page",
            timed_run([*paths, spun_page], scratch / "with-history-spun"),
        )
    print(stage_header())
    for label, result in runs.values():
        print(stage_row(label, *result))
    print(f"(b) - (a), the cost of the history: {full[0] - empty[0]:.2f} s")
    if "(c)" in runs:
        extra = runs["(c)"][1][0] - full[0]
        print(f"(c) - (b), the cost of one spun page over the history: {extra:.2f} s")
    else:
        print("(c) not run: (b) has spun documents, so it read the history's texts already")
    texts: list[str] = []
    for name, (_, (_, manifest, _)) in runs.items():
        counts = manifest["counts"]
        spun, flagged, found = suspects(manifest)
        texts = texts or (found if name != "(a)" else [])
        print(
            f"{name} counts: extracted {counts['extracted']}, written {counts['written']}, "
            f"exact {counts['exact_duplicates']}, near {counts['near_duplicates']}, "
            f"earlier_duplicates {counts['earlier_duplicates']}, "
            f"canonical_changes {counts['canonical_changes']}, spun {spun}, flagged {flagged}"
        )

    dataset = Dataset(base)
    verify_s, _ = timed(dataset.verify)
    ids_s, ids = timed(dataset.documents.ids)
    load_s, loaded = timed(History.load, dataset)
    references_s, references = timed(earlier_references, dataset)
    index_s, index = timed(ReferenceIndex, references)
    similarity = SpinSettings().reference_similarity
    match_s, _ = timed(lambda: [index.best_match(text, similarity) for text in texts])
    spun_s, spun_canonicals = timed(earlier_spun_canonicals, dataset, loaded)
    reads = [
        ("Dataset.verify", verify_s, "every data file's checksum (or decoding), at the start"),
        ("Dataset.doc_ids", ids_s, "once per run; the writes keep it current"),
        ("History.load", load_s, f"{len(loaded)} rows, dedup columns only"),
        (
            "earlier_references",
            references_s,
            f"{len(references)} clean English canonicals with texts; when a new doc is spun",
        ),
        ("ReferenceIndex(those)", index_s, "anchors of each, in attach_spun_copies"),
        ("best_match over that index", match_s, f"the {len(texts)} spun new documents"),
        ("earlier_spun_canonicals", spun_s, f"{len(spun_canonicals)} spun canonicals"),
    ]
    print(f"history reads on their own ({len(ids)} documents):")
    for name, seconds, note in reads:
        print(f"  {name:28} {seconds:7.2f} s  ({note})")
    for name, (_, (seconds, _, _)) in runs.items():
        if name != "(a)":
            ratio = seconds / empty[0]
            verdict = "dominated by the new documents" if ratio <= 1.5 else "NOT dominated by them"
            print(f"{name} / (a) wall time: {ratio:.2f} (criterion <= 1.5): {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--pages", type=int, default=1000, help="Part 1: dev-corpus pages")
    parser.add_argument("--rounds", type=int, default=1, help="Part 1: first run + re-run pairs")
    parser.add_argument("--history", type=int, default=100_000, help="Part 2: history size")
    parser.add_argument("--new", type=int, default=1000, help="Part 2: new documents")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        os.environ["PREFECT_HOME"] = str(scratch / "prefect-home")
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
        os.environ.pop("PREFECT_API_URL", None)
        sys.stderr.write(f"{os.cpu_count()} cores; scratch {scratch}\n")
        warm_up = timed_run([str(ROOT / "data" / "samples")], scratch / "warm-up")
        print(
            f"warm-up (Prefect ephemeral server start-up + a run over data/samples, not "
            f"measured): {warm_up[0]:.1f} s; every run below is in this same process"
        )
        part1 = part_one(args.corpus, args.pages, args.rounds, scratch)
        part_two(sentence_pools(part1), args.history, args.new, scratch)


if __name__ == "__main__":
    main()
