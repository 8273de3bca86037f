"""Functions run inside sandbox child processes by the tests (importable by name)."""

import os
import time
from dataclasses import replace

from pressroom.schemas import Document
from pressroom.stages.base import DocumentStage


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


def process_id(item: str) -> tuple[str, int]:
    """The item and the process that saw it."""
    return item, os.getpid()


class StampProcess(DocumentStage):
    """Sets each document's ``site`` to the id of the process that saw it."""

    name = "stamp"
    timeout_s = 5.0

    def process(self, doc: Document) -> Document:
        return replace(doc, site=str(os.getpid()))
