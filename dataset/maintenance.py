"""Keeping a growing dataset easy to read: the canonical export and compaction of small files."""

from __future__ import annotations

import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from dataset.lock import dataset_lock
from dataset.writer import parquet_files, read_as, write_table_atomic
from dedup.history import History
from schemas import DOCUMENTS, QUARANTINE

TABLES = {"documents": ("doc_id", DOCUMENTS), "quarantine": ("item_id", QUARANTINE)}


def read_table(out: Path, name: str) -> pa.Table:
    """A whole table (every partition, older files brought to the current schema), each id once."""
    id_column, schema = TABLES[name]
    tables = [read_as(file, schema) for file in parquet_files(out / name)]
    return _first_of_each(pa.concat_tables(tables) if tables else schema.empty_table(), id_column)


def canonical_documents(out: Path) -> pa.Table:
    """One row per cluster: its current canonical (canonical changes of later runs applied)."""
    documents = read_table(out, "documents")
    canonicals = pa.array(sorted(History.load(out).canonicals().values()), pa.string())
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
    files removed per table.

    The merged file is renamed into place before the small files are deleted, so a reader at
    that moment may see rows twice (never none); ``read_table`` and the canonical export read
    each id once.
    """
    removed = {}
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
                for file in files:
                    file.unlink()
                removed[name] += len(files)
    return removed


def _first_of_each(table: pa.Table, id_column: str) -> pa.Table:
    """The table without repeated ids (the first row of each id kept)."""
    first: dict[str, int] = {}
    for row, value in enumerate(table.column(id_column).to_pylist()):
        first.setdefault(value, row)
    if len(first) == table.num_rows:
        return table
    return table.take(pa.array(sorted(first.values()), pa.int64()))
