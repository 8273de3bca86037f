"""End-to-end throughput: `pressroom ingest` on the dev corpus against plain trafilatura.

Both run in this one invocation, alternately, on the same pages:
- plain: gunzip and `trafilatura.extract(html)` for every page, in one process;
- pressroom: the `pressroom ingest` console script (Prefect ephemeral mode, decode, extraction in
  sandbox processes, site boilerplate, normalisation, dedup, Parquet), as a user runs it.

Peak memory is the largest summed RSS of the process tree, sampled every 100 ms.

    .venv/bin/python benchmarks/throughput.py [--corpus ../shared/dev-corpus/extraction/html]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "dev-corpus" / "extraction" / "html"


def tree_rss_bytes(pid: int) -> int:
    """Summed resident memory of ``pid`` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            children.setdefault(int(fields[1]), []).append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total


class PeakMemory:
    """Samples the process tree's RSS in a background thread while the block runs."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()

    def __enter__(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
            time.sleep(0.1)


def run_plain(files: list[Path]) -> tuple[float, int, int]:
    """(seconds, pages with text, peak bytes) for trafilatura.extract in one process."""
    code = (
        "import gzip, sys, time, trafilatura\n"
        "files = sys.argv[1:]\n"
        "start = time.perf_counter(); found = 0\n"
        "for f in files:\n"
        "    found += bool(trafilatura.extract(gzip.open(f).read()))\n"
        "print(time.perf_counter() - start, found)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, *map(str, files)], stdout=subprocess.PIPE, text=True
    )
    with PeakMemory(process.pid) as memory:
        output, _ = process.communicate()
    seconds, found = output.split()
    return float(seconds), int(found), memory.peak


def run_pressroom(corpus: Path, out: Path, prefect_home: Path) -> tuple[float, int, int]:
    """(wall seconds, documents extracted, peak bytes) for the `pressroom ingest` command."""
    env = {**os.environ, "PREFECT_HOME": str(prefect_home), "PREFECT_LOGGING_LEVEL": "WARNING"}
    env.pop("PREFECT_API_URL", None)
    command = [
        str(Path(sys.executable).with_name("pressroom")),
        "ingest",
        str(corpus),
        "--out",
        str(out),
        "--no-progress",
    ]
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    with PeakMemory(process.pid) as memory:
        output, _ = process.communicate()
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"pressroom ingest failed ({process.returncode})")
    extracted = int(output.split(" extracted")[0].rsplit(" ", 1)[-1])
    return seconds, extracted, memory.peak


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

    plain, pressroom = [], []
    with tempfile.TemporaryDirectory() as scratch:
        corpus = Path(scratch) / "corpus"
        for copy in range(args.copies):  # copies under other paths: new documents to pressroom
            shutil.copytree(args.corpus, corpus / f"copy-{copy}")
        files = sorted(corpus.rglob("*.html.gz"))
        sys.stderr.write(f"{len(files)} pages, {args.rounds} rounds, {os.cpu_count()} cores\n")
        prefect_home = Path(scratch) / "prefect-home"
        run_pressroom(ROOT / "data" / "samples", Path(scratch) / "warm-up", prefect_home)
        for round_ in range(args.rounds):
            plain.append(run_plain(files))
            pressroom.append(run_pressroom(corpus, Path(scratch) / f"out-{round_}", prefect_home))

    def row(name: str, runs: list[tuple[float, int, int]]) -> tuple[str, float, float, int, float]:
        seconds = statistics.median(r[0] for r in runs)
        return name, seconds, len(files) / seconds, runs[0][1], max(r[2] for r in runs) / 2**20

    rows = [
        row("plain trafilatura (1 process)", plain),
        row("pressroom ingest (end to end)", pressroom),
    ]
    print(f"{'system':32} {'seconds':>8} {'pages/s':>8} {'docs':>6} {'peak MiB':>9}")
    for name, seconds, rate, docs, peak in rows:
        print(f"{name:32} {seconds:8.1f} {rate:8.1f} {docs:6d} {peak:9.0f}")
    print(f"pressroom / plain pages-per-second ratio: {rows[1][2] / rows[0][2]:.2f}")


if __name__ == "__main__":
    main()
