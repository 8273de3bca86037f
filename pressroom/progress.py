"""A tiny progress channel from pipeline stages to whoever displays it (the CLI's progress bar).

Stages call :func:`advance`; without a listener (deployments, tests) it does nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Listener = Callable[[str, int, int | None], None]
"""Called with (stage, items done since the last call, total items of the stage or None)."""

_lock = threading.Lock()
_listener: Listener | None = None


def set_listener(listener: Listener | None) -> None:
    global _listener
    with _lock:
        _listener = listener


def advance(stage: str, done: int, total: int | None = None) -> None:
    with _lock:
        if _listener is not None:
            _listener(stage, done, total)
