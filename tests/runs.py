"""Helpers for tests that run pressroom for real: the console script and queries on its output."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pressroom.dataset import Dataset
from pressroom.dataset.lock import dataset_lock

PRESSROOM = str(Path(sys.executable).with_name("pressroom"))


def run_pressroom(*args: str, prefect_home: Path) -> subprocess.CompletedProcess[str]:
    """The ``pressroom`` console script in Prefect's ephemeral mode (its own PREFECT_HOME)."""
    env = {**os.environ, "PREFECT_HOME": str(prefect_home)}
    env.pop("PREFECT_API_URL", None)
    return subprocess.run(
        [PRESSROOM, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def rows(out: Path | str, query: str) -> list[tuple]:
    """Run ``query`` with DOCS and QUARANTINE standing for the latest version of the dataset's
    two tables (read through their Delta logs, as a reader would)."""
    dataset = Dataset(out)
    documents, quarantine = dataset.documents.read(), dataset.quarantine.read()
    connection = duckdb.connect()
    connection.register("documents_table", documents)
    connection.register("quarantine_table", quarantine)
    query = query.replace("DOCS", "documents_table").replace("QUARANTINE", "quarantine_table")
    return connection.sql(query).fetchall()


@contextmanager
def held_lock(out: Path) -> Iterator[None]:
    """The dataset's lock held by another thread for the block, as by another run."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with dataset_lock(out, "a test holding the lock", wait_s=0):
            taken.set()
            release.wait(timeout=300)

    holder = threading.Thread(target=hold)
    holder.start()
    taken.wait(timeout=30)
    try:
        yield
    finally:
        release.set()
        holder.join(timeout=30)
