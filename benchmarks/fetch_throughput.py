"""Fetch throughput and politeness against a local server with realistic latency.

Method
------
The first ``--pages`` files of the extraction dev corpus (``../shared/dev-corpus/extraction/
html/*.html.gz``, sorted by name) are served from a ``ThreadingHTTPServer`` on 127.0.0.1 in a
background thread (HTTP/1.1, keep-alive), one host. Pages are served as stored: gzipped, with
``Content-Encoding: gzip`` and ``Content-Type: text/html`` (no charset: the corpus mixes
encodings, so the pipeline detects it as it would on the web). ``/robots.txt`` allows everything.
Every response, robots.txt included, first sleeps a latency drawn uniformly from
[``--min-latency``, ``--max-latency``] (seeded RNG). The server records the start and end
(``time.monotonic``) of each request: start when the request has been parsed, end just before the
response is written, so a slot the client frees is never counted twice. The server sets
TCP_NODELAY: headers and body go out in two writes, and with Nagle's algorithm the body would wait
for the client's delayed ACK (about 40 ms a response on Linux, a 25% loss that is the server's).
From the records:

- peak: the most requests the server was handling at once (must be <= the limit);
- gap ms: the shortest time between two request starts (``per_host_delay_s`` is 0 here);
- busy / at C: share of the window (first start to last end) with at least one request,
  and with ``--concurrency`` requests, in flight;
- ideal: ``concurrency / mean handling time of the pages``, the page rate the per-host limit
  allows when every slot is always busy. The ratio observed/ideal is compared with the target
  of 0.8 from the issue.

Part 1 (fetch only): ``fetch_urls`` over all URLs with one ``Fetcher`` (no retries, no delay,
the limit ``--concurrency``); pages/s = usable results / wall time of the call.

Part 2 (the ``ingest`` flow, Prefect ephemeral mode with a temporary ``PREFECT_HOME``): the URLs
go in a ``urls:FILE`` source, with the same fetch settings and ``--workers`` extraction
processes. Fetch-phase pages/s = ``pages_archived / manifest["fetch"]["seconds"]``. The flow
fetches one host in batches of ``FetchSettings.batch_size`` URLs, one after another (robots.txt
read once per run; a batch is archived while the next one is fetched), and extracts each batch
while later
ones are fetched. The overlap is measured by sampling, every 50 ms, the CPU time of the extraction
sandbox processes (the ``spawn`` children of this process): the share of their CPU time spent
inside the server's fetch window (their start-up, importing trafilatura, included).
The details name the idle time (nothing in flight) and the time with a single request in flight
(the tail of each batch, where its last request runs alone). "extract tail"
is ``timings_s["extract"] - timings_s["fetch"]``: how long extraction went on after the last
batch was fetched.

Run from the project root (about 70 s with the defaults on 2 cores, 2 minutes with 600 pages):

    .venv/bin/python benchmarks/fetch_throughput.py [--pages 300] [--concurrency 2]
        [--workers 2] [--min-latency 0.05] [--max-latency 0.2] [--seed 0]
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import os
import random
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pressroom.settings import FetchSettings
from pressroom.web.fetcher import fetch_urls

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared" / "dev-corpus" / "extraction" / "html"
TARGET = 0.8
"""Observed page rate / the rate the per-host limit allows, from the issue."""
ROBOTS = b"User-agent: *\nAllow: /\n"


@dataclass(frozen=True)
class Served:
    """One request as the server saw it."""

    path: str
    start: float
    end: float


class CorpusServer(ThreadingHTTPServer):
    """Serves gzipped corpus pages under ``/pages/NNNNN.html`` after a random latency."""

    daemon_threads = True

    def __init__(self, pages: dict[str, bytes], latency: tuple[float, float], seed: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pages = pages
        self.latency_range = latency
        self.log: list[Served] = []
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def latency(self) -> float:
        with self._lock:
            return self._rng.uniform(*self.latency_range)

    def record(self, served: Served) -> None:
        with self._lock:
            self.log.append(served)

    def __enter__(self) -> CorpusServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    """TCP_NODELAY (see the module docstring)."""
    server: CorpusServer

    def do_GET(self) -> None:
        start = time.monotonic()
        time.sleep(self.server.latency())
        headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
        status, body = 200, self.server.pages.get(self.path)
        if self.path == "/robots.txt":
            body, headers = ROBOTS, [("Content-Type", "text/plain")]
        elif body is None:
            status, body, headers = 404, b"not found", [("Content-Type", "text/plain")]
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.server.record(Served(self.path, start, time.monotonic()))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass(frozen=True)
class Politeness:
    """What the server saw during one part."""

    requests: int
    pages: int
    mean_page_s: float
    max_in_flight: int
    min_gap_s: float
    window: tuple[float, float]
    busy: float
    """Share of the window with at least one request in flight."""
    at_limit: float
    """Share of the window with ``concurrency`` requests in flight."""
    idle_gaps: list[float]
    """Times with nothing in flight inside the window, in order."""
    robots_s: float
    """Summed handling time of the robots.txt requests."""

    def ideal(self, concurrency: int) -> float:
        """Pages per second the per-host limit allows at the latency actually served."""
        return concurrency / self.mean_page_s


def politeness(log: list[Served], concurrency: int) -> Politeness:
    """Concurrency, spacing and occupancy of the requests in ``log``."""
    if not any(served.path.startswith("/pages/") for served in log):
        raise SystemExit("the server saw no page requests")
    events = sorted([(s.start, 1) for s in log] + [(s.end, -1) for s in log])  # ends first
    in_flight = most = 0
    busy = at_limit = 0.0
    previous = events[0][0]
    idle_gaps = []
    for moment, change in events:
        if in_flight == 0 and moment > previous:
            idle_gaps.append(moment - previous)
        busy += (moment - previous) * (in_flight >= 1)
        at_limit += (moment - previous) * (in_flight >= concurrency)
        in_flight += change
        most = max(most, in_flight)
        previous = moment
    starts = sorted(s.start for s in log)
    window = (starts[0], max(s.end for s in log))
    span = window[1] - window[0]
    pages = [s.end - s.start for s in log if s.path.startswith("/pages/")]
    return Politeness(
        requests=len(log),
        pages=len(pages),
        mean_page_s=statistics.fmean(pages),
        max_in_flight=most,
        min_gap_s=min((b - a for a, b in itertools.pairwise(starts)), default=0.0),
        window=window,
        busy=busy / span,
        at_limit=at_limit / span,
        idle_gaps=idle_gaps,
        robots_s=sum(s.end - s.start for s in log if s.path == "/robots.txt"),
    )


class SandboxCpu:
    """Samples the CPU time of this process's ``spawn`` children (the extraction sandboxes)."""

    def __init__(self, interval_s: float = 0.05) -> None:
        self.samples: list[tuple[float, float]] = []
        self._interval = interval_s
        self._ticks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SandboxCpu:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        parent, hertz = os.getpid(), os.sysconf("SC_CLK_TCK")
        while True:
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    if int(fields[1]) != parent:
                        continue
                    if b"spawn_main" not in (entry / "cmdline").read_bytes():
                        continue
                except (OSError, IndexError, ValueError):
                    continue
                self._ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
            self.samples.append((time.monotonic(), sum(self._ticks.values()) / hertz))
            if self._stop.wait(self._interval):
                return

    def at(self, moment: float) -> float:
        """Sandbox CPU seconds used up to ``moment`` (the last sample before it)."""
        index = bisect.bisect_right([t for t, _ in self.samples], moment) - 1
        return self.samples[index][1] if index >= 0 else 0.0

    @property
    def total(self) -> float:
        return self.samples[-1][1] if self.samples else 0.0


def load_pages(count: int) -> dict[str, bytes]:
    """The first ``count`` corpus files (sorted), gzipped as stored, by URL path."""
    files = sorted(CORPUS.glob("*.html.gz"))[:count]
    if not files:
        raise SystemExit(f"no .html.gz pages under {CORPUS}")
    return {f"/pages/{number:05d}.html": file.read_bytes() for number, file in enumerate(files)}


@dataclass(frozen=True)
class Row:
    """One line of the result table."""

    name: str
    pages: int
    seconds: float
    seen: Politeness

    def cells(self, concurrency: int) -> str:
        rate, ideal = self.pages / self.seconds, self.seen.ideal(concurrency)
        verdict = "ok" if rate / ideal >= TARGET else "MISS"
        return (
            f"{self.name:22} {self.pages:5d} {self.seconds:7.1f} {rate:7.2f} "
            f"{ideal:6.2f} {rate / ideal:5.2f} {verdict:>4} "
            f"{self.seen.max_in_flight:4d} {self.seen.min_gap_s * 1000:6.1f} "
            f"{self.seen.busy:5.0%} {self.seen.at_limit:5.0%} {self.seen.requests:5d}"
        )


def fetch_only(server: CorpusServer, urls: list[str], concurrency: int) -> tuple[Row, dict]:
    """Part 1: one ``fetch_urls`` call over all URLs."""
    settings = FetchSettings(
        allow_private=True, per_host_concurrency=concurrency, per_host_delay_s=0, retries=0
    )
    mark = len(server.log)
    clock = time.perf_counter()
    results, stats = fetch_urls(urls, {}, settings)
    seconds = time.perf_counter() - clock
    ok = sum(result.ok for result in results)
    seen = politeness(server.log[mark:], concurrency)
    return Row("fetch_urls (1 Fetcher)", ok, seconds, seen), stats.as_dict()


def ingest_flow(
    server: CorpusServer, urls: list[str], concurrency: int, workers: int, scratch: Path
) -> tuple[Row, dict, dict]:
    """Part 2: the ``ingest`` flow on a ``urls:FILE`` source; the row, manifest and extras."""
    os.environ["PREFECT_HOME"] = str(scratch / "prefect-home")
    os.environ.pop("PREFECT_API_URL", None)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from pressroom.flows.ingest import ingest
    from pressroom.settings import FetchSettings, IngestSettings

    url_file = scratch / "urls.txt"
    url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    mark = len(server.log)
    clock = time.perf_counter()
    with SandboxCpu() as cpu:
        manifest = ingest(
            paths=[f"urls:{url_file}"],
            out=str(scratch / "out"),
            settings=IngestSettings(
                fetch=FetchSettings(
                    allow_private=True,
                    per_host_concurrency=concurrency,
                    per_host_delay_s=0,
                    retries=0,
                ),
                workers=workers,
            ),
        )
    total = time.perf_counter() - clock
    seen = politeness(server.log[mark:], concurrency)
    fetch = manifest["fetch"]
    row = Row(f"ingest flow ({workers} workers)", fetch["pages_archived"], fetch["seconds"], seen)
    during = cpu.at(seen.window[1]) - cpu.at(seen.window[0])
    extras = {"total_s": total, "cpu_total": cpu.total, "cpu_during_fetch": during}
    return row, manifest, extras


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300, help="first N corpus files (sorted)")
    parser.add_argument("--concurrency", type=int, default=2, help="per-host request limit")
    parser.add_argument("--workers", type=int, default=2, help="extraction processes (flow)")
    parser.add_argument("--min-latency", type=float, default=0.05, help="seconds")
    parser.add_argument("--max-latency", type=float, default=0.2, help="seconds")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    pages = load_pages(args.pages)
    latency = (args.min_latency, args.max_latency)
    c = args.concurrency
    with (
        CorpusServer(pages, latency, args.seed) as server,
        tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as scratch,
    ):
        urls = [server.base_url + path for path in pages]
        print(
            f"{len(urls)} pages on {server.base_url}, latency U({latency[0]:g}, {latency[1]:g}) s,"
            f" per-host limit {c}, {os.cpu_count()} cores",
            flush=True,
        )
        fetch_row, fetch_stats = fetch_only(server, urls, c)
        flow_row, manifest, extras = ingest_flow(server, urls, c, args.workers, Path(scratch))

    print()
    print(
        f"{'part':22} {'pages':>5} {'seconds':>7} {'pages/s':>7} {'ideal':>6} {'ratio':>5} "
        f"{'vs .8':>4} {'peak':>4} {'gap ms':>6} {'busy':>5} {'at C':>5} {'reqs':>5}"
    )
    print(fetch_row.cells(c))
    print(flow_row.cells(c))
    print()
    print(
        f"fetch_urls: {fetch_stats['requests']} requests by the Fetcher (robots.txt included), "
        f"statuses {fetch_stats['statuses']}, {fetch_stats['failed']} failed"
    )
    fetch, timings, window = manifest["fetch"], manifest["timings_s"], flow_row.seen.window
    batches = -(-len(urls) // FetchSettings.batch_size)
    print(
        f"ingest flow: {fetch['requests']} requests ({batches} batches of up to "
        f"{FetchSettings.batch_size}), statuses {fetch['statuses']}, "
        f"{fetch['failed']} failed; server window {window[1] - window[0]:.1f} s"
    )
    seen = flow_row.seen
    gaps = seen.idle_gaps
    print(
        f"ingest flow: nothing in flight for {sum(gaps):.2f} s in {len(gaps)} gaps; "
        f"robots.txt served for {seen.robots_s:.2f} s; one request in flight for "
        f"{(seen.busy - seen.at_limit) * (window[1] - window[0]):.2f} s"
    )
    tail = timings["extract"] - timings["fetch"]
    stages = ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in timings.items())
    print(
        f"ingest flow: total {extras['total_s']:.1f} s; timings_s {stages}; "
        f"extract tail after fetch {tail:.1f} s"
    )
    share = extras["cpu_during_fetch"] / extras["cpu_total"] if extras["cpu_total"] else 0.0
    print(
        f"ingest flow: {manifest['counts']['written']} documents written, "
        f"{manifest['counts']['quarantined']} quarantined; extraction CPU "
        f"{extras['cpu_total']:.1f} s, {share:.0%} of it inside the fetch window"
    )


if __name__ == "__main__":
    main()
