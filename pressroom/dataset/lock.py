"""One writer at a time per dataset: an advisory lock on ``OUT/.pressroom.lock``.

The lock is an ``flock`` on an open file, so the operating system releases it when the holder
exits in any way, ``kill -9`` included; a stale lock file is harmless. It is re-entrant within a
thread: the command line takes it before it starts Prefect (so that ``--wait-for-lock`` is kept
to the second), and the flow it then runs in the same thread holds it already; a flow run by a
deployment takes it itself.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

LOCK_FILE = ".pressroom.lock"
_POLL_S = 0.5
_held = threading.local()
"""``paths``: the datasets whose lock the current thread holds."""


class DatasetLocked(RuntimeError):
    """Another run holds the dataset's lock for longer than this run would wait."""


@contextmanager
def dataset_lock(out: Path, holder: str, wait_s: float) -> Iterator[None]:
    """Hold the lock of the dataset ``out`` for the block, waiting up to ``wait_s`` for it; a
    thread that holds it already just goes on."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_FILE
    held: set[Path] = _held.__dict__.setdefault("paths", set())
    key = path.resolve()
    if key in held:
        yield
        return
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DatasetLocked(
                        f"{out} is being written by another pressroom run "
                        f"({_holder(path)}); gave up after waiting {wait_s:g} s"
                    ) from None
                time.sleep(min(_POLL_S, remaining))
        note = {"holder": holder, "pid": os.getpid(), "since": datetime.now(UTC).isoformat()}
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(note).encode(), 0)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
    finally:
        os.close(descriptor)  # releases the lock


def lock_held(out: Path) -> bool:
    """Whether this thread holds the lock of the dataset ``out`` already."""
    return (out / LOCK_FILE).resolve() in _held.__dict__.get("paths", set())


def _holder(path: Path) -> str:
    try:
        note = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return "holder unknown"
    return f"{note.get('holder', '?')}, pid {note.get('pid', '?')}, since {note.get('since', '?')}"
