"""Run functions on items in a child process, with a wall-clock limit per item.

Extraction libraries can hang or crash on pathological HTML (timeouts exist only in
trafilatura's CLI). A child that overruns its limit or dies is killed and replaced; the item
fails with a clear reason and the next item goes on.

Children are forked from a server process (multiprocessing's ``forkserver``) that has imported
the modules of the function once, so a new child starts in milliseconds instead of importing
everything again. :func:`start_fork_server` starts that server ahead of the first child.

A child is not tied to one function: each ``map`` names the function to apply (sent to the child
once, when it changes), so one set of children serves every stage of a run that works document by
document.

No child outlives the run's process, even one killed by SIGKILL: the fork server exits when that
process does, and the kernel kills each child when the fork server exits.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import queue
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any


class ItemTimeout(Exception):
    """The item did not finish within the time limit."""


class SandboxStartError(RuntimeError):
    """The child process could not start (a broken installation): the run must stop."""


class WorkerDied(Exception):
    """The child process died while working on the item (for example a crash in C code)."""


@dataclass(frozen=True)
class Outcome:
    """What became of one item: the function's result, or the error it ended with."""

    item: Any
    result: Any = None
    error: Exception | None = None


_START_TIMEOUT_S = 120.0
_END = object()
_PRCTL = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)
"""Linux's prctl(2), found ahead of any fork (None on other systems)."""
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class _Use:
    """Tells a child which function to apply to the items that follow."""

    function: Callable[[Any], Any]


def die_with_parent() -> None:
    """Have the kernel kill this process (SIGKILL) when its parent exits, however the parent
    ends (Linux only). Safe to call between fork and exec."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


def start_fork_server(preload: Sequence[str]) -> None:
    """Start the fork server that children are forked from, importing the ``preload`` modules,
    unless it runs already. It starts in the background: call this early, and the first child
    need not wait for those imports."""
    mp.get_context("forkserver").set_forkserver_preload(list(preload))
    forkserver.ensure_running()


def _leave_fork_server() -> None:
    """Tie this child's life to the run's process. multiprocessing gives each child a copy of
    the pipe that keeps the fork server alive (for children of its own): closed, the fork server
    exits as soon as the run's process does, and the kernel then kills this child."""
    alive = forkserver._forkserver._forkserver_alive_fd
    if alive is not None:
        os.close(alive)
        forkserver._forkserver._forkserver_alive_fd = None
    die_with_parent()


def _serve(warm_up: Callable[[], None] | None, connection: Connection) -> None:
    _leave_fork_server()
    try:
        if warm_up is not None:
            warm_up()
    except Exception as error:  # the parent raises it: a broken set-up must stop the run
        connection.send(f"warm-up failed: {type(error).__name__}: {error}")
        return
    connection.send("ready")
    function: Callable[[Any], Any] | None = None
    while True:
        try:
            item = connection.recv()
        except EOFError:
            return
        if isinstance(item, _Use):
            function = item.function
            continue
        try:
            connection.send((True, function(item)))
        except Exception as error:  # reported to the parent, which decides what it means
            connection.send((False, error))


def _modules(*functions: Callable | None) -> list[str]:
    """The modules defining ``functions`` (unwrapping ``functools.partial``)."""
    return sorted({getattr(f, "func", f).__module__ for f in functions if f is not None})


class Sandbox:
    """A child process applying functions to items; use as a context manager.

    ``function`` and ``timeout_s`` are what :meth:`map` uses unless told otherwise. ``warm_up``
    runs once in each new child before the clock starts (imports, model loading), so that the
    time limit measures the work on the item alone. ``preload`` names the modules the fork server
    imports when this sandbox is the first to start it (default: the modules of ``function`` and
    ``warm_up``).
    """

    def __init__(
        self,
        function: Callable[[Any], Any] | None = None,
        timeout_s: float | None = None,
        warm_up: Callable[[], None] | None = None,
        preload: Sequence[str] | None = None,
    ):
        self._function = function
        self._warm_up = warm_up
        self._preload = _modules(function, warm_up) if preload is None else list(preload)
        self._timeout_s = timeout_s
        self._context = mp.get_context("forkserver")
        self._process: mp.process.BaseProcess | None = None
        self._connection: Connection | None = None
        self._applies: Callable[[Any], Any] | None = None
        """The function the running child applies."""

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def run(self, item: Any) -> Any:
        """``function(item)`` computed in the child; its exceptions are re-raised here."""
        (outcome,) = self.map([item])
        if outcome.error is not None:
            raise outcome.error
        return outcome.result

    def map(
        self,
        items: Iterable[Any],
        function: Callable[[Any], Any] | None = None,
        timeout_s: float | None = None,
    ) -> Iterator[Outcome]:
        """The outcome of ``function`` on each item, in order, each within ``timeout_s`` (by
        default the sandbox's own function and limit).

        The next item is taken from ``items`` (read from disk, say) while the child works on the
        current one, and sent as soon as the child is free, so that the child never waits for it.
        """
        function, timeout_s = function or self._function, timeout_s or self._timeout_s
        if function is None or timeout_s is None:
            raise ValueError("a sandbox needs a function and a time limit")
        pending = iter(items)
        current = next(pending, _END)
        undelivered = None if current is _END else self._send(current, function)
        try:
            while current is not _END:
                following = next(pending, _END)
                outcome = undelivered or self._receive(current, timeout_s)
                undelivered = None if following is _END else self._send(following, function)
                current = following
                yield outcome
        finally:
            if current is not _END and undelivered is None:  # nobody will read its answer
                self._kill()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self._process is not None:
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
        self._process = self._connection = None

    def _send(self, item: Any, function: Callable[[Any], Any]) -> Outcome | None:
        """Hand ``item`` to the child (started first if needed), after ``function`` if the child
        applies another one; an outcome only if that failed."""
        if self._process is None:
            self._start()
        assert self._connection is not None
        try:
            messages = [ForkingPickler.dumps(item)]
            if self._applies != function:
                messages.insert(0, ForkingPickler.dumps(_Use(function)))
        except Exception as error:  # an item that cannot be pickled fails alone
            return Outcome(item, error=error)
        try:
            for message in messages:
                self._connection.send_bytes(message)
        except OSError as error:
            return Outcome(item, error=self._died(error))
        self._applies = function
        return None

    def _receive(self, item: Any, timeout_s: float) -> Outcome:
        """The child's answer for ``item`` within ``timeout_s``, or why there is none."""
        assert self._connection is not None
        try:
            if not self._connection.poll(timeout_s):
                self._kill()
                limit = f"took longer than the limit of {timeout_s:g} s"
                return Outcome(item, error=ItemTimeout(limit))
            message = self._connection.recv_bytes()
        except (EOFError, OSError) as error:
            return Outcome(item, error=self._died(error))
        try:
            ok, value = ForkingPickler.loads(message)
        except Exception as error:  # a result that cannot be unpickled here fails alone
            return Outcome(item, error=error)
        return Outcome(item, result=value) if ok else Outcome(item, error=value)

    def _died(self, error: Exception) -> WorkerDied:
        """Why the child could not take or answer an item; it is gone and replaced next time."""
        if self._process is not None:
            self._process.join(timeout=5)  # let it finish dying, so its exit code is known
        code = self._process.exitcode if self._process else None
        self._kill()
        died = WorkerDied(f"process died (exit code {code})")
        died.__cause__ = error
        return died

    def _start(self) -> None:
        start_fork_server(self._preload)
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(self._warm_up, child), daemon=True)
        process.start()
        child.close()
        self._process, self._connection, self._applies = process, parent, None
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
        self._process = self._connection = self._applies = None


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

    @property
    def size(self) -> int:
        return len(self._all)

    @contextmanager
    def borrow(self) -> Iterator[Sandbox]:
        """An idle sandbox, waiting for one if all are busy."""
        sandbox = self._idle.get()
        try:
            yield sandbox
        finally:
            self._idle.put(sandbox)
