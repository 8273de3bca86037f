"""Local files written whole or not at all: under a hidden temporary name in their folder, then
renamed into place (the export snapshot, the manifests and state of a local dataset)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

TEMPORARY_SUFFIX = ".tmp"


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A hidden temporary path beside ``path``; renamed onto it if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}{TEMPORARY_SUFFIX}")
    try:
        yield temporary
        fsync(temporary)
        os.replace(temporary, path)
        fsync(path.parent)
    finally:
        temporary.unlink(missing_ok=True)


def write_table_atomic(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` as zstd Parquet; the file appears complete or not at all."""
    with atomic_path(path) as temporary:
        pq.write_table(table, temporary, compression="zstd")


def remove_temporary_files(folder: Path) -> list[Path]:
    """Remove the temporary files that a killed writer left in ``folder`` (not below it)."""
    if not folder.is_dir():
        return []
    left = [p for p in folder.glob(f".*{TEMPORARY_SUFFIX}") if p.is_file()]
    for path in left:
        path.unlink(missing_ok=True)
    return left


def fsync(path: Path) -> None:
    """Flush ``path`` (a file, or a folder's entries) to the disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
