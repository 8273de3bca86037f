"""Keeping a growing dataset easy to read: the canonical export and compaction of small files."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pressroom.dataset.canonicals import current_canonicals, read_cluster_changes
from pressroom.dataset.lock import dataset_lock
from pressroom.dataset.writer import parquet_files, read_as, write_json_atomic, write_table_atomic
from pressroom.schemas import DOCUMENTS, QUARANTINE

TABLES = {"documents": ("doc_id", DOCUMENTS), "quarantine": ("item_id", QUARANTINE)}
"""The partitioned tables (``<table>/<partition>/<file>``) and the id column of each."""


class NotADataset(ValueError):
    """A folder that holds no pressroom dataset."""


def require_dataset(out: Path) -> None:
    """Raise :class:`NotADataset` unless ``out`` has a documents table or run manifests."""
    if not (out / "documents").is_dir() and not (out / "runs").is_dir():
        raise NotADataset(
            f"{out} is not a pressroom dataset (it has no documents/ or runs/ folder)"
        )


def read_table(out: Path, name: str) -> pa.Table:
    """A whole table (every partition, older files brought to the current schema), each id once."""
    id_column, schema = TABLES[name]
    tables = [read_as(file, schema) for file in parquet_files(out / name)]
    return _first_of_each(pa.concat_tables(tables) if tables else schema.empty_table(), id_column)


def canonical_documents(out: Path) -> pa.Table:
    """One row per cluster: its current canonical (canonical changes of later runs applied)."""
    documents = read_table(out, "documents")
    current = current_canonicals(documents, read_cluster_changes(out / "cluster_changes"))
    canonicals = pa.array(sorted(current.values()), pa.string())
    rows = documents.filter(pc.is_in(documents.column("doc_id"), value_set=canonicals))
    rows = rows.set_column(
        rows.schema.get_field_index("is_canonical"),
        "is_canonical",
        pa.array([True] * rows.num_rows, pa.bool_()),
    )
    for name in ("duplicate_of", "dup_kind", "similarity"):
        index = rows.schema.get_field_index(name)
        rows = rows.set_column(index, name, pa.nulls(rows.num_rows, rows.schema.field(name).type))
    return rows.sort_by("doc_id")


def compact(out: Path, wait_s: float = 300.0) -> dict[str, int]:
    """Merge each partition's files into one, holding the dataset's lock; return the number of
    files removed per table. Run manifests that name a merged file are rewritten to name the
    file it went into, and record the merge under ``compacted``.

    Merged files are renamed into place, then the manifests rewritten, then the small files
    deleted: a reader at that moment may see rows twice (never none), and a manifest never names
    a missing file; ``read_table`` and the canonical export read each id once.
    """
    require_dataset(out)
    removed: dict[str, int] = {}
    merged_into: dict[Path, Path] = {}
    with dataset_lock(out, "compaction", wait_s):
        for name, (id_column, schema) in TABLES.items():
            removed[name] = 0
            by_partition: dict[Path, list[Path]] = {}
            for file in parquet_files(out / name):
                by_partition.setdefault(file.parent, []).append(file)
            for partition, files in by_partition.items():
                if len(files) < 2:
                    continue
                merged = pa.concat_tables(read_as(file, schema) for file in files)
                target = partition / f"part-compacted-{uuid.uuid4().hex[:12]}.parquet"
                write_table_atomic(_first_of_each(merged, id_column), target)
                merged_into |= dict.fromkeys(files, target)
                removed[name] += len(files)
        _rename_in_manifests(out, merged_into)
        for file in merged_into:
            file.unlink()
    return removed


def _rename_in_manifests(out: Path, merged_into: dict[Path, Path]) -> None:
    """Point the ``files_written`` of every run manifest at the merged files (keeping each
    manifest's own way of writing paths: relative or absolute) and record the merge."""
    renames = {
        _table_path(old.relative_to(out)): _table_path(new.relative_to(out))
        for old, new in merged_into.items()
    }
    at = datetime.now(UTC).isoformat()
    for path in sorted((out / "runs").glob("*.json")):
        manifest = json.loads(path.read_text())
        changes: dict[str, str] = {}
        for table, entries in manifest.get("files_written", {}).items():
            for entry in entries:
                tail = _table_path(Path(entry))
                if tail in renames:
                    changes[entry] = entry.removesuffix(tail) + renames[tail]
            manifest["files_written"][table] = list(
                dict.fromkeys(changes.get(entry, entry) for entry in entries)
            )
        if changes:
            manifest.setdefault("compacted", []).append({"at": at, "files": changes})
            write_json_atomic(manifest, path)


def _table_path(path: Path) -> str:
    """``<table>/<partition>/<file>``: the end of a path to a file of a partitioned table."""
    return "/".join(path.parts[-3:])


def _first_of_each(table: pa.Table, id_column: str) -> pa.Table:
    """The table without repeated ids (the first row of each id kept)."""
    first: dict[str, int] = {}
    for row, value in enumerate(table.column(id_column).to_pylist()):
        first.setdefault(value, row)
    if len(first) == table.num_rows:
        return table
    return table.take(pa.array(sorted(first.values()), pa.int64()))
