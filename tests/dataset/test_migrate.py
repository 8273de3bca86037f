"""``pressroom migrate``: a dataset of the plain-Parquet layout becomes Delta tables, whole."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pressroom.dataset import Dataset
from pressroom.dataset.migrate import (
    MigrationFailed,
    MigrationRefused,
    legacy_tables,
    migrate,
)
from pressroom.schemas import CLUSTER_CHANGES, DOCUMENTS, QUARANTINE, ClusterChange
from tests.pages import document
from tests.runs import rows, run_pressroom

RUN_1 = "20260105T080000Z-aaaa1111"
RUN_2 = "20260203T090000Z-bbbb2222"
JANUARY = datetime(2026, 1, 5, 8, tzinfo=UTC)
FEBRUARY = datetime(2026, 2, 3, 9, tzinfo=UTC)

LEGACY_DOCUMENTS = pa.schema([f for f in DOCUMENTS if f.name != "ingest_month"])
"""The documents schema of the old layout (1.6): the partition was a folder, not a column."""
DOCUMENTS_1_3 = pa.schema(
    [
        pa.field(f.name, pa.list_(pa.struct([x for x in f.type.value_type if x.name != "field"])))
        if f.name in ("repairs", "spin_flags")
        else f
        for f in LEGACY_DOCUMENTS
        if f.name != "paraphrase_keys"
    ]
)
"""An older file: no ``paraphrase_keys`` (1.5), repairs and flags without ``field`` (1.4)."""
LEGACY_QUARANTINE = pa.schema([f for f in QUARANTINE if f.name != "ingest_month"])
QUARANTINE_1_5 = pa.schema([f for f in LEGACY_QUARANTINE if f.name != "reason"])


def write_legacy(out: Path, table: str, partition: str, run_id: str, records, schema) -> Path:
    """One file as the old writer wrote it: ``<table>/<partition>/part-<run_id>.parquet``."""
    path = out / table / partition / f"part-{run_id}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(records, schema=schema), path, compression="zstd")
    return path


def legacy_document(doc_id, cluster, canonical, run_id, at, text=None, **fields) -> dict:
    """A documents row of the old layout; a duplicate names its canonical in ``canonical``."""
    doc = document(doc_id, text or f"The text of {doc_id}.")
    row = {
        **asdict(doc),
        "cluster_id": cluster,
        "is_canonical": canonical == doc_id,
        "duplicate_of": None if canonical == doc_id else canonical,
        "dup_kind": None if canonical == doc_id else "exact",
        "run_id": run_id,
        "ingested_at": at,
        "schema_version": "1.6",
        "text_length": len(doc.text),
    }
    return {**row, **fields}


def quarantine_row(item_id: str, run_id: str, at: datetime, **fields) -> dict:
    row = {
        "item_id": item_id,
        "source_uri": f"/in/{item_id}.html",
        "raw_path": f"/in/{item_id}.html",
        "raw_offset": None,
        "stage": "read",
        "error": "empty file (0 bytes)",
        "run_id": run_id,
        "quarantined_at": at,
        "schema_version": "1.6",
    }
    return {**row, **fields}


def change_row(cluster: str, previous: str, canonical: str, run_id: str, at: datetime) -> dict:
    change = ClusterChange(f"{cluster}-{canonical}", cluster, previous, canonical, "newer", run_id)
    return {**asdict(change), "changed_at": at, "schema_version": "1.6"}


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    """A dataset of the old layout: two runs, two months.

    Run 1 (January, an older 1.3 file): a (canonical of c1, with a repair), b (duplicate of a),
    c (canonical of c2). Run 2 (February): d replaces a as c1's canonical (cluster_changes),
    e duplicates c, a second row of b (the first one read is kept), and a change of c2 to a
    document never written (ignored). Quarantine: q1 (1.5, no reason), q2. A hidden temporary
    file holds a document that must not appear."""
    out = tmp_path / "out"
    january, february = "ingest_month=2026-01", "ingest_month=2026-02"
    repair = {"start": 0, "end": 3, "before": "Teh", "after": "The", "method": "typo"}
    old_rows = [
        legacy_document("a", "c1", "a", RUN_1, JANUARY, repairs=[{**repair, "confidence": 0.9}]),
        legacy_document("b", "c1", "a", RUN_1, JANUARY),
        legacy_document("c", "c2", "c", RUN_1, JANUARY),
    ]
    for row in old_rows:
        del row["paraphrase_keys"]
    write_legacy(out, "documents", january, RUN_1, old_rows, DOCUMENTS_1_3)
    new_rows = [
        legacy_document("d", "c1", "d", RUN_2, FEBRUARY, paraphrase_keys=[1, 2]),
        legacy_document("e", "c2", "c", RUN_2, FEBRUARY),
        legacy_document("b", "c1", "a", RUN_2, FEBRUARY, text="A later copy of b."),
    ]
    write_legacy(out, "documents", february, RUN_2, new_rows, LEGACY_DOCUMENTS)
    hidden = out / "documents" / february / f".part-{RUN_2}-2.parquet.0123abcd.tmp"
    leftover = [legacy_document("zz", "c9", "zz", RUN_2, FEBRUARY)]
    pq.write_table(pa.Table.from_pylist(leftover, schema=LEGACY_DOCUMENTS), hidden)
    changes = [
        change_row("c1", "a", "d", RUN_2, FEBRUARY),
        change_row("c2", "c", "never-written", RUN_2, FEBRUARY),
    ]
    write_legacy(out, "cluster_changes", "", RUN_2, changes, CLUSTER_CHANGES)
    q1 = quarantine_row("q1", RUN_1, JANUARY)
    write_legacy(out, "quarantine", january, RUN_1, [q1], QUARANTINE_1_5)
    q2 = quarantine_row("q2", RUN_2, FEBRUARY, reason="unreadable")
    write_legacy(out, "quarantine", february, RUN_2, [q2], LEGACY_QUARANTINE)
    (out / "runs").mkdir()
    for run_id, at in ((RUN_1, JANUARY), (RUN_2, FEBRUARY)):
        manifest = {"run_id": run_id, "started_at": at.isoformat(), "finished_at": at.isoformat()}
        (out / "runs" / f"{run_id}.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return out


def legacy_files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too), by path relative to it, with its bytes."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def expected_canonicals(out: Path) -> set[str]:
    """The canonical doc_ids as the old ``canonical_documents`` computed them: every visible
    file in path order, each id once, ``is_canonical`` as written, then the newest change of
    each cluster unless its canonical was never written."""
    documents: dict[str, dict] = {}
    for path in sorted((out / "documents").rglob("*.parquet")):
        if not any(part.startswith(".") for part in path.relative_to(out).parts):
            for row in pq.read_table(path).to_pylist():
                documents.setdefault(row["doc_id"], row)
    canonical = {r["cluster_id"]: r["doc_id"] for r in documents.values() if r["is_canonical"]}
    changes: dict[str, str] = {}
    for path in sorted((out / "cluster_changes").rglob("*.parquet")):
        for row in sorted(pq.read_table(path).to_pylist(), key=lambda r: r["changed_at"]):
            changes[row["cluster_id"]] = row["canonical"]
    canonical.update({c: d for c, d in changes.items() if d in documents})
    return set(canonical.values())


def test_a_legacy_dataset_becomes_delta_tables_with_nothing_lost(legacy):
    before = {name: legacy_files(legacy / name) for name in ("documents", "quarantine")}
    before["cluster_changes"] = legacy_files(legacy / "cluster_changes")
    canonicals = expected_canonicals(legacy)
    assert legacy_tables(legacy) == ["documents", "quarantine", "cluster_changes"]

    report = migrate(Dataset(legacy))

    assert (report.documents, report.quarantine, report.cluster_changes) == (5, 2, 2)
    assert (report.manifests, report.canonicals_replaced) == (2, 1)
    assert (report.files_read, report.files_ignored) == (5, 1)
    assert "5 documents" in report.summary() and "legacy-parquet" in report.summary()
    found = rows(legacy, "select doc_id, is_canonical, duplicate_of, ingest_month from DOCS")
    assert sorted(found) == [
        ("a", False, "d", "2026-01"),
        ("b", False, "d", "2026-01"),
        ("c", True, None, "2026-01"),
        ("d", True, None, "2026-02"),
        ("e", False, "c", "2026-02"),
    ]
    assert {doc_id for doc_id, canonical, *_ in found if canonical} == canonicals
    documents = {row["doc_id"]: row for row in Dataset(legacy).read_documents().to_pylist()}
    assert documents["b"]["text"] == "The text of b."  # the first row of an id read is kept
    assert documents["a"]["repairs"][0]["field"] == "text"  # 1.3 repairs were of the body
    assert documents["a"]["paraphrase_keys"] is None and documents["d"]["paraphrase_keys"] == [1, 2]
    assert documents["a"]["ingested_at"] == JANUARY
    quarantine = rows(legacy, "select item_id, reason, ingest_month from QUARANTINE order by 1")
    assert quarantine == [("q1", None, "2026-01"), ("q2", "unreadable", "2026-02")]
    changes = Dataset(legacy).cluster_changes.read().to_pylist()
    assert sorted(row["change_id"] for row in changes) == ["c1-d", "c2-never-written"]
    manifests = Dataset(legacy).read_manifests()
    assert [manifest["run_id"] for manifest in manifests] == [RUN_1, RUN_2]
    for name, files in before.items():
        assert legacy_files(legacy / "legacy-parquet" / name) == files
    for table in Dataset(legacy).tables.values():
        commit, created = table.open().history()  # created empty, then the migration's MERGE
        assert created["operation"] == "CREATE TABLE"
        assert commit["pressroom.migrated_from"] == "parquet layout"


def test_a_migrated_dataset_refuses_a_second_migration(legacy):
    migrate(Dataset(legacy))
    with pytest.raises(MigrationRefused, match="migrated already") as refused:
        migrate(Dataset(legacy))
    assert "\n" not in str(refused.value)
    shutil.rmtree(legacy / "legacy-parquet")  # deleted once checked
    with pytest.raises(MigrationRefused, match="Delta dataset already"):
        migrate(Dataset(legacy))


def test_a_folder_without_legacy_tables_is_refused(tmp_path):
    (tmp_path / "runs").mkdir()
    with pytest.raises(MigrationRefused, match="no table of the old Parquet layout"):
        migrate(Dataset(tmp_path))
    assert not (tmp_path / "legacy-parquet").exists()


def test_a_run_writes_to_the_migrated_dataset(legacy):
    migrate(Dataset(legacy))
    newcomer = replace(document("f", "A newer release."), cluster_id="c1", run_id="run-3")
    change = ClusterChange("c1-f", "c1", "d", "f", "newer")
    written = Dataset(legacy).write_chunk([newcomer], [], [change], "run-3")

    assert written.documents_written == 1
    found = rows(legacy, "select doc_id, is_canonical, duplicate_of from DOCS where doc_id < 'e'")
    assert sorted(found) == [
        ("a", False, "f"),
        ("b", False, "f"),
        ("c", True, None),
        ("d", False, "f"),
    ]
    assert rows(legacy, "select is_canonical from DOCS where doc_id = 'f'") == [(True,)]


def test_a_migration_stopped_after_moving_folders_aside_is_finished_by_a_rerun(legacy):
    canonicals = expected_canonicals(legacy)
    moved = legacy / "legacy-parquet"
    moved.mkdir()
    for name in ("documents", "quarantine"):  # a crash after two of the three renames
        os.rename(legacy / name, moved / name)
    uncommitted = legacy / "documents" / "ingest_month=2026-01" / "part-00001-0000-c000.parquet"
    uncommitted.parent.mkdir(parents=True)  # a Delta write killed before its commit
    leftover = [legacy_document("zz", "c9", "zz", RUN_2, FEBRUARY)]
    pq.write_table(pa.Table.from_pylist(leftover, schema=LEGACY_DOCUMENTS), uncommitted)

    report = migrate(Dataset(legacy))

    assert (report.documents, report.quarantine, report.cluster_changes) == (5, 2, 2)
    found = rows(legacy, "select doc_id from DOCS where is_canonical")
    assert {doc_id for (doc_id,) in found} == canonicals
    assert rows(legacy, "select count(*) from QUARANTINE") == [(2,)]
    assert sorted(path.name for path in moved.iterdir()) == [
        "cluster_changes",
        "documents",
        "migrated.json",
        "quarantine",
    ]


def test_a_migration_stopped_between_its_commits_is_finished_without_repeated_rows(legacy):
    migrate(Dataset(legacy))
    moved = legacy / "legacy-parquet"
    (moved / "migrated.json").unlink()  # as if stopped after the first three tables' commits,
    shutil.rmtree(legacy / "documents")  # before the documents table's

    report = migrate(Dataset(legacy))

    assert (report.documents, report.quarantine, report.manifests) == (5, 2, 2)
    assert rows(legacy, "select count(*), count(distinct doc_id) from DOCS") == [(5, 5)]
    assert rows(legacy, "select count(*) from QUARANTINE") == [(2,)]
    assert len(Dataset(legacy).read_manifests()) == 2
    assert len(Dataset(legacy).cluster_changes.read()) == 2
    assert (moved / "migrated.json").is_file()


def test_a_damaged_legacy_file_stops_the_migration_before_anything_moves(legacy):
    damaged = legacy / "quarantine" / "ingest_month=2026-02" / f"part-{RUN_2}.parquet"
    damaged.write_bytes(damaged.read_bytes()[:40])
    with pytest.raises(MigrationFailed, match="legacy Parquet files are kept") as stopped:
        migrate(Dataset(legacy))
    assert "\n" not in str(stopped.value)
    assert legacy_tables(legacy) == ["documents", "quarantine", "cluster_changes"]
    assert not (legacy / "documents" / "_delta_log").exists()


# Needs the `pressroom migrate OUT` command (pressroom/cli/commands.py, calling
# migrate(Dataset(out)) and printing MigrationReport.summary()): fails until it is added.
def test_commands_refuse_a_legacy_dataset_until_it_is_migrated(legacy, tmp_path, samples):
    before = legacy_files(legacy)
    for args in (
        ["ingest", str(samples), "--out", str(legacy)],
        ["export", str(legacy), "--to", "x"],
    ):
        refused = run_pressroom(*args, prefect_home=tmp_path)
        assert refused.returncode != 0
        assert f"run `pressroom migrate {legacy}` first" in refused.stderr.strip().splitlines()[-1]
    after = {name: data for name, data in legacy_files(legacy).items() if "lock" not in name}
    assert after == before  # nothing written into the old tables
    migrated = run_pressroom("migrate", str(legacy), prefect_home=tmp_path)

    assert migrated.returncode == 0, migrated.stderr
    assert "migrated 5 documents" in migrated.stdout
    assert rows(legacy, "select count(*) from DOCS") == [(5,)]
    again = run_pressroom("migrate", str(legacy), prefect_home=tmp_path)
    assert again.returncode == 2 and "migrated already" in again.stderr
