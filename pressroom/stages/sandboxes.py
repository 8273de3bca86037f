"""The run's sandbox processes, shared by the stages that work document by document: extraction
and repair send their documents to the same ``workers`` processes, forked from a server that has
loaded both stages' code and data once (``sandbox_preload``)."""

from __future__ import annotations

from pressroom.execution.sandbox import Sandbox, SandboxPool, start_fork_server
from pressroom.repair import warm_up as warm_up_repair
from pressroom.stages.base import DocumentStage
from pressroom.stages.extract import warm_up as warm_up_extraction

PRELOAD: tuple[str, ...] = DocumentStage.preload or ()
"""What the fork server imports."""


def warm_up() -> None:
    """Load what extraction and repair need (done once in the fork server: then at no cost in
    each sandbox forked from it)."""
    warm_up_extraction()
    warm_up_repair()


def start_server() -> None:
    """Start the sandboxes' fork server now, in the background, so that the first sandbox
    starts warm."""
    start_fork_server(PRELOAD)


def sandbox_pool(workers: int) -> SandboxPool:
    """``workers`` sandboxes, each applying whatever function a stage sends it."""
    return SandboxPool([Sandbox(warm_up=warm_up, preload=PRELOAD) for _ in range(workers)])
