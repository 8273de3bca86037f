"""Functions run inside sandbox child processes by the tests (importable by name)."""

import os
import time


def echo_or_fail(item: str) -> str:
    if item == "sleep":
        time.sleep(60)
    if item == "crash":
        os._exit(3)
    if item == "raise":
        raise ValueError("bad item")
    return item.upper()


def broken_warm_up() -> None:
    raise ImportError("No module named 'py3langid'")
