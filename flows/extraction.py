"""The extract stage of the ``ingest`` flow: batches of files extracted as concurrent tasks, on the
run's sandbox processes, or on a Dask cluster."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType

import cloudpickle
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.settings import PREFECT_API_URL
from prefect.task_runners import TaskRunner
from prefect.utilities.annotations import quote

from pressroom import pipeline
from pressroom.execution import progress
from pressroom.execution.sandbox import SandboxPool, SandboxStartError
from pressroom.settings import ReadSettings
from pressroom.stages.extract import Extract

DAEMONIC_WORKER = (
    "this Dask worker runs tasks in a daemonic process, which may not start the extraction "
    "sandbox: start the workers with DASK_DISTRIBUTED__WORKER__DAEMON=False (Dask config "
    "distributed.worker.daemon: False) or with --no-nanny"
)
NO_API_URL = (
    "PREFECT_API_URL is not set: each Dask worker starts a temporary Prefect server of its own "
    "to record its task runs; set PREFECT_API_URL to a Prefect server the workers can reach"
)
Submit = Callable[[list[str], frozenset[str]], PrefectFuture]
"""Submits the extraction of some files (skipping pages whose doc_id is in the set)."""


@task(name="extract-batch", cache_policy=NO_CACHE, persist_result=False)
def extract_batch(
    files: list[str],
    extract: Extract,
    read: ReadSettings,
    sandboxes: SandboxPool | None,
    known: frozenset[str],
) -> pipeline.BatchResult:
    """Extract ``files`` in a sandbox borrowed from ``sandboxes``, or without a pool (on a Dask
    worker, where the flow's pool cannot travel) in a sandbox of the batch's own."""
    if sandboxes is None and multiprocessing.current_process().daemon:
        raise SandboxStartError(DAEMONIC_WORKER)  # daemonic processes may not have children
    result = pipeline.extract_files(files, extract, read, sandboxes, known)
    get_run_logger().info(
        "%d files: %d documents, %d quarantined",
        len(files),
        len(result.documents),
        len(result.failures),
    )
    return result


@contextmanager
def extraction(
    extract: Extract,
    read: ReadSettings,
    sandboxes: SandboxPool,
    dask_address: str | None,
    flow_module: ModuleType,
) -> Iterator[Submit]:
    """A function submitting an extract-batch task for some files: to the flow's task runner,
    on the run's ``sandboxes``, or to the Dask cluster at ``dask_address`` (the tasks carry the
    flow run's context, so the workers must be able to load ``flow_module``, the flow's)."""
    if not dask_address:
        # quote(known): Prefect takes the ids as they are, without visiting each one
        yield lambda files, known: extract_batch.submit(
            files, extract, read, sandboxes, quote(known)
        )
        return
    if flow_module.__name__ != "pressroom.flows.ingest":
        # loaded from its file path, as deployments load it, the flow's module is unknown to
        # the workers by its name: its functions travel by value
        cloudpickle.register_pickle_by_value(flow_module)
    with dask_runner(dask_address) as runner:

        def submit(files: list[str], known: frozenset[str]) -> PrefectFuture:
            parameters = {
                "files": files,
                "extract": extract,
                "read": read,
                "sandboxes": None,
                "known": quote(known),
            }
            future = runner.submit(extract_batch, parameters)
            # the workers' progress calls reach no listener: advance once the batch is back
            future.add_done_callback(lambda _: progress.advance("extract", len(files)))
            return future

        yield submit


def dask_runner(address: str) -> TaskRunner:
    """A task runner on the Dask cluster whose scheduler is at ``address``."""
    from prefect_dask import DaskTaskRunner  # imported only here: distributed is slow to import

    if not PREFECT_API_URL.value():  # the run's settings travel with each task
        get_run_logger().warning(NO_API_URL)
    return DaskTaskRunner(address=address)
