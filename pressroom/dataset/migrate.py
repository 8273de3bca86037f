"""Converting a dataset of the plain-Parquet layout (schema 1.6 and earlier) into Delta tables.

The old layout, under ``OUT/``::

    documents/ingest_month=YYYY-MM/part-<run_id>.parquet   schema DOCUMENTS without ingest_month
    quarantine/ingest_month=YYYY-MM/part-<run_id>.parquet  schema QUARANTINE without ingest_month
    cluster_changes/part-<run_id>.parquet                   canonicals replaced by later runs
    runs/<run_id>.json                                      the run manifests

The Delta tables live in the same folders, so the migration reads every legacy table, moves its
folder aside to ``OUT/legacy-parquet/<table>/`` (one rename each), then writes the Delta tables
(one commit each) and last ``OUT/legacy-parquet/migrated.json``. Nothing is deleted: the legacy
files stay under ``legacy-parquet/`` until someone who has checked the result removes them. A
migration stopped midway is finished by running it again: a table found under
``legacy-parquet/`` is read from there, and rows the Delta tables hold already are not written
twice. Local datasets only (a folder rename is atomic there, not in an object store).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pressroom.dataset.dataset import Dataset, legacy_tables
from pressroom.dataset.files import atomic_path, fsync
from pressroom.schemas import CLUSTER_CHANGES, DOCUMENTS, QUARANTINE, RUNS
from pressroom.schemas.tables import STRUCT_FIELD_DEFAULTS

LEGACY_TABLES = {
    "documents": ("doc_id", DOCUMENTS),
    "quarantine": ("item_id", QUARANTINE),
    "cluster_changes": ("change_id", CLUSTER_CHANGES),
}
"""The tables of the old layout: the id column and the current schema of each."""

LEGACY_FOLDER = "legacy-parquet"
DONE_FILE = "migrated.json"
PARTITION = "ingest_month="
METADATA = {"pressroom.migrated_from": "parquet layout"}


class MigrationRefused(ValueError):
    """Nothing to migrate: already Delta, already migrated, or no table of the old layout."""


class MigrationFailed(RuntimeError):
    """The migration stopped; the legacy files are kept (the message says where)."""


@dataclass
class MigrationReport:
    """What the migration carried over: rows per table (each id once) and files."""

    documents: int
    quarantine: int
    cluster_changes: int
    manifests: int
    canonicals_replaced: int
    """Clusters whose canonical the legacy change log replaced (their rows updated)."""
    files_read: int
    files_ignored: int
    """Hidden files (temporary leftovers of killed writers) under the legacy tables."""
    legacy_folder: str

    def summary(self) -> str:
        """One line for the command line."""
        return (
            f"migrated {self.documents} documents, {self.quarantine} quarantine records, "
            f"{self.cluster_changes} cluster changes ({self.canonicals_replaced} canonicals "
            f"replaced) and {self.manifests} run manifests from {self.files_read} Parquet files "
            f"into Delta tables; the old files are kept in {self.legacy_folder}: delete it once "
            "the migrated dataset is checked"
        )


def migrate(dataset: Dataset) -> MigrationReport:
    """Convert the legacy dataset at ``dataset`` into Delta tables (see the module docstring).
    Raises :class:`MigrationRefused` when there is nothing to migrate, and
    :class:`MigrationFailed` when it stopped midway (run it again to finish)."""
    if not dataset.location.is_local:
        raise MigrationRefused(
            f"{dataset.out} is in an object store: migrate a local copy of the dataset, then "
            "upload the migrated folder"
        )
    root = dataset.location.local_root
    legacy = root / LEGACY_FOLDER
    in_place = _tables_to_migrate(root, legacy)
    try:
        folders = {name: _legacy_folder(root, legacy, name, in_place) for name in LEGACY_TABLES}
        tables, files_read, files_ignored = _read_legacy(folders)
        for name in in_place:
            _move_aside(root, legacy, name)
        report = _write(dataset, tables, legacy, files_read, files_ignored)
        _write_done(legacy, report)
    except Exception as error:
        raise MigrationFailed(
            f"migration of {root} stopped ({type(error).__name__}: {error}); nothing is lost: "
            f"the legacy Parquet files are kept (under {legacy}, or where they were); run the "
            "migration again to finish it"
        ) from error
    return report


def _tables_to_migrate(root: Path, legacy: Path) -> list[str]:
    """The legacy tables still in place, after checking that there is a migration to do (or
    finish); raise :class:`MigrationRefused` otherwise."""
    if (legacy / DONE_FILE).is_file():
        raise MigrationRefused(
            f"{root} was migrated already (see {legacy / DONE_FILE}); delete {legacy} once the "
            "migrated dataset is checked"
        )
    moved = [name for name in LEGACY_TABLES if (legacy / name).is_dir()]
    in_place = [name for name in legacy_tables(root) if name not in moved]
    if moved or (in_place and not _delta_tables(root)):
        return in_place
    if in_place:
        raise MigrationRefused(
            f"{root} holds Delta tables ({', '.join(_delta_tables(root))}) and tables of the old "
            f"Parquet layout ({', '.join(in_place)}) both: not migrating a mixed dataset"
        )
    if _delta_tables(root):
        raise MigrationRefused(f"{root} is a Delta dataset already: nothing to migrate")
    raise MigrationRefused(
        f"{root} holds no table of the old Parquet layout (no documents/, quarantine/ or "
        "cluster_changes/ folder without a _delta_log)"
    )


def _delta_tables(root: Path) -> list[str]:
    return [name for name in LEGACY_TABLES if (root / name / "_delta_log").is_dir()]


def _legacy_folder(root: Path, legacy: Path, name: str, in_place: list[str]) -> Path:
    """Where the legacy table ``name`` is now: in place, or moved aside by an earlier try."""
    return root / name if name in in_place else legacy / name


def _move_aside(root: Path, legacy: Path, name: str) -> None:
    """Rename the folder of the legacy table ``name`` into ``legacy`` (atomic, same disk)."""
    legacy.mkdir(exist_ok=True)
    os.rename(root / name, legacy / name)
    fsync(legacy)
    fsync(root)


def _read_legacy(folders: dict[str, Path]) -> tuple[dict[str, pa.Table], int, int]:
    """Every legacy table whole, in the current schema, each id once (the first read), with
    the number of files read and of hidden files ignored."""
    tables, files_read, files_ignored = {}, 0, 0
    for name, folder in folders.items():
        id_column, schema = LEGACY_TABLES[name]
        files, hidden = _parquet_files(folder)
        parts = [_read_file(file, folder, schema) for file in files]
        table = pa.concat_tables(parts) if parts else schema.empty_table()
        tables[name] = _first_of_each(table, id_column)
        files_read += len(files)
        files_ignored += len(hidden)
    return tables, files_read, files_ignored


def _parquet_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """The Parquet files under ``folder`` in a stable order, and the hidden files (a name or
    folder starting with ``.``: temporary leftovers) apart."""
    if not folder.is_dir():
        return [], []
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    hidden = [f for f in files if any(p.startswith(".") for p in f.relative_to(folder).parts)]
    visible = [f for f in files if f not in hidden and f.suffix == ".parquet"]
    return visible, hidden


def _read_file(file: Path, folder: Path, schema: pa.Schema) -> pa.Table:
    """One legacy file in ``schema`` (columns it predates as nulls, struct fields with their
    defaults), ``ingest_month`` from its partition folder."""
    table = _read_as(file, schema)
    if "ingest_month" in schema.names:
        month = _partition_month(file.relative_to(folder))
        index = schema.get_field_index("ingest_month")
        table = table.set_column(
            index, "ingest_month", pa.array([month] * table.num_rows, pa.string())
        )
    return table


def _read_as(file: Path, schema: pa.Schema) -> pa.Table:
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


def _partition_month(path: Path) -> str | None:
    """The month of the partition folder ``ingest_month=YYYY-MM`` a file lies in."""
    for part in path.parts[:-1]:
        if part.startswith(PARTITION):
            return part.removeprefix(PARTITION)
    return None


def _first_of_each(table: pa.Table, id_column: str) -> pa.Table:
    """The table without repeated ids (the first row of each id kept)."""
    first: dict[str, int] = {}
    for row, value in enumerate(table.column(id_column).to_pylist()):
        first.setdefault(value, row)
    if len(first) == table.num_rows:
        return table
    return table.take(pa.array(sorted(first.values()), pa.int64()))


def replaced_canonicals(documents: pa.Table, changes: pa.Table) -> dict[str, str]:
    """cluster_id -> canonical doc_id for each cluster the change log replaced the canonical
    of: its newest change, unless that change's canonical was never written (as the legacy
    readers did)."""
    newest: dict[str, str] = {}
    rows = changes.select(["cluster_id", "canonical", "changed_at"]).to_pylist()
    for row in sorted(rows, key=lambda r: r["changed_at"]):
        newest[row["cluster_id"]] = row["canonical"]
    present = set(documents.column("doc_id").to_pylist())
    return {cluster: doc_id for cluster, doc_id in newest.items() if doc_id in present}


def _with_canonicals(documents: pa.Table, canonical: dict[str, str]) -> pa.Table:
    """``documents`` with ``is_canonical`` and ``duplicate_of`` of the clusters in
    ``canonical`` made current (the new Delta layout keeps them current in place)."""
    is_canonical = documents.column("is_canonical").to_pylist()
    duplicate_of = documents.column("duplicate_of").to_pylist()
    ids = documents.column("doc_id").to_pylist()
    clusters = documents.column("cluster_id").to_pylist()
    for row, (doc_id, cluster) in enumerate(zip(ids, clusters, strict=True)):
        if cluster in canonical:
            is_canonical[row] = doc_id == canonical[cluster]
            duplicate_of[row] = None if is_canonical[row] else canonical[cluster]
    for name, values in (("is_canonical", is_canonical), ("duplicate_of", duplicate_of)):
        field = documents.schema.field(name)
        documents = documents.set_column(
            documents.schema.get_field_index(name), field, pa.array(values, field.type)
        )
    return documents


def _manifests(root: Path) -> pa.Table:
    """Every ``runs/*.json`` manifest as a row of the manifests table (its text as written)."""
    rows = []
    for path in sorted((root / "runs").glob("*.json")):
        if path.name.startswith("."):
            continue
        text = path.read_text()
        manifest = json.loads(text)
        rows.append(
            {
                "run_id": manifest.get("run_id", path.stem),
                "started_at": _time(manifest.get("started_at")),
                "finished_at": _time(manifest.get("finished_at")),
                "manifest": text,
            }
        )
    return pa.Table.from_pylist(rows, schema=RUNS)


def _time(value: object) -> datetime | None:
    """An ISO 8601 time of a manifest (UTC when it names no zone)."""
    if not isinstance(value, str):
        return None
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _write(
    dataset: Dataset,
    tables: dict[str, pa.Table],
    legacy: Path,
    files_read: int,
    files_ignored: int,
) -> MigrationReport:
    """Write the Delta tables, one commit each, documents last; return the report."""
    canonical = replaced_canonicals(tables["documents"], tables["cluster_changes"])
    documents = _with_canonicals(tables["documents"], canonical)
    manifests = _manifests(dataset.location.local_root)
    dataset.quarantine.write(tables["quarantine"], METADATA)
    dataset.cluster_changes.write(tables["cluster_changes"], METADATA)
    dataset.manifests.write(manifests, METADATA)
    dataset.documents.write(documents, METADATA)
    return MigrationReport(
        documents=documents.num_rows,
        quarantine=tables["quarantine"].num_rows,
        cluster_changes=tables["cluster_changes"].num_rows,
        manifests=manifests.num_rows,
        canonicals_replaced=len(canonical),
        files_read=files_read,
        files_ignored=files_ignored,
        legacy_folder=str(legacy),
    )


def _write_done(legacy: Path, report: MigrationReport) -> None:
    """Record that the migration finished (a rerun then refuses), with what it carried over."""
    done = {**asdict(report), "migrated_at": datetime.now(UTC).isoformat()}
    with atomic_path(legacy / DONE_FILE) as temporary:
        temporary.write_text(json.dumps(done, indent=2) + "\n")
