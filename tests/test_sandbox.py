import time

import pytest

from pressroom.sandbox import ItemTimeout, Sandbox, SandboxStartError, WorkerDied
from tests.workers import broken_warm_up, echo_or_fail


def test_results_errors_timeouts_and_crashes_are_told_apart_and_the_next_item_works():
    with Sandbox(echo_or_fail, timeout_s=1.0) as sandbox:
        assert sandbox.run("a") == "A"
        with pytest.raises(ValueError, match="bad item"):
            sandbox.run("raise")
        started = time.monotonic()
        with pytest.raises(ItemTimeout, match="limit of 1 s"):
            sandbox.run("sleep")
        assert time.monotonic() - started < 10
        assert sandbox.run("b") == "B"
        with pytest.raises(WorkerDied, match="exit code 3"):
            sandbox.run("crash")
        assert sandbox.run("c") == "C"


def test_a_child_that_cannot_start_stops_the_run_with_the_reason():
    with (
        Sandbox(echo_or_fail, timeout_s=1.0, warm_up=broken_warm_up) as sandbox,
        pytest.raises(SandboxStartError, match="warm-up failed: ImportError: No module named"),
    ):
        sandbox.run("a")
