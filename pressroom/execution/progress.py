"""A tiny progress channel from pipeline stages to whoever displays it (the CLI's live display).

A stage calls :func:`expect` as it learns of work (a run in chunks expects more at every chunk)
and :func:`advance` as it finishes some; without a listener (deployments, tests) both do nothing.
Each stage counts in its own unit (:data:`UNITS`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

STAGES = ("fetch", "extract", "boilerplate", "repair", "deduplicate", "write")
"""The stages of a run, in order (``fetch`` for web sources only)."""
UNITS = {
    "fetch": "URLs",
    "extract": "files",
    "boilerplate": "docs",
    "repair": "docs",
    "deduplicate": "docs",
    "write": "rows",
}

Listener = Callable[[str, int, int], None]
"""Called with (stage, items done, items newly expected) each time a stage reports."""

_lock = threading.Lock()
_listener: Listener | None = None


def set_listener(listener: Listener | None) -> None:
    global _listener
    with _lock:
        _listener = listener


def expect(stage: str, items: int) -> None:
    """``stage`` has ``items`` more to do (it starts, or a later chunk adds work)."""
    _report(stage, 0, items)


def advance(stage: str, done: int = 1) -> None:
    """``stage`` finished ``done`` items."""
    _report(stage, done, 0)


def _report(stage: str, done: int, expected: int) -> None:
    with _lock:
        if _listener is not None:
            _listener(stage, done, expected)
