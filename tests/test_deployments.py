"""The deployments of prefect.yaml served for real.

A local ``prefect server start`` (SQLite in a temporary PREFECT_HOME, then a fresh PostgreSQL
database), a process work pool, ``prefect deploy --all`` from the repository root, a worker, and
runs triggered with ``prefect deployment run``, as docs/operations.md describes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import httpx
import pytest
import yaml
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.objects import FlowRun
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.ingest import ingest
from tests.conftest import ROOT

PREFECT = str(Path(sys.executable).with_name("prefect"))
POOL = "pressroom-process"
POSTGRES_ADMIN_DSN = os.environ.get(
    "PRESSROOM_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)
"""An existing database to connect to while creating and dropping the test's own database."""

SERVER_START_S = 120
COMMAND_S = 120
RUN_S = 240


def deployments() -> list[dict]:
    return yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]


def test_prefect_yaml_parameters_fit_the_flow_signature():
    by_name = {deployment["name"]: deployment for deployment in deployments()}
    assert {"ingest-manual", "ingest-web", "reprocess-raw"} <= by_name.keys()
    for deployment in by_name.values():
        assert deployment["entrypoint"] == "flows/ingest.py:ingest"
        assert deployment["work_pool"]["name"] == POOL
        ingest.validate_parameters(deployment["parameters"])  # raises if they do not fit
    assert [s["cron"] for s in by_name["ingest-web"]["schedules"]] == ["0 */6 * * *"]
    assert "schedules" not in by_name["reprocess-raw"]


class Service:
    """A long-running CLI command in its own session, its output in a log file."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path, log: Path) -> None:
        self.log = log
        with log.open("wb") as stream:
            self.process = subprocess.Popen(
                args,
                env=env,
                cwd=cwd,
                stdout=stream,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def tail(self, chars: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM the process group, SIGKILL it if it lingers, then kill what it started in
        sessions of their own (Prefect runs each flow run in a new session)."""
        pid = self.process.pid
        descendants = _descendants(pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            self.process.wait(10)
        for group in {pid, *(_group_of(child) for child in descendants + _descendants(pid))}:
            if group is not None and group != os.getpgrp():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(group, signal.SIGKILL)


def _descendants(pid: int) -> list[int]:
    """The live descendants of ``pid``, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrefectServer:
    """A ``prefect server start`` on 127.0.0.1 and the environment of commands that use it."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.folder, self.port = folder, _free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        # No scheduler: ingest-web's cron must not hand the worker a run that fetches the web.
        command = f"server start --host 127.0.0.1 --port {self.port} --no-ui --no-scheduler"
        self.service = Service([PREFECT, *command.split()], env, folder, folder / "server.log")
        self.env = {**env, "PREFECT_API_URL": self.api_url}

    def wait_until_healthy(self) -> None:
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.service.process.poll() is not None:
                pytest.fail(f"prefect server exited:\n{self.service.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200:
                    return
            time.sleep(0.5)
        pytest.fail(f"prefect server not healthy after {SERVER_START_S} s:\n{self.service.tail()}")

    def prefect(self, *args: str) -> str:
        """Run a ``prefect`` command against the server from the repository root; its output."""
        done = subprocess.run(
            [PREFECT, *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=COMMAND_S,
            check=False,
        )
        assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    @contextlib.contextmanager
    def client(self) -> Iterator[SyncPrefectClient]:
        with (
            temporary_settings({PREFECT_API_URL: self.api_url}),
            get_client(sync_client=True) as client,
        ):
            yield client


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """The connection URL of a new PostgreSQL database, dropped afterwards."""
    asyncpg = pytest.importorskip("asyncpg", reason="asyncpg (Prefect's PostgreSQL driver) missing")
    name = f"pressroom_test_{uuid.uuid4().hex[:12]}"

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=10)
        try:
            await connection.execute(statement, timeout=60)
        finally:
            await connection.close()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_ADMIN_DSN}: {error}")
    try:
        yield (
            urlsplit(POSTGRES_ADMIN_DSN)
            ._replace(scheme="postgresql+asyncpg", path=f"/{name}")
            .geturl()
        )
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PrefectServer]:
    """A Prefect server with a process work pool and the deployments of prefect.yaml."""
    home = tmp_path / "prefect-home"
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env |= {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PRESSROOM_ROOT": str(ROOT),
    }
    if request.param == "postgresql":
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = request.getfixturevalue("postgres_database")
    prefect_server = PrefectServer(env, tmp_path)
    try:
        prefect_server.wait_until_healthy()
        yield prefect_server
    finally:
        prefect_server.service.stop()


@pytest.fixture
def work_pool(server: PrefectServer) -> str:
    server.prefect("work-pool", "create", POOL, "--type", "process")
    return POOL


@pytest.fixture
def worker(server: PrefectServer, work_pool: str, tmp_path: Path) -> Iterator[Service]:
    """A process worker polling the pool every second, started away from the checkout: the
    deployments' pull step takes each flow run to PRESSROOM_ROOT."""
    elsewhere = tmp_path / "worker"
    elsewhere.mkdir()
    service = Service(
        [PREFECT, "worker", "start", "--pool", work_pool, "--no-create-pool-if-not-found"],
        {**server.env, "PREFECT_WORKER_QUERY_SECONDS": "1"},
        elsewhere,
        tmp_path / "worker.log",
    )
    try:
        yield service
    finally:
        service.stop()


def run_deployment(server: PrefectServer, name: str, **parameters: str) -> str:
    """``prefect deployment run`` with ``--param key=JSON``; the new flow run's id."""
    args = [arg for key, value in parameters.items() for arg in ("--param", f"{key}={value}")]
    output = server.prefect("deployment", "run", f"ingest/{name}", *args)
    return re.search(r"UUID: ([0-9a-f-]{36})", output).group(1)


def wait_for(server: PrefectServer, worker: Service, run_ids: list[str]) -> list[FlowRun]:
    """The flow runs once all are in a final state; fails after RUN_S seconds."""
    deadline = time.monotonic() + RUN_S
    with server.client() as client:
        while True:
            runs = [client.read_flow_run(run_id) for run_id in run_ids]
            if all(run.state and run.state.is_final() for run in runs):
                return runs
            if time.monotonic() > deadline or worker.process.poll() is not None:
                states = [run.state.name if run.state else None for run in runs]
                pytest.fail(f"flow runs not finished ({states}):\n{worker.tail()}")
            time.sleep(1)


def count(out: Path) -> int:
    """Rows in the documents table, whatever its partitioning."""
    query = f"select count(*) from read_parquet('{out}/documents/**/*.parquet')"
    return duckdb.sql(query).fetchall()[0][0]


@pytest.mark.prefect
def test_deployments_run_on_a_process_worker(server, worker, samples, warc_file, tmp_path):
    server.prefect("--no-prompt", "deploy", "--all")
    with server.client() as client:
        web = client.read_deployment_by_name("ingest/ingest-web")
        reprocess = client.read_deployment_by_name("ingest/reprocess-raw")
    assert [s.schedule.cron for s in web.schedules] == ["0 */6 * * *"]
    assert web.parameters["sources_file"] == "data/sources.yaml"
    assert reprocess.schedules == [] and reprocess.work_pool_name == POOL
    assert reprocess.global_concurrency_limit.limit == 1
    assert reprocess.concurrency_options.collision_strategy.value == "ENQUEUE"
    assert reprocess.pull_steps[0]["prefect.deployments.steps.set_working_directory"] == {
        "directory": str(ROOT)
    }

    out, raw_out = tmp_path / "out", tmp_path / "raw-out"
    archive = raw_out / "raw" / "20250101T000000Z-0000000a"
    archive.mkdir(parents=True)
    shutil.copy(warc_file, archive / "pages-0-00000.warc.gz")
    run_ids = [
        run_deployment(server, "ingest-manual", out=str(out), paths=f'["{samples}"]'),
        run_deployment(server, "reprocess-raw", out=str(raw_out), paths=f'["{raw_out / "raw"}"]'),
    ]

    runs = wait_for(server, worker, run_ids)
    assert [run.state.type.value for run in runs] == ["COMPLETED", "COMPLETED"], worker.tail()
    assert runs[0].parameters == {"out": str(out), "paths": [str(samples)]}
    assert count(out) == 5
    assert count(raw_out) == 2
    assert len(list((out / "runs").glob("*.json"))) == 1
