"""End-to-end throughput: `pressroom ingest` against its peers, on the dev corpus x1 and x4.

Four systems run in this one invocation, in alternating rounds (``--rounds``; every other round
in reverse order; medians compared), on the same pages, at each scale of ``--scales`` (copies of
the corpus under other paths: new documents to pressroom):
- plain: gunzip and `trafilatura.extract(html)` for every page, in one process (its seconds are
  timed from the first page, so without its imports);
- datatrove 0.10.1 (``benchmarks/peers/datatrove_run.py``, in the peers' virtual environment
  ``build/peers``, created on first use from ``benchmarks/peers/requirements.txt``): read the
  pages, its Trafilatura extractor, Parquet, then its MinHash dedup stages 1-4 to a deduplicated
  Parquet, as local pipelines of one task per core on one process per core; its MinHash shaped
  as pressroom's (same words per shingle; pressroom's LSH bands and rows);
- pressroom: the `pressroom ingest` console script with the default workers (one per core), as a
  user runs it (Prefect ephemeral mode, extraction sandboxes, site boilerplate, filters, repair,
  dedup, the Delta dataset);
- pressroom, 1 process: the same pipeline as plain function calls in one process, without
  Prefect or sandboxes (``benchmarks/one_process.py``): the one-process figure of the pipeline.

Each system's seconds are the wall time of its process (but for plain, above); its CPU seconds
are the user and system time of its whole process tree, forkserver children included: counted
by the kernel in a cgroup v2 of its own (``cpu.stat``, read once every process in it has
exited), or, where no cgroup can be made, summed from the last value of ``/proc/PID/stat`` seen
for each process of the tree, sampled every 100 ms (a lower bound); the method is printed. Peak
memory is the largest summed RSS of the process tree, sampled every 100 ms, and the largest
summed PSS (shared pages divided among the processes sharing them), sampled every second. For
each pressroom ingest run, its manifest's ``timings_s`` (every key) are added up and compared
with its wall time.

    .venv/bin/python benchmarks/throughput.py --scales 1 --rounds 1   # quick check, x1
    .venv/bin/python benchmarks/throughput.py                         # x1 and x4, 2 rounds
        [--corpus ../shared/dev-corpus/extraction/html] [--scales 1,4] [--rounds 2]

The peers' environment alone (the benchmark makes it when missing):

    python3.11 -m venv build/peers
    build/peers/bin/pip install -r benchmarks/peers/requirements.txt
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
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pressroom.dedup.lsh import lsh_shape
from pressroom.settings import DedupSettings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "dev-corpus" / "extraction" / "html"
PEERS = ROOT / "build" / "peers"
PEERS_REQUIREMENTS = ROOT / "benchmarks" / "peers" / "requirements.txt"


def _tree(pid: int) -> dict[int, list[str]]:
    """``pid`` and all its descendants (Linux /proc): the fields of each one's ``stat`` after
    its name (``fields[1]`` is the parent, ``[11]``/``[12]`` user/system ticks, ``[19]`` the
    start time, ``[21]`` resident pages)."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            stats[int(entry.name)] = fields
        except (OSError, IndexError, ValueError):
            continue
    found, stack = {}, [pid]
    while stack:
        current = stack.pop()
        if current in stats:
            found[current] = stats[current]
        stack.extend(children.get(current, []))
    return found


def tree_pss_bytes(members: Iterable[int]) -> int:
    """Summed proportional set size of the processes ``members``: a page shared by n processes
    counts 1/n in each, so the sum is what the tree really occupies."""
    total = 0
    for member in members:
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
    while the block runs; keeps the last CPU time seen of each of its processes too."""

    def __init__(self, pid: int):
        self.pid, self.peak, self.peak_pss, self._stop = pid, 0, 0, threading.Event()
        self.cpu_ticks: dict[tuple[int, str], int] = {}
        """user + system ticks last seen of each process, by pid and start time."""

    def __enter__(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        count, page = 0, os.sysconf("SC_PAGE_SIZE")
        while not self._stop.is_set():
            tree = _tree(self.pid)
            self.peak = max(self.peak, sum(int(fields[21]) * page for fields in tree.values()))
            if count % 10 == 0:  # reading smaps costs milliseconds per process
                self.peak_pss = max(self.peak_pss, tree_pss_bytes(tree))
            for member, fields in tree.items():
                self.cpu_ticks[member, fields[19]] = int(fields[11]) + int(fields[12])
            count += 1
            time.sleep(0.1)

    @property
    def sampled_cpu_seconds(self) -> float:
        """The tree's CPU seconds as sampled (a lower bound: a process's last 100 ms or less
        before it exits are missed)."""
        return sum(self.cpu_ticks.values()) / os.sysconf("SC_CLK_TCK")


class CpuGroup:
    """A cgroup v2 of its own for one command: the kernel counts the CPU time of every process
    started in it, whether or not anyone waits for them."""

    def __init__(self, parent: Path):
        self.path = parent / f"pressroom-bench-{os.getpid()}-{time.monotonic_ns()}"

    def __enter__(self) -> CpuGroup:
        self.path.mkdir()
        return self

    def enter(self) -> None:
        """Move the calling process in (a subprocess's ``preexec_fn``: before its program
        starts, so that all its descendants are born inside)."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def cpu_seconds(self, wait_s: float = 60.0) -> float:
        """User + system seconds of every process that ran in the group, once all have exited
        (``wait_s`` at most: a process still running then is counted so far)."""
        deadline = time.monotonic() + wait_s
        while (self.path / "cgroup.procs").read_text().strip() and time.monotonic() < deadline:
            time.sleep(0.05)
        stat = dict(line.split() for line in (self.path / "cpu.stat").read_text().splitlines())
        return int(stat["usage_usec"]) / 1e6

    def __exit__(self, *exc_info: object) -> None:
        if not (self.path / "cgroup.procs").read_text().strip():
            self.path.rmdir()


@cache
def cgroup_parent() -> Path | None:
    """The cgroup v2 this process is in, if a child cgroup can be made there; else None."""
    mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    mount = next((line.split()[4] for line in mounts if " - cgroup2 " in line), None)
    groups = Path("/proc/self/cgroup").read_text().splitlines()
    own = next((line[3:] for line in groups if line.startswith("0::")), None)
    if mount is None or own is None:
        return None
    parent = Path(mount) / own.lstrip("/")
    try:
        with CpuGroup(parent):
            pass
    except OSError:  # read-only, not permitted
        return None
    return parent


@dataclass
class Run:
    """One measured run of one system."""

    seconds: float
    process_seconds: float
    cpu_seconds: float
    documents: int
    peak_rss: int
    peak_pss: int
    timings: dict[str, float] = field(default_factory=dict)


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[Run, str]:
    """Run ``command`` to its end: its wall and whole-tree CPU seconds and peak memory (seconds
    and documents left for the caller to fill in) and its standard output."""
    parent = cgroup_parent()
    cgroup = CpuGroup(parent) if parent else None
    with cgroup or nullcontext():
        start = time.perf_counter()
        process = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=cgroup.enter if cgroup else None,
        )
        with PeakMemory(process.pid) as memory:
            output, errors = process.communicate()
        seconds = time.perf_counter() - start
        if process.returncode != 0:
            raise SystemExit(f"{command[:2]} failed ({process.returncode}):\n{errors[-3000:]}")
        cpu = cgroup.cpu_seconds() if cgroup else memory.sampled_cpu_seconds
    return Run(seconds, seconds, cpu, 0, memory.peak, memory.peak_pss), output


def run_plain(files: list[Path]) -> Run:
    """trafilatura.extract on every page in one process; documents are pages with text."""
    code = (
        "import gzip, sys, time, trafilatura\n"
        "start = time.perf_counter(); found = 0\n"
        "for f in sys.argv[1:]:\n"
        "    found += bool(trafilatura.extract(gzip.open(f).read()))\n"
        "print(time.perf_counter() - start, found)\n"
    )
    run, output = measure([sys.executable, "-c", code, *map(str, files)])
    seconds, found = output.split()
    run.seconds, run.documents = float(seconds), int(found)
    return run


def run_datatrove(corpus: Path, out: Path, workers: int) -> Run:
    """datatrove's pipelines in the peers' environment; documents are those extracted."""
    bands, rows = lsh_shape(DedupSettings())
    command = [
        str(peers_python()),
        str(ROOT / "benchmarks" / "peers" / "datatrove_run.py"),
        str(corpus),
        str(out),
        f"--workers={workers}",
        f"--n-grams={DedupSettings().shingle_size}",
        f"--buckets={bands}",
        f"--rows={rows}",
    ]
    run, output = measure(command)
    run.documents = json.loads(output.splitlines()[-1])["extracted"]
    return run


def run_pressroom(corpus: Path, out: Path, prefect_home: Path) -> Run:
    """The `pressroom ingest` command; documents are those extracted; timings its manifest's."""
    env = {**os.environ, "PREFECT_HOME": str(prefect_home), "PREFECT_LOGGING_LEVEL": "WARNING"}
    env.pop("PREFECT_API_URL", None)
    pressroom = str(Path(sys.executable).with_name("pressroom"))
    run, _ = measure([pressroom, "ingest", str(corpus), "--out", str(out), "--no-progress"], env)
    (manifest_file,) = (out / "runs").glob("*.json")
    manifest = json.loads(manifest_file.read_text())
    run.documents, run.timings = manifest["counts"]["extracted"], manifest["timings_s"]
    return run


def run_one_process(corpus: Path, out: Path) -> Run:
    """``benchmarks/one_process.py``: the pipeline in one process; documents are those
    extracted."""
    script = ROOT / "benchmarks" / "one_process.py"
    run, output = measure([sys.executable, str(script), str(out), str(corpus)])
    run.documents = json.loads(output.splitlines()[-1])["extracted"]
    return run


def peers_python() -> Path:
    """The peers' Python, with its environment made from the pinned requirements if missing."""
    python = PEERS / "bin" / "python"
    if not python.exists():
        sys.stderr.write(f"making {PEERS} from {PEERS_REQUIREMENTS}\n")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(PEERS)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "-r", str(PEERS_REQUIREMENTS)]
        subprocess.run(pip, check=True)
    return python


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of each")
    parser.add_argument(
        "--scales", default="1,4", help="copies of the corpus to ingest, one scale after another"
    )
    args = parser.parse_args()
    if not sorted(args.corpus.glob("*.html.gz")):
        raise SystemExit(f"no .html.gz pages under {args.corpus}")
    peers_python()
    cores = os.cpu_count() or 1
    method = (
        "cgroup v2 cpu.stat"
        if cgroup_parent()
        else "/proc/PID/stat samples every 100 ms (lower bound)"
    )
    for copies in (int(scale) for scale in args.scales.split(",")):
        runs, pages = run_scale(args.corpus, copies, args.rounds, cores)
        report(runs, pages, f"{copies} x {pages // copies} pages, {cores} cores, CPU: {method}")


def run_scale(
    source: Path, copies: int, rounds: int, cores: int
) -> tuple[dict[str, list[Run]], int]:
    """Every system ``rounds`` times on ``copies`` copies of the corpus at ``source``; the runs
    and the number of pages."""
    with tempfile.TemporaryDirectory() as scratch:
        corpus = Path(scratch) / "corpus"
        for copy in range(copies):  # copies under other paths: new documents to pressroom
            shutil.copytree(source, corpus / f"copy-{copy}")
        files = sorted(corpus.rglob("*.html.gz"))
        sys.stderr.write(f"{len(files)} pages, {rounds} rounds, {cores} cores\n")
        home = Path(scratch) / "prefect-home"
        run_pressroom(ROOT / "data" / "samples", Path(scratch) / "warm-up", home)
        systems: list[tuple[str, Callable[[Path], Run]]] = [
            ("trafilatura.extract, 1 process", lambda _: run_plain(files)),
            (f"datatrove, {cores} workers", lambda out: run_datatrove(corpus, out, cores)),
            (f"pressroom ingest, {cores} workers", lambda out: run_pressroom(corpus, out, home)),
            ("pressroom pipeline, 1 process", lambda out: run_one_process(corpus, out)),
        ]
        runs: dict[str, list[Run]] = {name: [] for name, _ in systems}
        for round_ in range(rounds):
            order = list(enumerate(systems))
            for number, (name, system) in order if round_ % 2 == 0 else order[::-1]:
                runs[name].append(system(Path(scratch) / f"out-{round_}-{number}"))
                sys.stderr.write(f"round {round_ + 1}: {name}: {runs[name][-1].seconds:.1f} s\n")
    return runs, len(files)


def report(runs: dict[str, list[Run]], pages: int, what: str) -> None:
    """Print medians of each system, the ratios the targets need and the pressroom manifests'
    timings against the wall time."""
    plain, datatrove, pressroom, one_process = runs
    seconds = {name: statistics.median(r.seconds for r in done) for name, done in runs.items()}
    rates = {name: pages / value for name, value in seconds.items()}
    cpu = {name: statistics.median(r.cpu_seconds for r in done) for name, done in runs.items()}
    print(f"\n{what}; median of {len(runs[plain])} rounds")
    print(
        f"{'system':34} {'seconds':>8} {'pages/s':>8} {'docs':>6} {'CPU s':>8} "
        f"{'CPU ms/pg':>9} {'RSS MiB':>8} {'PSS MiB':>8}"
    )
    for name, done in runs.items():
        rss = max(r.peak_rss for r in done) / 2**20
        pss = max(r.peak_pss for r in done) / 2**20
        print(
            f"{name:34} {seconds[name]:8.1f} {rates[name]:8.1f} {done[0].documents:6d} "
            f"{cpu[name]:8.1f} {1000 * cpu[name] / pages:9.1f} {rss:8.0f} {pss:8.0f}"
        )
    process_s = statistics.median(r.process_seconds for r in runs[plain])
    print(f"({plain}: seconds from its first page; its whole process: {process_s:.1f} s)")
    print("\nratios")
    print(f"  pressroom wall / datatrove wall: {seconds[pressroom] / seconds[datatrove]:.2f}")
    print(f"  pressroom pages/s / plain pages/s: {rates[pressroom] / rates[plain]:.2f}")
    overhead = cpu[pressroom] / cpu[one_process]  # the same pages: per page alike
    print(f"  pressroom CPU per page / 1-process CPU per page: {overhead:.2f}")
    print("\npressroom ingest: manifest timings_s against the wall time")
    for number, run in enumerate(runs[pressroom], 1):
        total = sum(run.timings.values())
        parts = ", ".join(f"{key} {value:.2f}" for key, value in run.timings.items())
        print(
            f"  run {number}: {total:.1f} s of {run.seconds:.1f} s wall "
            f"({100 * total / run.seconds:.1f}%): {parts}"
        )


if __name__ == "__main__":
    main()
