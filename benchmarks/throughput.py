"""End-to-end throughput: `pressroom ingest` on the dev corpus against trafilatura in one process.

Four systems run in this one invocation, alternately (``--rounds`` rounds, medians compared), on
the same pages:
- plain: gunzip and `trafilatura.extract(html)` for every page, in one process (timed from the
  first page, so without its imports);
- with metadata: the same with `with_metadata=True` (title, date, author, site...: the
  extraction job pressroom does, though with htmldate's extensive date search, which pressroom
  turns off), in one process;
- pressroom, 1 worker: the `pressroom ingest --workers 1` console script (Prefect ephemeral mode,
  decode, extraction in one sandbox process, site boilerplate, repair, dedup, Parquet), as a user
  runs it;
- pressroom, all cores: the same with the default workers (one per core).

`--copies N` ingests N copies of the corpus under other paths (new documents to pressroom), which
amortises Prefect's fixed start-up. Besides pages/s, the stage timings of each pressroom run's
manifest are printed; "other" is the rest of its wall time (imports, Prefect's ephemeral server
start and stop, flow and task runs, discovery). Peak memory is the largest summed RSS of the
process tree, sampled every 100 ms, and the largest summed PSS (shared pages divided among the
processes sharing them), sampled every second.

    .venv/bin/python benchmarks/throughput.py [--corpus ../shared/dev-corpus/extraction/html]
        [--rounds 2] [--copies 1]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "dev-corpus" / "extraction" / "html"
STAGES = ("fetch", "extract", "boilerplate", "repair", "deduplicate", "write")


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def tree_rss_bytes(pid: int) -> int:
    """Summed resident memory of ``pid`` and all its descendants."""
    total = 0
    for member in _tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return total


def tree_pss_bytes(pid: int) -> int:
    """Summed proportional set size of ``pid`` and all its descendants: a page shared by n
    processes counts 1/n in each, so the sum is what the tree really occupies."""
    total = 0
    for member in _tree(pid):
        try:
            rollup = Path(f"/proc/{member}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1]) * 1024
    return total


class PeakMemory:
    """Samples the process tree's RSS (and, every tenth sample, its PSS) in a background thread
    while the block runs."""

    def __init__(self, pid: int):
        self.pid, self.peak, self.peak_pss, self._stop = pid, 0, 0, threading.Event()

    def __enter__(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        count = 0
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
            if count % 10 == 0:  # reading smaps costs milliseconds per process
                self.peak_pss = max(self.peak_pss, tree_pss_bytes(self.pid))
            count += 1
            time.sleep(0.1)


@dataclass
class Run:
    """One measured run of one system."""

    seconds: float
    documents: int
    peak_rss: int
    peak_pss: int
    timings: dict[str, float] = field(default_factory=dict)


def run_plain(files: list[Path], with_metadata: bool) -> Run:
    """trafilatura.extract on every page in one process; documents are pages with text."""
    code = (
        "import gzip, sys, time, trafilatura\n"
        "files = sys.argv[2:]; metadata = sys.argv[1] == 'metadata'\n"
        "start = time.perf_counter(); found = 0\n"
        "for f in files:\n"
        "    html = gzip.open(f).read()\n"
        "    found += bool(trafilatura.extract(html, with_metadata=metadata))\n"
        "print(time.perf_counter() - start, found)\n"
    )
    mode = "metadata" if with_metadata else "plain"
    process = subprocess.Popen(
        [sys.executable, "-c", code, mode, *map(str, files)], stdout=subprocess.PIPE, text=True
    )
    with PeakMemory(process.pid) as memory:
        output, _ = process.communicate()
    seconds, found = output.split()
    return Run(float(seconds), int(found), memory.peak, memory.peak_pss)


def run_pressroom(corpus: Path, out: Path, prefect_home: Path, workers: int | None) -> Run:
    """The `pressroom ingest` command, wall time; documents are those extracted."""
    env = {**os.environ, "PREFECT_HOME": str(prefect_home), "PREFECT_LOGGING_LEVEL": "WARNING"}
    env.pop("PREFECT_API_URL", None)
    command = [
        str(Path(sys.executable).with_name("pressroom")),
        "ingest",
        str(corpus),
        "--out",
        str(out),
        "--no-progress",
        *(["--workers", str(workers)] if workers else []),
    ]
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    with PeakMemory(process.pid) as memory:
        process.wait()
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"pressroom ingest failed ({process.returncode})")
    (manifest_file,) = (out / "runs").glob("*.json")
    manifest = json.loads(manifest_file.read_text())
    timings = {stage: manifest["timings_s"].get(stage, 0.0) for stage in STAGES}
    timings["other"] = seconds - sum(timings.values())
    return Run(seconds, manifest["counts"]["extracted"], memory.peak, memory.peak_pss, timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of each")
    parser.add_argument(
        "--copies", type=int, default=1, help="ingest N copies of the corpus (larger input)"
    )
    args = parser.parse_args()
    if not sorted(args.corpus.glob("*.html.gz")):
        raise SystemExit(f"no .html.gz pages under {args.corpus}")

    cores = os.cpu_count() or 1
    runs: dict[str, list[Run]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        corpus = Path(scratch) / "corpus"
        for copy in range(args.copies):  # copies under other paths: new documents to pressroom
            shutil.copytree(args.corpus, corpus / f"copy-{copy}")
        files = sorted(corpus.rglob("*.html.gz"))
        sys.stderr.write(f"{len(files)} pages, {args.rounds} rounds, {cores} cores\n")
        home = Path(scratch) / "prefect-home"
        run_pressroom(ROOT / "data" / "samples", Path(scratch) / "warm-up", home, None)
        systems: list[tuple[str, Callable[[Path], Run]]] = [
            ("trafilatura.extract, 1 process", lambda _: run_plain(files, False)),
            ("  with_metadata=True, 1 process", lambda _: run_plain(files, True)),
            ("pressroom ingest --workers 1", lambda out: run_pressroom(corpus, out, home, 1)),
            (
                f"pressroom ingest, {cores} workers",
                lambda out: run_pressroom(corpus, out, home, None),
            ),
        ]
        for round_ in range(args.rounds):
            for number, (name, system) in enumerate(systems):
                runs.setdefault(name, []).append(system(Path(scratch) / f"out-{round_}-{number}"))
                sys.stderr.write(
                    f"round {round_ + 1}: {name.strip()}: {runs[name][-1].seconds:.1f} s\n"
                )
    report(runs, len(files), f"{args.copies} x {len(files) // args.copies} pages, {cores} cores")


def report(runs: dict[str, list[Run]], pages: int, what: str) -> None:
    """Print medians of each system, the pressroom stage timings and the ratios."""
    seconds = {name: statistics.median(r.seconds for r in done) for name, done in runs.items()}
    rates = {name: pages / value for name, value in seconds.items()}
    print(f"{what}; median of {len(next(iter(runs.values())))} rounds")
    print(f"{'system':34} {'seconds':>8} {'pages/s':>8} {'docs':>6} {'RSS MiB':>8} {'PSS MiB':>8}")
    for name, done in runs.items():
        rss = max(r.peak_rss for r in done) / 2**20
        pss = max(r.peak_pss for r in done) / 2**20
        print(
            f"{name:34} {seconds[name]:8.1f} {rates[name]:8.1f} {done[0].documents:6d} "
            f"{rss:8.0f} {pss:8.0f}"
        )
    columns = (*STAGES, "other")
    print("\nstage timings, s (manifest; other: the rest of the wall time)")
    print(f"{'':34} " + " ".join(f"{column[:8]:>8}" for column in columns))
    for name, done in runs.items():
        if done[0].timings:
            medians = (statistics.median(r.timings[column] for r in done) for column in columns)
            print(f"{name:34} " + " ".join(f"{value:8.2f}" for value in medians))
    *baselines, pressroom = runs
    print("\npages/s ratios")
    for baseline in baselines:
        print(f"  {pressroom} / {baseline.strip()}: {rates[pressroom] / rates[baseline]:.2f}")


if __name__ == "__main__":
    main()
