"""Atomic, idempotent writes of the output tables.

Layout under ``OUT/``::

    documents/ingest_month=YYYY-MM/part-<run_id>.parquet   one file per run (or per chunk of a
                                       large run: part-<run_id>-<chunk>.parquet), schema DOCUMENTS
    quarantine/ingest_month=YYYY-MM/part-<run_id>.parquet  failed inputs, schema QUARANTINE
    cluster_changes/part-<run_id>.parquet   canonicals replaced by a newcomer, CLUSTER_CHANGES
    runs/<run_id>.json                 the run's manifest: parameters, counts, timings
    raw/<run_id>/*.warc.gz             every fetched response, before extraction
    state/http_validators.json         ETag / Last-Modified per URL, for the next run

Every file is written under a hidden temporary name in its final folder and renamed into place,
so readers never see a half-written file. Rows whose id is already in the dataset are not written
again, so re-running the same input adds nothing.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pressroom.schemas import (
    CLUSTER_CHANGES,
    DOCUMENTS,
    QUARANTINE,
    SCHEMA_VERSION,
    ClusterChange,
    Document,
    QuarantineRecord,
)
from pressroom.schemas.tables import STRUCT_FIELD_DEFAULTS


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A hidden temporary path beside ``path``; renamed onto it if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield temporary
        _fsync(temporary)
        os.replace(temporary, path)
        _fsync(path.parent)
    finally:
        temporary.unlink(missing_ok=True)


def write_table_atomic(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` as zstd Parquet; the file appears complete or not at all."""
    with atomic_path(path) as temporary:
        pq.write_table(table, temporary, compression="zstd")


def write_json_atomic(data: dict, path: Path) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(data, indent=2, default=str) + "\n")


def parquet_files(folder: Path) -> list[Path]:
    """The visible Parquet files under ``folder`` (partitions included), in a stable order."""
    if not folder.is_dir():
        return []
    files = folder.rglob("*.parquet")
    return sorted(
        f for f in files if not any(p.startswith(".") for p in f.relative_to(folder).parts)
    )


def existing_ids(folder: Path, column: str) -> set[str]:
    """The values of ``column`` in every visible Parquet file under ``folder``."""
    ids: set[str] = set()
    for file in parquet_files(folder):
        ids.update(pq.read_table(file, columns=[column]).column(column).to_pylist())
    return ids


def read_as(file: Path, schema: pa.Schema) -> pa.Table:
    """The columns of ``schema`` from one file; columns the file predates come back as nulls,
    struct fields it predates with their value in ``STRUCT_FIELD_DEFAULTS``."""
    written = pq.read_schema(file)
    table = pq.read_table(file, columns=[name for name in schema.names if name in written.names])
    for column in schema:
        if column.name not in written.names:
            table = table.append_column(column.name, pa.nulls(table.num_rows, column.type))
    table = table.select(schema.names).cast(schema)
    for (column, name), value in STRUCT_FIELD_DEFAULTS.items():
        if column in schema.names and _lacks_struct_field(written, column, name):
            filled = _struct_field_filled(table.column(column), name, value)
            table = table.set_column(schema.get_field_index(column), column, filled)
    return table


def _lacks_struct_field(written: pa.Schema, column: str, name: str) -> bool:
    """Whether the list-of-struct ``column`` was written without the struct field ``name``."""
    if column not in written.names:
        return False
    return written.field(column).type.value_type.get_field_index(name) < 0


def _struct_field_filled(column: pa.ChunkedArray, name: str, value: str) -> pa.ChunkedArray:
    """A list-of-struct column whose struct field ``name`` holds ``value`` where it is null."""
    chunks = []
    for lists in column.chunks:
        items = lists.values
        children = [
            pc.fill_null(items.field(index), value) if child.name == name else items.field(index)
            for index, child in enumerate(items.type)
        ]
        items = pa.StructArray.from_arrays(children, fields=list(items.type), mask=items.is_null())
        chunks.append(
            pa.ListArray.from_arrays(lists.offsets, items, type=lists.type, mask=lists.is_null())
        )
    return pa.chunked_array(chunks, column.type)


def read_rows(folder: Path, columns: list[str], where: Sequence[tuple] = ()) -> list[dict]:
    """The given columns of every visible Parquet file under ``folder``, as dicts; ``where``
    (pyarrow filters such as ``[("is_spun", "==", True)]``) keeps matching rows only.

    Files written before a column existed (an older schema version) give None for it, and are
    skipped when ``where`` names a column they lack.
    """
    rows: list[dict] = []
    for file in parquet_files(folder):
        present = set(pq.read_schema(file).names)
        if any(condition[0] not in present for condition in where):
            continue
        table = pq.read_table(
            file, columns=[c for c in columns if c in present], filters=list(where) or None
        )
        rows += [{c: row.get(c) for c in columns} for row in table.to_pylist()]
    return rows


def write_documents(
    out: Path,
    docs: Sequence[Document],
    run_id: str,
    ingested_at: datetime,
    part: str = "",
    present: set[str] | None = None,
) -> tuple[Path | None, int]:
    """Write the run's new documents; return the file (None if nothing new) and the row count.
    ``part`` names one of several files of a run (a run written chunk by chunk); ``present``
    are the doc_ids the table holds (read from it when not given), which it then includes."""
    stamp = {"run_id": run_id, "ingested_at": ingested_at}
    table, partition = out / "documents", _month(ingested_at)
    return _append_new(
        table, partition, docs, "doc_id", stamp, DOCUMENTS, part, _text_length, present
    )


def write_quarantine(
    out: Path,
    records: Sequence[QuarantineRecord],
    run_id: str,
    quarantined_at: datetime,
    part: str = "",
    present: set[str] | None = None,
) -> tuple[Path | None, int]:
    """Write the run's new quarantine records; same contract as :func:`write_documents`."""
    stamp = {"run_id": run_id, "quarantined_at": quarantined_at}
    table, partition = out / "quarantine", _month(quarantined_at)
    return _append_new(
        table, partition, records, "item_id", stamp, QUARANTINE, part, present=present
    )


def write_cluster_changes(
    out: Path,
    changes: Sequence[ClusterChange],
    run_id: str,
    changed_at: datetime,
    part: str = "",
) -> tuple[Path | None, int]:
    """Write the run's canonical changes; same contract as :func:`write_documents`."""
    stamp = {"run_id": run_id, "changed_at": changed_at}
    table = out / "cluster_changes"
    return _append_new(table, "", changes, "change_id", stamp, CLUSTER_CHANGES, part)


def _text_length(doc: Document) -> dict:
    return {"text_length": len(doc.text)}


def _month(when: datetime) -> str:
    """The Hive-style partition of a table by the month a run wrote it."""
    return f"ingest_month={when:%Y-%m}"


def write_manifest(out: Path, manifest: dict) -> Path:
    path = out / "runs" / f"{manifest['run_id']}.json"
    write_json_atomic(manifest, path)
    return path


def _append_new(
    table: Path,
    partition: str,
    records: Sequence,
    id_column: str,
    stamp: dict,
    schema: pa.Schema,
    part: str = "",
    derived: Callable[[Any], dict] = lambda record: {},
    present: set[str] | None = None,
) -> tuple[Path | None, int]:
    """Write the records whose id the table does not hold yet (in any partition), as
    ``<table>/<partition>/part-<run_id>[-<part>].parquet``; ``derived`` adds computed columns.
    ``present``, the ids the table holds (read from it when not given), gains those written."""
    seen = existing_ids(table, id_column) if present is None else present
    rows = [
        {**asdict(record), **derived(record), **stamp, "schema_version": SCHEMA_VERSION}
        for record in records
        if getattr(record, id_column) not in seen
    ]
    if not rows:
        return None, 0
    name = f"{stamp['run_id']}-{part}" if part else stamp["run_id"]
    path = table / partition / f"part-{name}.parquet"
    write_table_atomic(pa.Table.from_pylist(rows, schema=schema), path)
    if present is not None:
        present.update(row[id_column] for row in rows)
    return path, len(rows)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
