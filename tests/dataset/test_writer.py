from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pressroom.dataset import write_documents, write_quarantine, write_table_atomic
from pressroom.dataset.maintenance import read_table
from pressroom.dataset.writer import existing_ids
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
from tests.dedup.test_dedup import doc

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_record_types_match_the_parquet_schemas():
    assert [*Document.__dataclass_fields__, "text_length"] == DOCUMENTS.names  # derived at write
    assert list(QuarantineRecord.__dataclass_fields__) == QUARANTINE.names
    assert list(ClusterChange.__dataclass_fields__) == CLUSTER_CHANGES.names
    assert list(Repair.__dataclass_fields__) == [field.name for field in REPAIR]
    assert list(SpanFlag.__dataclass_fields__) == [field.name for field in SPAN_FLAG]


def test_documents_are_written_as_zstd_parquet_with_the_schema_version(tmp_path):
    path, count = write_documents(tmp_path, [doc("a", "Some text")], "run-1", NOW)
    month = f"ingest_month={NOW:%Y-%m}"
    assert count == 1 and path == tmp_path / "documents" / month / "part-run-1.parquet"
    metadata = pq.read_metadata(path)
    assert metadata.row_group(0).column(0).compression == "ZSTD"
    assert pq.read_schema(path).metadata[b"pressroom.schema_version"] == SCHEMA_VERSION.encode()
    row = duckdb.sql(f"select doc_id, run_id, schema_version from '{path}'").fetchall()
    assert row == [("a", "run-1", SCHEMA_VERSION)]


def test_rerunning_the_same_documents_adds_no_rows(tmp_path):
    docs = [doc("a", "Some text"), doc("b", "Other text")]
    assert write_documents(tmp_path, docs, "run-1", NOW)[1] == 2
    assert write_documents(tmp_path, docs, "run-2", NOW) == (None, 0)
    assert write_documents(tmp_path, [*docs, doc("c", "New")], "run-3", NOW)[1] == 1
    assert sorted(existing_ids(tmp_path / "documents", "doc_id")) == ["a", "b", "c"]


def test_quarantine_reruns_add_no_rows(tmp_path):
    record = QuarantineRecord(
        item_id="q",
        source_uri="/in/x",
        raw_path="/in/x",
        raw_offset=None,
        stage="read",
        error="empty file (0 bytes)",
    )
    assert write_quarantine(tmp_path, [record], "run-1", NOW)[1] == 1
    assert write_quarantine(tmp_path, [record], "run-2", NOW)[1] == 0


def test_quarantine_reasons_are_written_and_older_rows_read_back_without_one(tmp_path):
    record = QuarantineRecord("q", "/in/x", "/in/x", None, "read", "empty file", "unreadable")
    path, _ = write_quarantine(tmp_path, [record], "run-2", NOW)
    row = pq.read_table(path).to_pylist()[0]
    assert row["reason"] == "unreadable"
    del row["reason"]
    row.update(item_id="old", schema_version="1.5")
    schema_1_5 = pa.schema([f for f in QUARANTINE if f.name != "reason"])
    pq.write_table(pa.Table.from_pylist([row], schema_1_5), path.with_name("part-run-1.parquet"))
    reasons = {r["item_id"]: r["reason"] for r in read_table(tmp_path, "quarantine").to_pylist()}
    assert reasons == {"old": None, "q": "unreadable"}


def test_a_failed_write_leaves_no_visible_or_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "documents" / "part-x.parquet"

    def write_half_then_fail(table, where, **kwargs):
        Path(where).write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", write_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        write_table_atomic(pa.table({"x": [1]}), target)
    assert list(target.parent.iterdir()) == []


def without_field(struct: pa.StructType) -> pa.StructType:
    return pa.struct([child for child in struct if child.name != "field"])


def test_repairs_written_before_they_named_their_field_read_back_as_body_repairs(tmp_path):
    new = doc("new", "Some text")
    new.repairs = [Repair(0, 4, "Sme", "Some", "lexicon", 0.9, field="title")]
    path, _ = write_documents(tmp_path, [new], "run-2", NOW)
    row = pq.read_table(path).to_pylist()[0]
    row.update(doc_id="old", schema_version="1.3", spin_flags=[])
    row["repairs"] = [{k: v for k, v in r.items() if k != "field"} for r in row["repairs"]]
    schema_1_3 = pa.schema(
        [
            pa.field(f.name, pa.list_(without_field(f.type.value_type)))
            if f.name in ("repairs", "spin_flags")
            else f
            for f in DOCUMENTS
        ]
    )
    pq.write_table(pa.Table.from_pylist([row], schema_1_3), path.with_name("part-run-1.parquet"))

    fields = {
        r["doc_id"]: [x["field"] for x in r["repairs"]]
        for r in read_table(tmp_path, "documents").to_pylist()
    }
    assert fields == {"old": ["text"], "new": ["title"]}  # pressroom's readers: the default
    rows = duckdb.sql(
        f"select doc_id, r.field from read_parquet('{tmp_path}/documents/**/*.parquet', "
        "union_by_name = true), unnest(repairs) as u(r) order by doc_id"
    ).fetchall()
    assert rows == [("new", "title"), ("old", None)]  # other readers: null, which means "text"
