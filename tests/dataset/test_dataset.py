"""The dataset's Delta tables: commits, reruns, canonical changes in place, schema checks."""

import json
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake

from pressroom.dataset import Dataset, DatasetDamaged
from pressroom.dataset.files import write_table_atomic
from pressroom.schemas import (
    CLUSTER_CHANGES,
    DOCUMENTS,
    QUARANTINE,
    SCHEMA_VERSION,
    ClusterChange,
    Document,
    QuarantineRecord,
    Repair,
    SpanFlag,
)
from pressroom.schemas.tables import REPAIR, SPAN_FLAG
from tests.pages import document


def clustered(doc_id: str, text: str, cluster: str | None = None) -> Document:
    """A document as deduplication leaves it: canonical of its own cluster, or a copy of
    ``cluster``'s canonical."""
    copy = cluster is not None and cluster != doc_id
    return replace(
        document(doc_id, text),
        cluster_id=cluster or doc_id,
        is_canonical=not copy,
        duplicate_of=cluster if copy else None,
    )


RECORD = QuarantineRecord("q", "/in/x", "/in/x", None, "read", "empty file (0 bytes)", "unreadable")


def test_record_types_match_the_table_schemas():
    derived = ["text_length", "ingest_month"]  # computed at write
    assert [*Document.__dataclass_fields__, *derived] == DOCUMENTS.names
    assert [*QuarantineRecord.__dataclass_fields__, "ingest_month"] == QUARANTINE.names
    assert list(ClusterChange.__dataclass_fields__) == CLUSTER_CHANGES.names
    assert list(Repair.__dataclass_fields__) == [field.name for field in REPAIR]
    assert list(SpanFlag.__dataclass_fields__) == [field.name for field in SPAN_FLAG]


def test_a_chunk_is_one_commit_per_table_carrying_the_run_id(tmp_path):
    dataset = Dataset(tmp_path)
    written = dataset.write_chunk([clustered("a", "Some text")], [RECORD], [], "run-1", "0001")
    assert (written.documents_written, written.quarantine_written, written.version) == (1, 1, 1)
    commit, created = DeltaTable(str(tmp_path / "documents")).history()
    assert created["operation"] == "CREATE TABLE" and commit["operation"] == "MERGE"
    assert (commit["pressroom.run_id"], commit["pressroom.part"]) == ("run-1", "0001")
    (row,) = Dataset(tmp_path).read_documents().to_pylist()
    assert (row["doc_id"], row["run_id"], row["schema_version"]) == ("a", "run-1", SCHEMA_VERSION)
    assert row["ingest_month"] == f"{row['ingested_at']:%Y-%m}"
    assert (tmp_path / "documents" / f"ingest_month={row['ingest_month']}").is_dir()


def test_rerunning_the_same_rows_adds_no_rows_and_no_version(tmp_path):
    docs = [clustered("a", "Some text"), clustered("b", "Other text")]
    assert Dataset(tmp_path).write_chunk(docs, [RECORD], [], "run-1").documents_written == 2
    again = Dataset(tmp_path).write_chunk(docs, [RECORD], [], "run-2")
    assert (again.documents_written, again.quarantine_written, again.version) == (0, 0, 1)
    more = Dataset(tmp_path).write_chunk([*docs, clustered("c", "New")], [], [], "run-3")
    assert (more.documents_written, more.version) == (1, 2)
    assert sorted(Dataset(tmp_path).doc_ids) == ["a", "b", "c"]
    assert Dataset(tmp_path).quarantined_ids == {"q"}


def test_a_new_canonical_updates_the_earlier_rows_in_place_in_the_same_commit(tmp_path):
    dataset = Dataset(tmp_path)
    dataset.write_chunk([clustered("a", "Text"), clustered("b", "Text.", "a")], [], [], "run-1")
    newcomer = clustered("c", "Text!", "a")
    newcomer.is_canonical, newcomer.duplicate_of = True, None
    change = ClusterChange("change-1", "a", "a", "c", "earlier publication")
    written = Dataset(tmp_path).write_chunk([newcomer], [], [change], "run-2")
    assert written.version == 2  # one commit: the new row and the updates together
    rows = {r["doc_id"]: r for r in Dataset(tmp_path).read_documents().to_pylist()}
    assert {d: (r["is_canonical"], r["duplicate_of"]) for d, r in rows.items()} == {
        "a": (False, "c"),
        "b": (False, "c"),
        "c": (True, None),
    }
    assert rows["a"]["run_id"] == "run-1" and rows["a"]["text"] == "Text"  # the rest kept
    before = Dataset(tmp_path).read_documents(["doc_id", "is_canonical"], version=1)
    assert dict(zip(*before.to_pydict().values(), strict=True)) == {"a": True, "b": False}
    (audit,) = Dataset(tmp_path).cluster_changes.read().to_pylist()
    assert (audit["previous_canonical"], audit["canonical"], audit["run_id"]) == ("a", "c", "run-2")


def test_a_table_of_an_older_schema_gains_the_new_columns_as_nulls(tmp_path):
    row = {
        **{f.name: None for f in QUARANTINE},
        "item_id": "old",
        "source_uri": "/in/o",
        "raw_path": "/in/o",
        "stage": "read",
        "error": "empty file",
        "run_id": "run-0",
        "quarantined_at": pa.scalar(0, pa.timestamp("us", tz="UTC")).as_py(),
        "schema_version": "1.5",
        "ingest_month": "2026-01",
    }
    schema_1_5 = pa.schema([f for f in QUARANTINE if f.name != "reason"])
    write_deltalake(
        str(tmp_path / "quarantine"),
        pa.Table.from_pylist([row], schema_1_5),
        partition_by=["ingest_month"],
    )
    Dataset(tmp_path).write_chunk([], [RECORD], [], "run-1")
    reasons = {r["item_id"]: r["reason"] for r in Dataset(tmp_path).quarantine.read().to_pylist()}
    assert reasons == {"old": None, "q": "unreadable"}


def test_a_table_whose_columns_are_not_pressrooms_is_refused_at_open(tmp_path):
    Dataset(tmp_path).write_chunk([clustered("a", "Some text")], [], [], "run-1")
    table = DeltaTable(str(tmp_path / "documents"))
    stray = pa.table({"doc_id": ["x"], "text_length": ["long"], "ingest_month": ["2026-01"]})
    write_deltalake(table, stray, mode="overwrite", schema_mode="overwrite")
    with pytest.raises(DatasetDamaged, match="text_length is string, expected integer"):
        Dataset(tmp_path).read_documents()


def test_a_damaged_data_file_is_named_with_the_ways_to_repair_it(tmp_path):
    Dataset(tmp_path).write_chunk([clustered("a", "Some text " * 500)], [], [], "run-1")
    (data,) = (tmp_path / "documents").rglob("*.parquet")
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    with pytest.raises(DatasetDamaged) as raised:
        Dataset(tmp_path).verify()
    message = str(raised.value)
    assert data.name in message and "pressroom restore" in message
    assert f"pressroom check {tmp_path} --drop-damaged" in message


def test_a_failed_local_write_leaves_no_visible_or_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "export" / "snapshot.parquet"

    def write_half_then_fail(table, where, **kwargs):
        Path(where).write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", write_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        write_table_atomic(pa.table({"x": [1]}), target)
    assert list(target.parent.iterdir()) == []


def test_a_runs_manifest_travels_in_its_commit(tmp_path):
    manifest = {"run_id": "run-1", "started_at": "2026-12-01T10:00:00+00:00"}
    manifest |= {"finished_at": "2026-12-01T10:01:00+00:00", "counts": {"written": 3}}
    path = Dataset(tmp_path).write_manifest(manifest)
    commit = DeltaTable(str(tmp_path / "manifests")).history()[0]
    assert json.loads(commit["pressroom.manifest"]) == manifest
    assert commit["pressroom.documents_written"] == "3"
    assert Dataset(tmp_path).read_manifests() == [manifest]
    assert json.loads(Path(path).read_text()) == manifest
