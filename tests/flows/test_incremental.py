"""Runs that append to one dataset: incremental dedup, concurrent writers, a killed run."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.concurrency.sync import concurrency

from pressroom.dataset import Dataset
from pressroom.dataset.lock import DatasetLocked, dataset_lock
from pressroom.dataset.maintenance import canonical_documents, compact, read_table
from pressroom.flows.ingest import ingest
from pressroom.flows.writer import limit_name
from pressroom.settings import IngestSettings
from tests.pages import PARAGRAPHS, article_html
from tests.runs import held_lock, rows

pytestmark = pytest.mark.prefect
ORIGINAL = Path(__file__).parents[1] / "fixtures" / "us_mission_joint_statement_original.txt"


@pytest.fixture
def inputs(samples: Path, tmp_path: Path) -> dict[str, Path]:
    """One file per name: the seeds, the clean original of seed 001, and related pages."""
    files = {path.name[:3]: path for path in samples.glob("*.txt")}
    extra = tmp_path / "extra"
    extra.mkdir()
    pages = {
        "original": ("original.txt", ORIGINAL.read_text()),
        "copy": ("copy-of-002.txt", files["002"].read_text()),
        "release": ("release.html", article_html("Cyber statement", PARAGRAPHS)),
        "updated": (
            "release-updated.html",
            article_html("Cyber statement", [*PARAGRAPHS, "Notes to editors: call the desk."]),
        ),
    }
    for name, (file, text) in pages.items():
        (extra / file).write_text(text)
        files[name] = extra / file
    return files


def run(names: list[str], inputs: dict[str, Path], out: Path, **options) -> dict:
    return ingest(paths=[str(inputs[name]) for name in names], out=str(out), **options)


def clusters(out: Path) -> set[frozenset[str]]:
    found: dict[str, set[str]] = {}
    for doc_id, cluster_id in rows(out, "select doc_id, cluster_id from DOCS"):
        found.setdefault(cluster_id, set()).add(doc_id)
    return {frozenset(members) for members in found.values()}


def canonicals(out: Path) -> set[str]:
    return set(canonical_documents(Dataset(out)).column("doc_id").to_pylist())


def test_three_overlapping_runs_give_the_dataset_of_one_run(prefect_api, inputs, tmp_path):
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    run(list(inputs), inputs, whole)

    run(["000", "001", "002", "updated"], inputs, parts)
    second = run(["002", "copy", "original", "release"], inputs, parts)
    third = run(["003", "004", "release", "original"], inputs, parts)

    assert second["counts"]["known"] == 1 and third["counts"]["known"] == 2  # not re-extracted
    assert second["counts"]["earlier_duplicates"] >= 1
    assert rows(parts, "select count(*) from DOCS") == rows(whole, "select count(*) from DOCS")
    assert clusters(parts) == clusters(whole)
    assert canonicals(parts) == canonicals(whole)
    reasons = Dataset(parts).cluster_changes.read(["reason"]).column("reason").to_pylist()
    assert "a clean document replaces a spun canonical" in reasons


def test_concurrent_runs_wait_for_each_other(prefect_api, inputs, tmp_path):
    out = tmp_path / "out"
    results: dict[str, dict] = {}

    def ingest_in_thread(name: str, names: list[str]) -> None:
        results[name] = run(names, inputs, out)

    threads = [
        threading.Thread(target=ingest_in_thread, args=("a", ["000", "001", "002"])),
        threading.Thread(target=ingest_in_thread, args=("b", ["002", "003", "copy"])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert set(results) == {"a", "b"}
    assert rows(out, "select count(*), count(distinct doc_id) from DOCS") == [(5, 5)]
    assert len(clusters(out)) == 4  # 002 and its copy together


def test_a_run_that_cannot_get_the_lock_fails_clearly(prefect_api, inputs, tmp_path):
    out = tmp_path / "out"
    with (
        held_lock(out),
        pytest.raises(DatasetLocked, match="being written by another pressroom run"),
    ):
        run(["000"], inputs, out, settings=IngestSettings(lock_wait_s=0.5))
    assert not (out / "documents").exists()
    with dataset_lock(out, "this thread", wait_s=0), dataset_lock(out, "again", wait_s=0):
        settings = IngestSettings(lock_wait_s=0)
        run(["000"], inputs, out, settings=settings)  # the thread holding it runs the flow
    assert rows(out, "select count(*) from DOCS") == [(1,)]


KILL_DURING_WRITE = """
import os, signal, sys
from pressroom.dataset.table import Table

real_write = Table.write

def die_before_the_documents_commit(self, rows, metadata, updates=None):
    if self.spec.name != "documents":
        return real_write(self, rows, metadata, updates)
    # the chunk's quarantine and change commits are made; a data file without its commit, as
    # a write killed before committing leaves it, then the kill
    orphan = os.path.join(sys.argv[1], "documents", "part-orphan.parquet")
    with open(orphan, "wb") as file:
        file.write(b"PAR1 half a data file")
    os.kill(os.getpid(), signal.SIGKILL)

Table.write = die_before_the_documents_commit
from pressroom.flows.ingest import ingest
ingest(paths=sys.argv[2:], out=sys.argv[1])
"""


def test_a_run_killed_while_writing_leaves_a_readable_dataset_and_reruns_cleanly(
    prefect_api, inputs, tmp_path
):
    names = ["000", "001", "002", "copy", "release"]
    uninterrupted, out = tmp_path / "uninterrupted", tmp_path / "out"
    for dataset in (uninterrupted, out):
        run(["003"], inputs, dataset)  # history before the crash
    run(names, inputs, uninterrupted)

    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    }
    env.pop("PREFECT_API_URL", None)
    paths = [str(inputs[name]) for name in names]
    log = tmp_path / "killed.log"
    with log.open("wb") as output:
        killed = subprocess.Popen(
            [sys.executable, "-c", KILL_DURING_WRITE, str(out), *paths],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its Prefect server and sandboxes go with it below
        )
        try:
            returncode = killed.wait(timeout=300)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(killed.pid, signal.SIGKILL)
    assert returncode == -signal.SIGKILL, log.read_text()[-2000:]
    assert rows(out, "select count(*) from DOCS") == [(1,)]  # nothing half-written is visible

    run(names, inputs, out)
    assert rows(out, "select count(*), count(distinct doc_id) from DOCS") == [(6, 6)]
    assert clusters(out) == clusters(uninterrupted)
    assert canonicals(out) == canonicals(uninterrupted)


def test_compaction_rewrites_files_without_changing_what_readers_see(prefect_api, inputs, tmp_path):
    out = tmp_path / "out"
    for names in (["000", "001"], ["002", "copy"], ["003", "original"]):
        run(names, inputs, out)
    dataset = Dataset(out)
    before = read_table(dataset, "documents").sort_by("doc_id")
    canonical_before, version_before = canonicals(out), dataset.documents.version()
    files_before = len(dataset.documents.open().file_uris())

    done = compact(dataset)["documents"]
    assert done.removed == files_before > done.added == 1
    assert read_table(dataset, "documents").sort_by("doc_id").equals(before)
    assert canonicals(out) == canonical_before
    pinned = read_table(dataset, "documents", version_before).sort_by("doc_id")
    assert pinned.equals(before)  # a reader of the version before compaction still reads it


def test_runs_on_other_machines_take_turns_through_the_servers_concurrency_limit(
    prefect_api, inputs, tmp_path
):
    """Another machine's run holds the dataset's global concurrency limit (its local lock is
    elsewhere): a run here waits for it, then goes on once it is released."""
    out = tmp_path / "out"
    run(["000"], inputs, out)  # creates the limit, with one slot
    name = limit_name(Dataset(out))
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(name).limit == 1
    taken, release = threading.Event(), threading.Event()

    def other_machine() -> None:
        with concurrency(name, occupy=1, timeout_seconds=30, strict=True):
            taken.set()
            release.wait(timeout=120)

    holder = threading.Thread(target=other_machine)
    holder.start()
    assert taken.wait(timeout=60)
    try:
        with pytest.raises(DatasetLocked, match=f"global concurrency limit {name}"):
            run(["001"], inputs, out, settings=IngestSettings(lock_wait_s=1))
    finally:
        release.set()
        holder.join(timeout=60)
    run(["001"], inputs, out, settings=IngestSettings(lock_wait_s=1))
    assert rows(out, "select count(*) from DOCS") == [(2,)]
