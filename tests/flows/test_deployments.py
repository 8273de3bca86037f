"""The deployments of prefect.yaml served for real.

A local ``prefect server start`` with its scheduler on (SQLite in a temporary PREFECT_HOME, then a
fresh PostgreSQL database), a process work pool, ``prefect deploy --all`` from the repository
root, a worker, and runs of every deployment triggered with ``prefect deployment run``, as
docs/operations.md describes. Web sources are served on localhost.
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
from datetime import UTC
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.client.schemas.objects import Deployment, FlowRun, StateType
from prefect.settings import PREFECT_API_URL, temporary_settings
from pytest_httpserver import HTTPServer

from pressroom.dataset import Dataset
from pressroom.flows.deployment import (
    ROOT_VARIABLE,
    CheckoutNotFound,
    checkout_root,
    enter_checkout,
)
from pressroom.flows.ingest import ingest
from tests.conftest import ROOT
from tests.pages import PARAGRAPHS, article_html

PREFECT = str(Path(sys.executable).with_name("prefect"))
POOL = "pressroom-process"
POSTGRES_ADMIN_DSN = os.environ.get(
    "PRESSROOM_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)
"""An existing database to connect to while creating and dropping the test's own database."""

SERVER_START_S = 120
COMMAND_S = 120
RUN_S = 240
SCHEDULE_S = 60
SCHEDULER_LOOP_S = 1
"""The scheduler's loop interval here (Prefect's default is 60 s)."""


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
    """A ``prefect server start`` on 127.0.0.1, its scheduler on and looping every
    SCHEDULER_LOOP_S seconds, and the environment of commands that use it."""

    def __init__(self, env: dict[str, str], folder: Path, database: str) -> None:
        self.folder, self.port, self.database = folder, _free_port(), database
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        command = f"server start --host 127.0.0.1 --port {self.port} --no-ui --scheduler"
        quick = {  # the scheduler's loop; a run waiting for its deployment's slot checks again
            "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": str(SCHEDULER_LOOP_S),
            "PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": "1",
        }
        self.service = Service(
            [PREFECT, *command.split()], {**env, **quick}, folder, folder / "server.log"
        )
        self.env = {**env, "PREFECT_API_URL": self.api_url}

    def scheduler_errors(self) -> list[str]:
        """The errors of the server's scheduler in its log (a failed loop is logged, then the
        next one starts), such as ``ERROR | docket.dependencies - ... schedule_deployments()``."""
        lines = self.service.log.read_text(errors="replace").splitlines()
        return [line for line in lines if "| ERROR" in line and "schedul" in line.lower()]

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

    def prefect(self, *args: str, env: dict[str, str] | None = None) -> str:
        """Run a ``prefect`` command against the server from the repository root, with ``env``
        added to its environment; its output."""
        done = subprocess.run(
            [PREFECT, *args],
            env={**self.env, **(env or {})},
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
    env.pop(ROOT_VARIABLE, None)  # given to `prefect deploy` alone: the worker gets it from there
    env |= {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    if request.param == "postgresql":
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = request.getfixturevalue("postgres_database")
    prefect_server = PrefectServer(env, tmp_path, request.param)
    try:
        prefect_server.wait_until_healthy()
        yield prefect_server
    finally:
        prefect_server.service.stop()


@pytest.fixture
def work_pool(server: PrefectServer) -> str:
    server.prefect("work-pool", "create", POOL, "--type", "process")
    return POOL


@contextlib.contextmanager
def running_worker(server: PrefectServer, pool: str, folder: Path) -> Iterator[Service]:
    """A process worker polling the pool every second, started away from the checkout and
    without PRESSROOM_ROOT: the deployments' pull step takes each flow run to the checkout."""
    elsewhere = folder / "worker"
    elsewhere.mkdir()
    service = Service(
        [PREFECT, "worker", "start", "--pool", pool, "--no-create-pool-if-not-found"],
        {**server.env, "PREFECT_WORKER_QUERY_SECONDS": "1"},
        elsewhere,
        folder / "worker.log",
    )
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def press_site(httpserver: HTTPServer) -> str:
    """An RSS feed of two press releases served on this machine (localhost); the feed's URL."""
    pages = {
        "/news/statement": article_html("Joint statement on cyber", PARAGRAPHS),
        "/news/debt": article_html("Quarterly debt report", DEBT_REPORT),
    }
    items = "".join(
        f"<item><title>{path}</title><link>{httpserver.url_for(path)}</link>"
        "<pubDate>Tue, 18 Jun 2024 09:00:00 GMT</pubDate></item>"
        for path in pages
    )
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nAllow: /\n", content_type="text/plain"
    )
    httpserver.expect_request("/feed.xml").respond_with_data(
        feed, content_type="application/rss+xml"
    )
    for path, html in pages.items():
        httpserver.expect_request(path).respond_with_data(
            html, content_type="text/html; charset=utf-8"
        )
    return httpserver.url_for("/feed.xml")


DEBT_REPORT = [
    "The finance ministry published its quarterly report on public debt on Tuesday.",
    "Debt fell to 61 percent of output, helped by higher tax receipts and lower interest costs.",
    "The ministry expects the ratio to stabilise next year as spending on energy support ends.",
    "Officials said the figures would be revised in March once final tax data are available.",
]


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


def scheduled_runs(client: SyncPrefectClient, deployment: Deployment) -> list[FlowRun]:
    """The deployment's flow runs in a Scheduled state."""
    return client.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
        flow_run_filter=FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
        ),
    )


def wait_for_scheduled_runs(server: PrefectServer, deployment: Deployment) -> list[FlowRun]:
    """The runs the scheduler creates for ``deployment``; fails on a server error, or after
    SCHEDULE_S seconds without any."""
    deadline = time.monotonic() + SCHEDULE_S
    with server.client() as client:
        while not (runs := scheduled_runs(client, deployment)):
            if server.scheduler_errors():
                pytest.fail(f"the scheduler failed:\n{server.service.tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no scheduled runs after {SCHEDULE_S} s:\n{server.service.tail()}")
            time.sleep(0.5)
    return runs


def stop_schedule(server: PrefectServer, deployment: Deployment) -> None:
    """Pause the deployment and delete the runs its schedule made, so that none becomes due and
    sends the worker to the real web sources of data/sources.yaml during the test."""
    with server.client() as client:
        client.pause_deployment(deployment.id)
        time.sleep(2 * SCHEDULER_LOOP_S)  # a loop that read the deployment before the pause
        for run in scheduled_runs(client, deployment):
            client.delete_flow_run(run.id)
        assert scheduled_runs(client, deployment) == []


def run_logs(server: PrefectServer, run_id: uuid.UUID) -> str:
    with server.client() as client:
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
    return "\n".join(log.message for log in logs)


def count(out: Path) -> int:
    """Rows in the documents table's latest version (none before the first commit)."""
    return Dataset(out).documents.read(["doc_id"]).num_rows


@pytest.mark.prefect
def test_deployments_are_scheduled_and_run_on_a_process_worker(
    server, work_pool, press_site, samples, warc_file, tmp_path
):
    server.prefect("--no-prompt", "deploy", "--all", env={ROOT_VARIABLE: str(ROOT)})
    with server.client() as client:
        web = client.read_deployment_by_name("ingest/ingest-web")
        reprocess = client.read_deployment_by_name("ingest/reprocess-raw")
    assert [s.schedule.cron for s in web.schedules] == ["0 */6 * * *"]
    assert web.parameters["sources_file"] == "data/sources.yaml"
    assert reprocess.schedules == [] and reprocess.work_pool_name == POOL
    assert reprocess.global_concurrency_limit.limit == 1
    assert reprocess.concurrency_options.collision_strategy.value == "ENQUEUE"
    assert reprocess.pull_steps == [
        {"pressroom.flows.deployment.enter_checkout": {"directory": str(ROOT)}}
    ]

    # the scheduler gives ingest-web its upcoming runs, every six hours on the hour (UTC)
    upcoming = wait_for_scheduled_runs(server, web)
    times = [run.expected_start_time.astimezone(UTC) for run in upcoming]
    assert all(run.auto_scheduled for run in upcoming)
    assert all(t.minute == 0 and t.second == 0 and t.hour % 6 == 0 for t in times), times
    stop_schedule(server, web)

    # a run of every deployment
    out, web_out, rebuilt = tmp_path / "out", tmp_path / "web-out", tmp_path / "rebuilt"
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({"sources": [{"feed": press_site}]}))
    archive = rebuilt / "raw" / "20250101T000000Z-0000000a"  # as a web run archives its pages
    archive.mkdir(parents=True)
    shutil.copy(warc_file, archive / "pages-0-00000.warc.gz")
    with running_worker(server, work_pool, tmp_path) as worker:
        triggered = {
            "manual": run_deployment(server, "ingest-manual", out=str(out), paths=f'["{samples}"]'),
            "web": run_deployment(
                server,
                "ingest-web",
                out=str(web_out),
                sources_file=str(sources),
                settings='{"fetch": {"allow_private": true}}',  # a nested object
            ),
            "reprocess": run_deployment(
                server, "reprocess-raw", out=str(rebuilt), paths=f'["{rebuilt / "raw"}"]'
            ),
        }
        if server.database == "sqlite":  # the failures do not depend on the database
            triggered |= trigger_failing_runs(server, tmp_path)
        runs = dict(zip(triggered, wait_for(server, worker, list(triggered.values())), strict=True))

    completed = {name: runs[name].state.type for name in ("manual", "web", "reprocess")}
    assert completed == dict.fromkeys(completed, StateType.COMPLETED), worker.tail()
    assert runs["manual"].parameters == {"out": str(out), "paths": [str(samples)]}
    assert count(out) == 5 and count(web_out) == 2 and count(rebuilt) == 2
    assert len(list((out / "runs").glob("*.json"))) == 1
    assert list((web_out / "raw").glob("*/*.warc.gz"))  # what reprocess-raw reads
    if "missing" in runs:
        missing, unrooted = runs["missing"], runs["unrooted"]
        assert missing.state.type == StateType.FAILED
        assert "input path does not exist: no/such/raw" in missing.state.message
        assert unrooted.state.type == StateType.CRASHED
        assert f"{ROOT_VARIABLE} is not set" in run_logs(server, unrooted.id)
        assert not (tmp_path / "unrooted-out").exists()
    assert server.scheduler_errors() == [], server.service.tail()


def trigger_failing_runs(server: PrefectServer, folder: Path) -> dict[str, str]:
    """Runs that must fail with their reason: reprocess-raw on a folder that does not exist (it
    waits for the slot of the reprocess-raw run before it), and a run of ``unrooted``,
    ingest-manual of prefect.yaml deployed without PRESSROOM_ROOT."""
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    (manual,) = [item for item in config["deployments"] if item["name"] == "ingest-manual"]
    config["deployments"] = [{**manual, "name": "unrooted"}]
    variant = folder / "prefect-unrooted.yaml"
    variant.write_text(yaml.safe_dump(config))
    server.prefect("--no-prompt", "deploy", "--all", "--prefect-file", str(variant))
    return {
        "missing": run_deployment(
            server, "reprocess-raw", out=str(folder / "missing-out"), paths='["no/such/raw"]'
        ),
        "unrooted": run_deployment(server, "unrooted", out=str(folder / "unrooted-out")),
    }


def test_the_pull_step_enters_the_checkout_or_says_how_to_name_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert enter_checkout(str(ROOT)) == {"directory": str(ROOT)}
    assert Path.cwd() == ROOT
    for directory, reason in [
        ("", "PRESSROOM_ROOT is not set"),
        ("pressroom", "PRESSROOM_ROOT=pressroom is not an absolute path"),
        (str(tmp_path), f"PRESSROOM_ROOT={tmp_path} is not a pressroom checkout"),
    ]:
        with pytest.raises(CheckoutNotFound, match=re.escape(reason)) as raised:
            checkout_root(directory)
        assert "PRESSROOM_ROOT=$PWD prefect deploy --all" in str(raised.value)
