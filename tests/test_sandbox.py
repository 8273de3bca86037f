import time

import pytest

from pressroom.execution.sandbox import ItemTimeout, Sandbox, SandboxStartError, WorkerDied
from tests.workers import broken_warm_up, echo_or_fail, process_id


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


def test_map_gives_each_items_outcome_in_order_and_fetches_the_next_item_meanwhile():
    taken: list[str] = []

    def items():
        for item in ["a", "raise", "sleep", "b", "crash", "c"]:
            taken.append(item)
            yield item

    seen = []
    with Sandbox(echo_or_fail, timeout_s=1.0) as sandbox:
        for outcome in sandbox.map(items()):
            seen.append((outcome.item, outcome.result, type(outcome.error).__name__))
            if outcome.item == "a":
                assert taken == ["a", "raise"]  # taken while the child worked on "a"
    assert seen == [
        ("a", "A", "NoneType"),
        ("raise", None, "ValueError"),
        ("sleep", None, "ItemTimeout"),
        ("b", "B", "NoneType"),
        ("crash", None, "WorkerDied"),
        ("c", "C", "NoneType"),
    ]


def test_a_map_left_unfinished_does_not_leave_its_last_item_to_the_next_run():
    with Sandbox(echo_or_fail, timeout_s=5.0) as sandbox:
        outcomes = sandbox.map(["a", "b"])
        assert next(outcomes).result == "A"
        outcomes.close()  # "b" was already handed to the child
        assert sandbox.run("c") == "C"


def test_one_child_serves_several_functions_each_with_its_own_time_limit():
    def pid(sandbox: Sandbox, item: str) -> int:
        (outcome,) = sandbox.map([item], process_id, timeout_s=5.0)
        return outcome.result[1]

    with Sandbox() as sandbox:
        first = pid(sandbox, "a")
        echoed = sandbox.map(["b", "c"], echo_or_fail, timeout_s=5.0)
        assert [outcome.result for outcome in echoed] == ["B", "C"]
        assert pid(sandbox, "d") == first  # the same child, told of each new function
        (slow,) = sandbox.map(["sleep"], echo_or_fail, timeout_s=0.5)
        assert isinstance(slow.error, ItemTimeout) and "limit of 0.5 s" in str(slow.error)
        assert pid(sandbox, "e") != first  # the child that overran was replaced


def test_a_map_needs_a_function_and_a_time_limit():
    with pytest.raises(ValueError, match="a function and a time limit"):
        next(Sandbox().map(["a"]))
