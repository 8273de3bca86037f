"""A dataset in an object store (S3, served by moto on 127.0.0.1): the real CLI ingests into it,
reruns add nothing, maintenance commands and other readers (Polars) work on it, and concurrent
commits are refused by Delta's conditional writes rather than overwriting each other."""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError

from pressroom.dataset import Dataset
from pressroom.dataset.location import Location
from pressroom.schemas import Document
from tests.conftest import SAMPLES
from tests.dataset.conftest import S3
from tests.pages import document
from tests.runs import run_pressroom

SAMPLE_COUNT = len(list(SAMPLES.iterdir()))


def canonical(doc_id: str) -> Document:
    """A document as deduplication leaves a unique one: the canonical of its own cluster."""
    return replace(document(doc_id, f"Text of release {doc_id}."), cluster_id=doc_id)


def doc_ids(dataset: Dataset) -> list[str]:
    """The documents table's doc_ids, sorted (repeats kept)."""
    return sorted(dataset.documents.read(["doc_id"]).column("doc_id").to_pylist())


@dataclass(frozen=True)
class Ingested:
    """The samples ingested by the CLI into ``uri``, and where the run's Prefect kept its home."""

    s3: S3
    uri: str
    samples: Path
    prefect_home: Path
    stdout: str

    def dataset(self) -> Dataset:
        return Dataset(self.uri, self.s3.options)

    def pressroom(self, *args: str):
        return run_pressroom(*args, *self.s3.flags, prefect_home=self.prefect_home)


@pytest.fixture(scope="module")
def ingested(s3: S3, tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    """The samples ingested into ``s3://BUCKET/ds`` with the options as --storage-option."""
    folder = tmp_path_factory.mktemp("object-store")
    samples = shutil.copytree(SAMPLES, folder / "samples")
    uri = f"{s3.uri}/ds"
    completed = run_pressroom(
        "ingest", str(samples), "--out", uri, "--no-progress", *s3.flags, prefect_home=folder
    )
    assert completed.returncode == 0, completed.stderr
    return Ingested(s3, uri, samples, folder, completed.stdout)


@pytest.mark.prefect
def test_ingest_writes_the_tables_and_the_run_manifest_to_the_bucket(ingested):
    summary = " ".join(ingested.stdout.split())
    assert f"documents {SAMPLE_COUNT}: {SAMPLE_COUNT} written, 0 already" in summary
    dataset = ingested.dataset()
    assert len(set(doc_ids(dataset))) == len(doc_ids(dataset)) == SAMPLE_COUNT
    first = dataset.read_manifests()[0]
    assert f"ds/runs/{first['run_id']}.json" in ingested.s3.objects("ds/runs/")
    assert first["counts"]["written"] == SAMPLE_COUNT
    assert ingested.s3.objects("ds/documents/_delta_log/")  # a Delta table, in the bucket


@pytest.mark.prefect
def test_a_rerun_with_the_options_in_the_environment_adds_no_rows(ingested, monkeypatch):
    for key, value in ingested.s3.options.items():
        monkeypatch.setenv(key, value)
    before = ingested.dataset()
    version, runs = before.documents.version(), len(before.read_manifests())
    completed = run_pressroom(
        "ingest",
        str(ingested.samples),  # the same paths: the same doc_ids
        "--out",
        ingested.uri,
        "--no-progress",
        prefect_home=ingested.prefect_home,
    )
    assert completed.returncode == 0, completed.stderr
    summary = " ".join(completed.stdout.split())
    assert f"documents {SAMPLE_COUNT}: 0 written, {SAMPLE_COUNT} already" in summary
    after = ingested.dataset()
    assert len(doc_ids(after)) == SAMPLE_COUNT
    assert after.documents.version() == version  # nothing to commit
    manifests = after.read_manifests()
    assert len(manifests) == runs + 1
    assert f"ds/runs/{manifests[-1]['run_id']}.json" in ingested.s3.objects("ds/runs/")


@pytest.mark.prefect
def test_history_export_compact_and_check_work_on_the_bucket(ingested, tmp_path):
    history = ingested.pressroom("history", ingested.uri)
    assert history.returncode == 0, history.stderr
    assert " run " in history.stdout  # each version names the run that wrote it
    export = ingested.pressroom("export", ingested.uri, "--to", str(tmp_path / "local.parquet"))
    assert export.returncode == 0, export.stderr
    assert pq.read_table(tmp_path / "local.parquet").num_rows == SAMPLE_COUNT
    compact = ingested.pressroom("compact", ingested.uri)
    assert compact.returncode == 0, compact.stderr
    assert compact.stdout.startswith("documents: ")
    check = ingested.pressroom("check", ingested.uri)
    assert check.returncode == 0, check.stderr
    assert "every table reads whole" in check.stdout
    assert len(doc_ids(ingested.dataset())) == SAMPLE_COUNT


@pytest.mark.prefect
def test_polars_reads_the_documents_table_from_the_bucket(ingested):
    import polars as pl

    table = pl.scan_delta(f"{ingested.uri}/documents", storage_options=ingested.s3.options)
    frame = table.select("doc_id", "text").collect()
    assert frame.height == SAMPLE_COUNT
    assert sorted(frame["doc_id"].to_list()) == doc_ids(ingested.dataset())


def test_two_datasets_opened_at_one_version_both_commit_without_duplicates(s3):
    uri = f"{s3.uri}/two-writers"
    Dataset(uri, s3.options).write_chunk([canonical("seed")], [], [], "run-0")
    first, second = Dataset(uri, s3.options), Dataset(uri, s3.options)
    assert first.doc_ids == second.doc_ids == {"seed"}  # both read the same version
    assert first.write_chunk([canonical("a")], [], [], "run-a").documents_written == 1
    # the second holds the version before "a": it offers "a" again, and the MERGE (run on the
    # latest version) inserts only "b"
    written = second.write_chunk([canonical("a"), canonical("b")], [], [], "run-b")
    assert written.documents_written == 1
    assert doc_ids(Dataset(uri, s3.options)) == ["a", "b", "seed"]


def race(*writers: Callable[[], object]) -> list[object]:
    """Run ``writers`` at the same moment, one thread each; what each returned or raised."""
    start, outcomes = threading.Barrier(len(writers)), [None] * len(writers)

    def run(index: int) -> None:
        start.wait()
        try:
            outcomes[index] = writers[index]()
        except Exception as error:
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(writers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_racing_chunks_commit_or_fail_with_a_commit_conflict_and_lose_nothing(s3):
    uri = f"{s3.uri}/race"
    Dataset(uri, s3.options).write_chunk([canonical("seed")], [], [], "run-0")
    writers = [Dataset(uri, s3.options) for _ in range(2)]
    outcomes = race(
        *(
            lambda dataset=dataset, name=name: dataset.write_chunk(
                [canonical(name)], [], [], f"run-{name}"
            )
            for dataset, name in zip(writers, ("p", "q"), strict=True)
        )
    )
    failed = {
        name for name, outcome in zip("pq", outcomes, strict=True) if isinstance(outcome, Exception)
    }
    for outcome in outcomes:
        assert not isinstance(outcome, Exception) or isinstance(outcome, CommitFailedError)
    assert doc_ids(Dataset(uri, s3.options)) == sorted({"seed", "p", "q"} - failed)


def test_racing_first_writes_store_each_document_once(s3):
    uri = f"{s3.uri}/first-writes"
    writers = [Dataset(uri, s3.options) for _ in range(2)]
    race(
        *(
            lambda dataset=dataset, name=name: dataset.write_chunk(
                [canonical("both"), canonical(name)], [], [], f"run-{name}"
            )
            for dataset, name in zip(writers, ("p", "q"), strict=True)
        )
    )
    stored = Counter(doc_ids(Dataset(uri, s3.options)))
    assert stored["both"] == 1


def test_a_merge_from_a_stale_version_is_refused_not_written_over(s3):
    uri = f"{s3.uri}/conflict/documents"
    write_deltalake(uri, pa.table({"k": ["seed"]}), storage_options=s3.options)
    stale = [DeltaTable(uri, storage_options=s3.options) for _ in range(2)]

    def merge(table: DeltaTable, key: str) -> None:
        source = pa.table({"k": [key]})
        merger = table.merge(source, "t.k = s.k", source_alias="s", target_alias="t")
        merger.when_not_matched_insert_all().execute()

    merge(stale[0], "first")
    with pytest.raises(CommitFailedError, match="concurrent"):
        merge(stale[1], "second")
    latest = DeltaTable(uri, storage_options=s3.options)
    assert latest.version() == 1  # the seed, then the first merge only
    assert len(latest.file_uris()) == 2


def test_appends_from_one_version_both_land_in_successive_versions(s3):
    """Blind appends do not conflict: the second commit, refused at version 1 by the store's
    conditional put, is retried as version 2 (the first commit is not written over)."""
    uri = f"{s3.uri}/appends"
    write_deltalake(uri, pa.table({"k": ["seed"]}), storage_options=s3.options)
    race(
        *(
            lambda key=key: write_deltalake(
                uri, pa.table({"k": [key]}), mode="append", storage_options=s3.options
            )
            for key in ("p", "q")
        )
    )
    latest = DeltaTable(uri, storage_options=s3.options)
    assert latest.version() == 2
    assert sorted(Location.of(uri, s3.options).list("_delta_log")) == [
        f"{version:020d}.json" for version in range(3)
    ]


def test_location_reads_writes_and_lists_objects(s3):
    location = Location.of(f"{s3.uri}/files/", s3.options)
    assert location.root == f"{s3.uri}/files" and not location.is_local
    assert location.read_bytes("runs", "missing.json") is None
    assert location.list("runs") == []
    location.write_bytes(b'{"a": 1}\n', "runs", "one.json")
    location.write_bytes(b"{}\n", "runs", "nested", "two.json")
    assert location.read_bytes("runs", "one.json") == b'{"a": 1}\n'
    assert location.list("runs") == ["one.json"]  # files directly in the folder only
    assert s3.objects("files/") == ["files/runs/nested/two.json", "files/runs/one.json"]


def test_location_takes_options_from_the_environment_and_other_names(s3, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # wrong: the option wins
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.options["AWS_ACCESS_KEY_ID"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3.options["AWS_SECRET_ACCESS_KEY"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", s3.options["AWS_REGION"])
    address = s3.options["AWS_ENDPOINT_URL"].removeprefix("http://")
    location = Location.of(f"{s3.uri}/aliases", {"endpoint": address, "allow_http": "true"})
    assert "AWS_ENDPOINT_URL" not in location.storage_options
    location.write_bytes(b"x", "probe")
    assert s3.objects("aliases/") == ["aliases/probe"]


def test_web_sources_need_a_local_dataset(s3):
    with pytest.raises(ValueError, match="web sources need a local dataset"):
        Dataset(f"{s3.uri}/web", s3.options).raw_folder("run-1")


def test_the_cli_refuses_web_sources_into_an_object_store_in_one_line(s3, tmp_path):
    completed = run_pressroom(
        "ingest",
        "http://127.0.0.1:9/page.html",
        "--out",
        f"{s3.uri}/web",
        "--no-progress",
        *s3.flags,
        prefect_home=tmp_path,
    )
    assert s3.objects("web/") == []
    lines = completed.stderr.strip().splitlines()
    assert completed.returncode == 2, completed.stderr
    assert len(lines) == 1 and lines[0].startswith("error: web sources need a local dataset")
