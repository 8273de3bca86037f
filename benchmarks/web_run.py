"""Peak memory and wall time of a web run over many hosts: the code before and after, side by side.

Method
------
``--hosts`` servers of ``benchmarks/fetch_throughput.py`` (``CorpusServer``) run on 127.0.0.1,
one port each (so one host each to the fetcher, which keeps its limits and robots.txt per scheme,
host and port). Each serves ``--pages-per-host`` gzipped pages of the extraction dev corpus
(``../shared/dev-corpus/extraction/html``) after a latency drawn from U(``--min-latency``,
``--max-latency``) s, robots.txt included; page k of host h is corpus file (h * pages-per-host
+ k) modulo the corpus size, so beyond the corpus's 1,028 files some URLs serve a page already
served elsewhere (an exact duplicate with another URL, as syndicated releases are).

Every system ingests the same ``urls:FILE`` of all the pages with its ``pressroom ingest``
console script, as a user runs it: its own PREFECT_HOME (Prefect's ephemeral mode), a new
``--out``, ``--allow-private --per-host-delay 0 --fetch-retries 0 --no-progress`` and the
default workers (one per core). Systems run one after another, in the order given, on the same
servers:

- before: ``--before`` (default ``/tmp/pressroom-before/.venv/bin/pressroom``, a checkout of the
  code before issue 12);
- after: this checkout's ``.venv/bin/pressroom``, default chunk size (20,000: one chunk here);
- after, chunked: the same with ``--chunk-size`` ``--chunk`` (500): the run's memory is bounded
  by the chunk, not by the run.

Wall time is from start to exit. Peak memory is the largest summed RSS of the process tree
(sampled every 100 ms) and the largest summed PSS (every second), as ``benchmarks/throughput.py``
measures them (``PeakMemory``); the tree includes Prefect's temporary server and the extraction
and repair processes. "flow MiB" is the peak RSS (VmHWM) of the console script's own process,
which holds the documents between extraction and write: the part a chunk bounds.

A run that exits non-zero or writes no manifest is retried, up to ``--tries`` tries; the table
says how many tries each system took, and for each failed try the reason (the first exception
its stderr names). A try longer than ``--timeout`` s is killed (its process group) and counts as
failed.

Run from the project root (about 5 minutes per system on 2 busy cores with the defaults):

    .venv/bin/python benchmarks/web_run.py [--hosts 100] [--pages-per-host 20]
        [--before /tmp/pressroom-before/.venv/bin/pressroom] [--tries 5] [--timeout 900]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path

from fetch_throughput import CorpusServer, load_pages
from throughput import PeakMemory

ROOT = Path(__file__).resolve().parent.parent
BEFORE = Path("/tmp/pressroom-before/.venv/bin/pressroom")
AFTER = ROOT / ".venv" / "bin" / "pressroom"
CORPUS_FILES = 1028
"""Files in the dev corpus; all are loaded, then served round-robin."""
EXCEPTION = re.compile(r"^[\w.]*(?:Error|Exception): .*$", re.MULTILINE)
NOISE = "asyncio.exceptions.CancelledError"
"""Logged by Prefect's temporary server as it stops after a failed run, not the failure."""


@dataclass
class Outcome:
    """The tries of one system: the figures of the last one, and why the failed ones failed."""

    tries: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    peak_rss: int = 0
    peak_pss: int = 0
    flow_peak: int = 0
    """Peak RSS of the command's own process (the flow, where the documents are kept)."""
    manifest: dict | None = None


def high_water_mark(pid: int) -> int:
    """The peak resident memory of process ``pid`` so far (VmHWM), 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((line for line in status.splitlines() if line.startswith("VmHWM:")), "0 0")
    return int(line.split()[1]) * 1024


def serve(stack: ExitStack, hosts: int, per_host: int, latency: tuple[float, float]) -> list[str]:
    """Start the servers (closed by ``stack``); return the URLs of all their pages."""
    corpus = list(load_pages(CORPUS_FILES).values())
    urls = []
    for host in range(hosts):
        pages = {
            f"/pages/{k:05d}.html": corpus[(host * per_host + k) % len(corpus)]
            for k in range(per_host)
        }
        server = stack.enter_context(CorpusServer(pages, latency, seed=host))
        urls += [server.base_url + path for path in pages]
    return urls


def run_once(command: list[str], home: Path, out: Path, timeout: float) -> tuple[Outcome, str]:
    """One try: the figures, and the reason it failed ("" when it did not)."""
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_LOGGING_LEVEL": "WARNING"}
    env.pop("PREFECT_API_URL", None)
    errors = out.with_name(out.name + ".stderr")
    start = time.perf_counter()
    with errors.open("w") as stderr:
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True
        )
        flow_peak = 0
        with PeakMemory(process.pid) as memory:
            while process.poll() is None:
                flow_peak = max(flow_peak, high_water_mark(process.pid))
                if time.perf_counter() - start > timeout:
                    os.killpg(process.pid, signal.SIGKILL)
                with suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=0.5)
    outcome = Outcome(seconds=time.perf_counter() - start, flow_peak=flow_peak)
    outcome.peak_rss, outcome.peak_pss = memory.peak, memory.peak_pss
    manifests = sorted((out / "runs").glob("*.json"))
    if manifests:
        outcome.manifest = json.loads(manifests[-1].read_text())
    if process.returncode == -signal.SIGKILL:
        return outcome, f"killed after {timeout:g} s"
    if process.returncode != 0 or outcome.manifest is None:
        raised = EXCEPTION.findall(errors.read_text(errors="replace"))
        reason = next((line for line in raised if not line.startswith(NOISE)), "no exception")
        return outcome, f"exit {process.returncode}: {reason[:120]}"
    return outcome, ""


def measure(name: str, command: list[str], folder: Path, tries: int, timeout: float) -> Outcome:
    """Up to ``tries`` tries of ``command`` (each into a new --out under ``folder``); the last
    try's figures."""
    failures: list[str] = []
    for attempt in range(1, tries + 1):
        out = folder / f"out-{attempt}"
        outcome, failure = run_once([*command, "--out", str(out)], folder / "home", out, timeout)
        sys.stderr.write(
            f"{name}, try {attempt}: {outcome.seconds:.1f} s, {failure or 'completed'}\n"
        )
        if not failure:
            break
        failures.append(failure)
    outcome.tries, outcome.failures = attempt, failures
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--pages-per-host", type=int, default=20)
    parser.add_argument("--min-latency", type=float, default=0.05, help="seconds")
    parser.add_argument("--max-latency", type=float, default=0.2, help="seconds")
    parser.add_argument("--before", type=Path, default=BEFORE, help="console script")
    parser.add_argument("--chunk", type=int, default=500, help="chunk size of the third system")
    parser.add_argument("--tries", type=int, default=5, help="per system, while a try fails")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per try")
    args = parser.parse_args()

    options = ["--allow-private", "--per-host-delay", "0", "--fetch-retries", "0"]
    latency = (args.min_latency, args.max_latency)
    outcomes: dict[str, Outcome] = {}
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        urls = serve(stack, args.hosts, args.pages_per_host, latency)
        url_file = scratch / "urls.txt"
        url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
        ingest = ["ingest", f"urls:{url_file}", *options, "--no-progress"]
        after = [str(AFTER), *ingest]
        systems = {
            "before": [str(args.before), *ingest],
            "after": after,
            f"after, --chunk-size {args.chunk}": [*after, "--chunk-size", str(args.chunk)],
        }
        sys.stderr.write(
            f"{len(urls)} URLs on {args.hosts} hosts, latency U({latency[0]:g}, {latency[1]:g}) s,"
            f" {os.cpu_count()} cores\n"
        )
        for number, (name, command) in enumerate(systems.items()):
            folder = scratch / f"system-{number}"
            folder.mkdir()
            outcomes[name] = measure(name, command, folder, args.tries, args.timeout)
    report(outcomes, f"{len(urls)} URLs, {args.hosts} hosts, {os.cpu_count()} cores")


def report(outcomes: dict[str, Outcome], what: str) -> None:
    print(what)
    print(
        f"{'system':26} {'tries':>5} {'seconds':>8} {'RSS MiB':>8} {'PSS MiB':>8} "
        f"{'flow MiB':>8} {'archived':>8} {'docs':>5} {'quar.':>5} {'chunks':>6}"
    )
    for name, outcome in outcomes.items():
        manifest = outcome.manifest or {}
        counts, fetch = manifest.get("counts", {}), manifest.get("fetch", {})
        completed = not outcome.failures or outcome.tries > len(outcome.failures)
        figures = (
            f"{outcome.seconds:8.1f} {outcome.peak_rss / 2**20:8.0f} "
            f"{outcome.peak_pss / 2**20:8.0f} {outcome.flow_peak / 2**20:8.0f} "
            f"{fetch.get('pages_archived', 0):8d} "
            f"{counts.get('written', 0):5d} {counts.get('quarantined', 0):5d} "
            f"{manifest.get('chunks', 0):6d}"
            if completed
            else "  (every try failed)"
        )
        print(f"{name:26} {outcome.tries:5d} {figures}")
    for name, outcome in outcomes.items():
        for number, failure in enumerate(outcome.failures, start=1):
            print(f"{name}, failed try {number}: {failure}")


if __name__ == "__main__":
    main()
