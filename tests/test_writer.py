from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dataset import write_documents, write_quarantine, write_table_atomic
from dataset.writer import existing_ids
from schemas import (
    CLUSTER_CHANGES,
    DOCUMENTS,
    QUARANTINE,
    SCHEMA_VERSION,
    ClusterChange,
    Document,
    QuarantineRecord,
)
from tests.test_dedup import doc

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_record_types_match_the_parquet_schemas():
    assert [*Document.__dataclass_fields__, "text_length"] == DOCUMENTS.names  # derived at write
    assert list(QuarantineRecord.__dataclass_fields__) == QUARANTINE.names
    assert list(ClusterChange.__dataclass_fields__) == CLUSTER_CHANGES.names


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


def test_a_failed_write_leaves_no_visible_or_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "documents" / "part-x.parquet"

    def write_half_then_fail(table, where, **kwargs):
        Path(where).write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", write_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        write_table_atomic(pa.table({"x": [1]}), target)
    assert list(target.parent.iterdir()) == []
