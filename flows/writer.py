"""One writer at a time per dataset, on one machine or many.

A local dataset has its lock file (``Dataset.lock``: an flock, which the command line takes
before it starts Prefect). A run that reports to a Prefect server (a deployment's run) also takes
the server's global concurrency limit named after the dataset, so that runs on several machines
writing one dataset (an object store, or a shared folder) take turns with their deduplication
and commits; a run the command line started on a local dataset holds the lock file already and
takes the lock file only. A run killed while it holds the limit's slot frees it when the slot's
lease ends (``LEASE_S``). Delta's conditional commits refuse a commit made on a stale version in
any case.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.settings import PREFECT_API_URL

from pressroom.dataset.dataset import Dataset
from pressroom.dataset.lock import DatasetLocked

LEASE_S = 60.0
"""The slot's lease (the server's shortest), renewed while the run holds it."""
MIN_LIMIT_WAIT_S = 10.0
"""The shortest wait for the global limit: taking a free slot is a few requests to the server,
which a wait of 0 s (enough for the local lock) would not allow."""


def limit_name(dataset: Dataset) -> str:
    """The global concurrency limit of ``dataset``: readable, and unique by a hash of where it
    is."""
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "-", dataset.out).strip("-")[-60:]
    digest = hashlib.sha256(dataset.out.encode()).hexdigest()[:10]
    return f"pressroom-dataset-{readable}-{digest}"


@contextmanager
def one_writer(dataset: Dataset, holder: str, wait_s: float) -> Iterator[None]:
    """Hold the dataset's lock (and, on a Prefect server, its global concurrency limit of one
    slot) for the block, waiting up to ``wait_s`` for each."""
    command_line = dataset.lock_held()
    with dataset.lock(holder, wait_s), ExitStack() as stack:
        if PREFECT_API_URL.value() and not command_line:
            name = limit_name(dataset)
            _ensure_limit(name)
            try:
                timeout = max(wait_s, MIN_LIMIT_WAIT_S)
                stack.enter_context(
                    concurrency(
                        name, occupy=1, timeout_seconds=timeout, lease_duration=LEASE_S, strict=True
                    )
                )
            except TimeoutError:
                raise DatasetLocked(
                    f"{dataset.out} is being written by another pressroom run (Prefect global "
                    f"concurrency limit {name}); gave up after waiting {timeout:g} s"
                ) from None
        yield


def _ensure_limit(name: str) -> None:
    """Create the limit ``name`` with one slot unless it exists (an operator may have changed
    it: it is left as it is)."""
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            with suppress(ObjectAlreadyExists):  # another run created it first
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=1)
                )
