"""A temporary local Prefect API server for one CLI run, started before the CLI's own imports.

Without ``PREFECT_API_URL``, Prefect starts a temporary server at a flow's first API call: the
run waits for it after the CLI's imports, and a CLI killed by SIGKILL leaves it running. The
CLI starts the same server itself (Prefect's ``SubprocessASGIServer`` command and environment)
as soon as it knows it will run a flow, so that the server starts while the CLI imports the
flow and starts its sandboxes; the kernel kills it when the CLI exits, however that happens.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path

from pressroom.execution.sandbox import die_with_parent

STARTUP_TIMEOUT_S = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", 120))
"""The first start on a new PREFECT_HOME creates the database, which takes a while."""
STOP_WAIT_S = 5.0
_SERVER_ENV = {
    "PREFECT_UI_ENABLED": "0",
    "PREFECT__SERVER_EPHEMERAL": "1",
    "PREFECT__SERVER_FINAL": "1",
}
"""What Prefect sets for its own temporary server: no UI, an ephemeral server's services."""


class LocalAPIError(RuntimeError):
    """The temporary Prefect server did not start."""


class TemporaryServer:
    """Prefect's API server on a free 127.0.0.1 port, in a child process that dies with this
    one; its output goes to a temporary file, read back only to say why it failed.

    Start it from the thread that runs the flow: the kernel kills the child when the thread that
    started it ends."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self._output = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        prefect_parent = Path(find_spec("prefect").origin).parent.parent  # no prefect import
        cli = os.getpid()

        def die_with_cli() -> None:  # between fork and exec, in the child
            die_with_parent()
            if os.getppid() != cli:  # the CLI died before the line above
                os._exit(1)

        self._process = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "--app-dir", str(prefect_parent)),
                *("--factory", "prefect.server.api.server:create_app"),
                *("--host", "127.0.0.1", "--port", str(self.port)),
                *("--log-level", "error", "--lifespan", "on"),
            ],
            env={**os.environ, **_SERVER_ENV},
            stdin=subprocess.DEVNULL,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_cli,
        )

    def wait_until_ready(self, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
        """Return once the server answers its health check; raise :class:`LocalAPIError` if it
        exits first or does not answer within ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise LocalAPIError(
                    f"the temporary Prefect server exited (code {self._process.returncode}) "
                    f"before it was ready: {self._last_error()}"
                )
            if healthy(self.port):
                return
            time.sleep(0.1)
        raise LocalAPIError(
            f"the temporary Prefect server did not answer within {timeout_s:g} s "
            f"(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS): {self._last_error()}"
        )

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after a few seconds); safe to call twice."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._output.close()

    def _last_error(self) -> str:
        """The server's last line of output that names an error (or its last line)."""
        self._output.seek(0)
        lines = [line.strip() for line in self._output.read().decode(errors="replace").splitlines()]
        lines = [line for line in lines if line] or ["no output"]
        errors = [line for line in lines if "Error" in line.split(":")[0]]
        return (errors or lines)[-1]


@contextmanager
def temporary_server(enabled: bool = True) -> Iterator[TemporaryServer | None]:
    """A temporary server started now and stopped on leaving; None, and nothing started, when
    not ``enabled`` or when ``PREFECT_API_URL`` names a running server."""
    if not enabled or os.environ.get("PREFECT_API_URL"):
        yield None
        return
    server = TemporaryServer()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def connected(server: TemporaryServer | None) -> Iterator[None]:
    """Prefect pointed at ``server`` (once it is ready) for the enclosed flow calls. On leaving,
    Prefect's log and event workers deliver what they hold while the server still runs."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if server is not None and PREFECT_API_URL.value():  # Prefect's profile names a server
        server.stop()
        server = None
    if server is None:
        yield
        return
    server.wait_until_ready()
    with temporary_settings({PREFECT_API_URL: server.url}):
        try:
            yield
        finally:
            _deliver_logs_and_events()


def _deliver_logs_and_events() -> None:
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=STOP_WAIT_S)
    EventsWorker.drain_all(timeout=STOP_WAIT_S)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthy(port: int) -> bool:
    """Whether a Prefect API server on 127.0.0.1:``port`` answers its health check."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/api/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()
