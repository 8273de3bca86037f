"""The CLI's child processes: killed with SIGKILL (as the OOM killer does), the CLI leaves no
Prefect server, fork server or sandbox behind; a Prefect server that cannot start is one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from tests.pages import PARAGRAPHS, article_html
from tests.runs import PRESSROOM

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="/proc and PR_SET_PDEATHSIG")
ROOT = Path(__file__).resolve().parent.parent
FORK_SERVER = "multiprocessing.forkserver"


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def descendants(root: int) -> dict[tuple[int, str], str]:
    """Every process below ``root``: (pid, start time) to its command line."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            children[int(fields[1])].append(int(entry.name))
    found: dict[tuple[int, str], str] = {}
    pending = list(children[root])
    while pending:
        pid = pending.pop()
        if fields := _stat(pid):
            found[(pid, fields[19])] = _command(pid)
            pending += children[pid]
    return found


def survivors(processes: dict[tuple[int, str], str], wait_s: float) -> list[str]:
    """The command lines of ``processes`` still running after up to ``wait_s`` seconds."""
    deadline = time.monotonic() + wait_s
    while True:
        running = [
            command
            for (pid, started), command in processes.items()
            if (fields := _stat(pid)) and fields[19] == started and fields[0] != "Z"
        ]
        if not running or time.monotonic() > deadline:
            return running
        time.sleep(0.1)


def wait_for(process: subprocess.Popen, ready, timeout_s: float) -> dict[tuple[int, str], str]:
    """Poll ``process``'s descendants until ``ready(descendants)``; fail if it ends first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        tree = descendants(process.pid)
        if ready(tree):
            return tree
        assert process.poll() is None, f"it ended (exit {process.returncode}) too early"
        time.sleep(0.1)
    pytest.fail(f"not ready within {timeout_s} s: {sorted(descendants(process.pid).values())}")


def sandboxes(tree: dict[tuple[int, str], str]) -> int:
    """Processes forked by the fork server (they keep its command line)."""
    return sum(FORK_SERVER in command for command in tree.values()) - 1


def test_a_sandbox_busy_with_an_item_dies_with_the_process_that_started_it():
    # the sandbox sleeps 60 s on its item: without the kernel's help it would outlive the wait
    script = (
        "from pressroom.execution.sandbox import Sandbox\n"
        "from tests.workers import echo_or_fail\n"
        "with Sandbox(echo_or_fail, timeout_s=600) as sandbox:\n"
        "    sandbox.run('sleep')\n"
    )
    owner = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    try:
        tree = wait_for(owner, lambda tree: sandboxes(tree) >= 1, timeout_s=120)
        time.sleep(0.5)  # the item reaches the sandbox
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait()
    assert survivors(tree, wait_s=10) == []


@pytest.mark.prefect
def test_a_cli_killed_mid_run_leaves_no_prefect_server_fork_server_or_sandbox(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for number in range(300):
        page = article_html(f"Statement {number}", [f"Statement number {number}.", *PARAGRAPHS])
        (inputs / f"{number:03d}.html").write_text(page)
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    cli = subprocess.Popen(
        [PRESSROOM, "ingest", str(inputs), "--out", str(tmp_path / "out"), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def extracting(tree: dict[tuple[int, str], str]) -> bool:
            server = any("uvicorn" in command for command in tree.values())
            return server and sandboxes(tree) >= 1

        tree = wait_for(cli, extracting, timeout_s=240)
    finally:
        cli.send_signal(signal.SIGKILL)
        cli.wait()
    assert survivors(tree, wait_s=10) == []


@pytest.mark.prefect
def test_a_prefect_server_that_cannot_start_is_a_one_line_error(samples, tmp_path):
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = "sqlite+aiosqlite:////no/such/folder/prefect.db"
    done = subprocess.run(
        [PRESSROOM, "ingest", str(samples), "--out", str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: the temporary Prefect server exited (code 3) before it was")
    assert line.endswith("OperationalError) unable to open database file")
