"""The command line's fixed cost, before and after, side by side: wall time of one small job.

Two installations of the ``pressroom`` console script run the same jobs in alternating rounds
(``--rounds``, medians compared):
- ingest one small text file (the sample ``002_*``) into a new out folder (Prefect's temporary
  server in both);
- ingest that file again into an out folder that already holds it;
- ingest one file with ``PREFECT_API_URL`` set to a running local ``prefect server start`` (the
  script starts it on a free 127.0.0.1 port and stops it at the end);
- ``extract`` of one page; ``repair`` of a clean page; ``repair`` of the spun seed ``001_*``.

Every job of each installation has its own PREFECT_HOME, warmed by one untimed run first (the
first start on a new PREFECT_HOME creates Prefect's database, which is not what is measured).

    .venv/bin/python benchmarks/cli_startup.py [--rounds 5]
        [--before /tmp/pressroom-before/.venv/bin/pressroom] [--after .venv/bin/pressroom]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pressroom.cli.local_api import healthy

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
CLEAN_PAGE = next(SAMPLES.glob("002_*"))
SPUN_PAGE = next(SAMPLES.glob("001_*"))


@dataclass(frozen=True)
class Job:
    name: str
    command: tuple[str, ...]
    """Arguments after the script; ``{input}`` and ``{out}`` are filled in per round."""
    new_out: bool = False
    """A new out folder every round (else one, filled by the warm-up run)."""
    reuse_server: bool = False


JOBS = (
    Job("ingest 1 new file", ("ingest", "{input}", "--out", "{out}"), new_out=True),
    Job("ingest 1 known file", ("ingest", "{input}", "--out", "{out}")),
    Job(
        "ingest 1 file, running server",
        ("ingest", "{input}", "--out", "{out}"),
        new_out=True,
        reuse_server=True,
    ),
    Job("extract 1 page", ("extract", str(CLEAN_PAGE))),
    Job("repair 1 clean page", ("repair", str(CLEAN_PAGE))),
    Job("repair 1 spun page", ("repair", str(SPUN_PAGE))),
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def prefect_server(prefect: Path, home: Path) -> Iterator[str]:
    """A local ``prefect server start`` on a free port; yields its API URL."""
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    server = subprocess.Popen(
        [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while not healthy(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Prefect server did not start")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/api"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


class Setup:
    """One installation's PREFECT_HOME and out folders for one job."""

    def __init__(self, script: str, job: Job, work: Path, label: str, api_url: str | None):
        self.script, self.job = script, job
        self.folder = work / f"{label}-{job.name.replace(' ', '-').replace(',', '')}"
        self.home = self.folder / "prefect-home"
        self.home.mkdir(parents=True)
        self.inputs = self.folder / "in"
        self.inputs.mkdir()
        shutil.copy(CLEAN_PAGE, self.inputs)
        self.env = {**os.environ, "PREFECT_HOME": str(self.home)}
        self.env.pop("PREFECT_API_URL", None)
        if api_url:
            self.env["PREFECT_API_URL"] = api_url
        self.rounds = 0

    def run(self) -> float:
        """Seconds the job took (the warm-up is the first call)."""
        out = self.folder / (f"out-{self.rounds}" if self.job.new_out else "out")
        self.rounds += 1
        arguments = [a.format(input=self.inputs, out=out) for a in self.job.command]
        started = time.perf_counter()
        done = subprocess.run(
            [self.script, *arguments], env=self.env, capture_output=True, text=True, check=False
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"{self.script} {' '.join(arguments)}: {done.stderr[-2000:]}")
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", default="/tmp/pressroom-before/.venv/bin/pressroom")
    parser.add_argument("--after", default=str(ROOT / ".venv" / "bin" / "pressroom"))
    args = parser.parse_args()
    scripts = {"before": args.before, "after": args.after}
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the start")
    for label, script in scripts.items():
        print(f"{label}: {script}")

    with tempfile.TemporaryDirectory(prefix="cli-startup-") as folder:
        work = Path(folder)
        prefect = Path(args.after).with_name("prefect")
        with prefect_server(prefect, work / "server-home") as api_url:
            setups = {
                (job, label): Setup(script, job, work, label, api_url if job.reuse_server else None)
                for job in JOBS
                for label, script in scripts.items()
            }
            print("warm-up: one untimed run per job and installation (own PREFECT_HOME each)")
            for setup in setups.values():
                setup.run()
            times: dict[tuple[Job, str], list[float]] = {key: [] for key in setups}
            for round_number in range(args.rounds):
                order = list(scripts) if round_number % 2 == 0 else list(reversed(scripts))
                for job in JOBS:
                    for label in order:
                        times[(job, label)].append(setups[(job, label)].run())
                print(f"round {round_number + 1} of {args.rounds} done")

    print(f"\nmedian wall time of {args.rounds} rounds, seconds (warm PREFECT_HOME)")
    print(f"{'job':<32}{'before':>8}{'after':>8}{'after/before':>14}")
    for job in JOBS:
        before = statistics.median(times[(job, "before")])
        after = statistics.median(times[(job, "after")])
        print(f"{job.name:<32}{before:>8.2f}{after:>8.2f}{after / before:>14.2f}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
