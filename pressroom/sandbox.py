"""Run a function on items in a child process, with a wall-clock limit per item.

Extraction libraries can hang or crash on pathological HTML (timeouts exist only in
trafilatura's CLI). A child that overruns its limit or dies is killed and replaced; the item
fails with a clear reason and the next item goes on.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any


class ItemTimeout(Exception):
    """The item did not finish within the time limit."""


class SandboxStartError(RuntimeError):
    """The child process could not start (a broken installation): the run must stop."""


class WorkerDied(Exception):
    """The child process died while working on the item (for example a crash in C code)."""


_START_TIMEOUT_S = 120.0


def _serve(
    function: Callable[[Any], Any], warm_up: Callable[[], None] | None, connection: Connection
) -> None:
    try:
        if warm_up is not None:
            warm_up()
    except Exception as error:  # the parent raises it: a broken set-up must stop the run
        connection.send(f"warm-up failed: {type(error).__name__}: {error}")
        return
    connection.send("ready")
    while True:
        try:
            item = connection.recv()
        except EOFError:
            return
        try:
            connection.send((True, function(item)))
        except Exception as error:  # reported to the parent, which decides what it means
            connection.send((False, error))


class Sandbox:
    """A child process applying ``function``; use as a context manager.

    ``warm_up`` runs once in each new child before the clock starts (imports, model loading), so
    that the time limit measures the work on the item alone.
    """

    def __init__(
        self,
        function: Callable[[Any], Any],
        timeout_s: float,
        warm_up: Callable[[], None] | None = None,
    ):
        self._function = function
        self._warm_up = warm_up
        self._timeout_s = timeout_s
        self._context = mp.get_context("spawn")
        self._process: mp.process.BaseProcess | None = None
        self._connection: Connection | None = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def run(self, item: Any) -> Any:
        """``function(item)`` computed in the child; its exceptions are re-raised here."""
        if self._process is None:
            self._start()
        assert self._connection is not None
        try:
            self._connection.send(item)
            if not self._connection.poll(self._timeout_s):
                self._kill()
                raise ItemTimeout(f"took longer than the limit of {self._timeout_s:g} s")
            ok, value = self._connection.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError) as error:
            if self._process is not None:
                self._process.join(timeout=5)  # let it finish dying, so its exit code is known
            code = self._process.exitcode if self._process else None
            self._kill()
            raise WorkerDied(f"extraction process died (exit code {code})") from error
        if not ok:
            raise value
        return value

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self._process is not None:
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
        self._process = self._connection = None

    def _start(self) -> None:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(self._function, self._warm_up, child), daemon=True
        )
        process.start()
        child.close()
        self._process, self._connection = process, parent
        try:
            status = parent.recv() if parent.poll(_START_TIMEOUT_S) else "no answer"
        except EOFError:
            status = "it exited"
        if status != "ready":
            self._kill()
            raise SandboxStartError(f"the sandbox process could not start: {status}")

    def _kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join()
        if self._connection is not None:
            self._connection.close()
        self._process = self._connection = None


class SandboxPool:
    """A fixed set of sandboxes shared by concurrent batches: each batch borrows one.

    Children live as long as the pool, so their start-up and warm caches are paid once per
    worker, not once per batch.
    """

    def __init__(self, sandboxes: Sequence[Sandbox]):
        self._all = list(sandboxes)
        self._idle: queue.Queue[Sandbox] = queue.Queue()
        for sandbox in self._all:
            self._idle.put(sandbox)

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for sandbox in self._all:
            sandbox.close()

    @contextmanager
    def borrow(self) -> Iterator[Sandbox]:
        """An idle sandbox, waiting for one if all are busy."""
        sandbox = self._idle.get()
        try:
            yield sandbox
        finally:
            self._idle.put(sandbox)
