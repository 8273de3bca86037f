"""Atomic, idempotent writes of the output tables.

Layout under ``OUT/``::

    documents/part-<run_id>.parquet    one file per run, zstd, schema ``schemas.DOCUMENTS``
    quarantine/part-<run_id>.parquet   failed inputs, schema ``schemas.QUARANTINE``
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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from schemas import DOCUMENTS, QUARANTINE, SCHEMA_VERSION, Document, QuarantineRecord


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


def existing_ids(folder: Path, column: str) -> set[str]:
    """The values of ``column`` in every visible Parquet file of ``folder``."""
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    ids: set[str] = set()
    for file in files:
        ids.update(pq.read_table(file, columns=[column]).column(column).to_pylist())
    return ids


def read_rows(folder: Path, columns: list[str]) -> list[dict]:
    """The given columns of every visible Parquet file of ``folder``, as dicts.

    Files written before a column existed (an older schema version) give None for it.
    """
    rows: list[dict] = []
    for file in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
        present = set(pq.read_schema(file).names)
        table = pq.read_table(file, columns=[c for c in columns if c in present])
        rows += [{c: row.get(c) for c in columns} for row in table.to_pylist()]
    return rows


def write_documents(
    out: Path, docs: Sequence[Document], run_id: str, ingested_at: datetime
) -> tuple[Path | None, int]:
    """Write the run's new documents; return the file (None if nothing new) and the row count."""
    stamp = {"run_id": run_id, "ingested_at": ingested_at}
    return _append_new(out / "documents", docs, "doc_id", stamp, DOCUMENTS)


def write_quarantine(
    out: Path, records: Sequence[QuarantineRecord], run_id: str, quarantined_at: datetime
) -> tuple[Path | None, int]:
    """Write the run's new quarantine records; same contract as :func:`write_documents`."""
    stamp = {"run_id": run_id, "quarantined_at": quarantined_at}
    return _append_new(out / "quarantine", records, "item_id", stamp, QUARANTINE)


def write_manifest(out: Path, manifest: dict) -> Path:
    path = out / "runs" / f"{manifest['run_id']}.json"
    write_json_atomic(manifest, path)
    return path


def _append_new(
    folder: Path, records: Sequence, id_column: str, stamp: dict, schema: pa.Schema
) -> tuple[Path | None, int]:
    """Write the records whose id the folder does not hold yet, as ``part-<run_id>.parquet``."""
    seen = existing_ids(folder, id_column)
    rows = [
        {**asdict(record), **stamp, "schema_version": SCHEMA_VERSION}
        for record in records
        if getattr(record, id_column) not in seen
    ]
    if not rows:
        return None, 0
    path = folder / f"part-{stamp['run_id']}.parquet"
    write_table_atomic(pa.Table.from_pylist(rows, schema=schema), path)
    return path, len(rows)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
