"""One table of the dataset as a Delta Lake table (``deltalake``, delta-rs).

Every write is one commit: readers see a version whole or not at all, during writes and
compactions alike, and can pin a version (time travel). A table is checked when it is opened:
its transaction log must load and its columns must be those of ``schemas/``. Data files are read
with pyarrow, file by file, so a file that cannot be read is named, with the ways to repair it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.parquet as pq

from pressroom.dataset import checksums
from pressroom.dataset.location import Location

COMMIT_ATTEMPTS = 10
"""How many times a write is tried when other writers' commits keep beating it."""

Version = int | str | datetime
"""A table version: its number, or a time (a datetime or an ISO 8601 string)."""

Where = Sequence[tuple[str, str, object]]
"""Conditions on columns, all to hold, as pyarrow's filters write them:
``[("is_canonical", "==", True), ("language", "in", ["en", "de"])]``."""


@dataclass(frozen=True)
class TableSpec:
    """What a table is: its name (its folder under ``OUT/``), columns, key and partitions."""

    name: str
    schema: pa.Schema
    key: str
    partition_by: tuple[str, ...] = ()


class DatasetDamaged(RuntimeError):
    """Part of the dataset cannot be read. The message says what, where, and how to repair."""


class Table:
    """The Delta table ``spec.name`` under ``location``."""

    def __init__(self, location: Location, spec: TableSpec):
        self.location = location
        self.spec = spec
        self.uri = location.uri(spec.name)

    def exists(self) -> bool:
        from deltalake import DeltaTable

        return DeltaTable.is_deltatable(self.uri, self.location.storage_options)

    def open(self, version: Version | None = None):
        """The table's ``DeltaTable`` at ``version`` (default: the latest), checked; None when
        the table was never written. Raises :class:`DatasetDamaged` when its log cannot be
        read or its columns are not those of ``schemas/``."""
        from deltalake import DeltaTable

        if not self.exists():
            return None
        try:
            table = DeltaTable(self.uri, storage_options=self.location.storage_options)
            if version is not None:
                table.load_as_version(version)
        except Exception as error:  # delta-rs raises several kinds; all mean the same here
            if version is not None and "version" in str(error).lower():
                message = f"{self.spec.name}: no version {version}: {one_line(str(error))}"
                raise DatasetDamaged(message) from None
            raise DatasetDamaged(
                f"{self.spec.name}: the transaction log {self.uri}/_delta_log cannot be read "
                f"({one_line(str(error))}). Restore the log folder from a backup, or remove "
                "the commit files written last (the newest *.json under _delta_log) to return "
                "to the version before them"
            ) from None
        self._check_schema(table)
        return table

    def _check_schema(self, table) -> None:
        """Refuse a table whose columns differ from ``spec.schema`` (in name or type); columns
        the table lacks are fine (an older schema: they read as nulls until written)."""
        from deltalake import Schema

        expected = {f.name: f.type for f in Schema.from_arrow(self.spec.schema).fields}
        problems = [
            f"{field.name} is {_type_name(field.type)}, expected {_type_name(expected[field.name])}"
            if field.name in expected
            else f"{field.name} is not a column of pressroom's {self.spec.name} table"
            for field in table.schema().fields
            if expected.get(field.name) != field.type
        ]
        if problems:
            raise DatasetDamaged(
                f"{self.spec.name} at {self.uri} does not have pressroom's schema "
                f"(schemas/tables.py): {'; '.join(problems)}. Was it written by another tool "
                "or a newer pressroom?"
            )

    def version(self) -> int | None:
        table = self.open()
        return None if table is None else table.version()

    def read(
        self,
        columns: Sequence[str] | None = None,
        where: Where = (),
        version: Version | None = None,
    ) -> pa.Table:
        """The table at ``version`` (default: the latest) as one Arrow table with the columns of
        ``spec.schema`` (or only ``columns``), rows matching ``where`` only. Columns a data file
        predates come back as nulls. Raises
        :class:`DatasetDamaged` naming a data file that cannot be read."""
        schema = _nullable(_select(self.spec.schema, columns))
        tested = _nullable(_select(self.spec.schema, [c for c, _, _ in where]))
        needed = _nullable(_select(self.spec.schema, [*schema.names, *tested.names]))
        table = self.open(version)
        if table is None:
            return schema.empty_table()
        matching = pq.filters_to_expression([list(where)]) if where else None
        parts = []
        for path, partition in _files(table):
            if matching is None:
                parts.append(self._read_file(path, partition, needed))
            # the tested columns first: a file without a match is not read further
            elif self._read_file(path, partition, tested).filter(matching).num_rows:
                parts.append(self._read_file(path, partition, needed).filter(matching))
        rows = pa.concat_tables(parts) if parts else needed.empty_table()
        return rows.select(schema.names)

    def ids(self) -> set[str]:
        """Every value of the key column."""
        return set(self.read([self.spec.key]).column(self.spec.key).to_pylist())

    def _read_file(
        self,
        path: str,
        partition: Mapping[str, str | None],
        schema: pa.Schema,
    ) -> pa.Table:
        filesystem = self.location.filesystem()
        location = self.location.path(self.spec.name, path)
        stored = [name for name in schema.names if name not in partition]
        try:
            written = pq.read_schema(location, filesystem=filesystem)
            self._check_file_columns(path, written, partition)
            # read as pressroom's types (delta-rs may store strings as Arrow string views)
            as_written = _nullable(pa.schema([self.spec.schema.field(n) for n in written.names]))
            present = [name for name in stored if name in written.names]
            table = pq.read_table(
                location, columns=present, filesystem=filesystem, schema=as_written
            )
        except (OSError, pa.ArrowInvalid) as error:  # a file that cannot be decoded
            raise DatasetDamaged(self._damage_message(path, error)) from None
        for name, value in partition.items():
            if name in schema.names:
                table = table.append_column(name, pa.array([value] * table.num_rows, pa.string()))
        return _conform(table, schema)

    def _check_checksum(self, path: str, recorded: str) -> None:
        actual = checksums.file_sha256(self.location, self.spec.name, path)
        if actual != recorded:
            changed = (
                f"its bytes changed since it was written (SHA-256 {actual[:12]}, recorded "
                f"{recorded[:12]})"
            )
            raise DatasetDamaged(self._damage_message(path, changed))

    def _check_decodes(self, filesystem, path: str, partition: Mapping[str, str | None]) -> None:
        with filesystem.open_input_file(self.location.path(self.spec.name, path)) as file:
            parquet = pq.ParquetFile(file)
            self._check_file_columns(path, parquet.schema_arrow, partition)
            for _ in parquet.iter_batches(batch_size=4096):
                pass

    def _check_file_columns(
        self, path: str, written: pa.Schema, partition: Mapping[str, str | None]
    ) -> None:
        """Refuse a data file whose columns are not the table's: a column pressroom does not
        write, one of another type, or a required one missing (a column added to the schema
        since the file was written may be missing: it reads as nulls)."""
        expected = self.spec.schema
        problems = [
            f"{field.name} is {field.type}, expected {expected.field(field.name).type}"
            if field.name in expected.names
            else f"{field.name} is not a column of the table"
            for field in written
            if field.name not in expected.names
            or _base_type(field.type) != _base_type(expected.field(field.name).type)
        ]
        problems += [
            f"{field.name} is missing"
            for field in expected
            if not field.nullable
            and field.name not in written.names
            and field.name not in partition
        ]
        if problems:
            raise DatasetDamaged(self._damage_message(path, "; ".join(problems)))

    def _damage_message(self, path: str, error: Exception | str) -> str:
        out = self.location.root
        return (
            f"{self.spec.name}: data file {self.location.uri(self.spec.name)}/{path} cannot be "
            f"read ({one_line(str(error))}). To repair: `pressroom restore {out} --version N` "
            f"returns the dataset to an earlier version (`pressroom history {out}` lists them), or "
            f"`pressroom check {out} --drop-damaged` removes the damaged file from the table "
            f"(its rows are lost; the file is moved to {out}/damaged/)"
        )

    def damaged_files(self) -> list[tuple[str, str]]:
        """Each damaged data file of the latest version, with why: a file whose checksum was
        recorded must still have it; any other must decode whole (every column of every page,
        batch by batch, so memory stays small)."""
        table = self.open()
        if table is None:
            return []
        filesystem, found = self.location.filesystem(), []
        recorded = checksums.load(self.location, self.spec.name)
        for path, partition in _files(table):
            try:
                if path in recorded:  # then a whole-file check suffices
                    self._check_checksum(path, recorded[path])
                else:
                    self._check_decodes(filesystem, path, partition)
            except (OSError, pa.ArrowInvalid) as error:
                found.append((path, self._damage_message(path, error)))
            except DatasetDamaged as error:
                found.append((path, str(error)))
        return found

    def write(
        self,
        rows: pa.Table,
        metadata: Mapping[str, str],
        updates: pa.Table | None = None,
    ) -> int:
        """In one commit (a MERGE): insert the ``rows`` whose key the table does not hold, and
        set the columns of ``updates`` (the key and the columns to set) on the rows with its
        keys. Creates the table (empty) at its first write. A commit that another writer's
        commit beat is made again on the new version (inserting only keys still missing).
        Returns the number of rows inserted."""
        from deltalake import CommitProperties
        from deltalake.exceptions import CommitFailedError

        source = _merge_source(rows.cast(self.spec.schema), updates, self.spec.schema)
        if not source.num_rows:
            return 0
        commit = CommitProperties(custom_metadata=dict(metadata))
        for attempt in range(1, COMMIT_ATTEMPTS + 1):
            table = self.open() or self._create()
            try:
                inserted = self._merge(table, source, updates, commit)
            except CommitFailedError:
                if attempt == COMMIT_ATTEMPTS:
                    raise
                time.sleep(0.05 * attempt)
                continue
            self.record_checksums()
            return inserted
        raise AssertionError("unreachable")

    def record_checksums(self) -> None:
        """Record the checksum of each data file of the latest version not recorded yet (after
        every commit pressroom makes: writes, compaction, restore)."""
        table = self.open()
        if table is not None:
            checksums.record(self.location, self.spec.name, [path for path, _ in _files(table)])

    def _create(self):
        """Create the table, empty (a concurrent creation of the same table is fine)."""
        from deltalake import DeltaTable

        DeltaTable.create(
            self.uri,
            schema=self.spec.schema,
            partition_by=list(self.spec.partition_by) or None,
            mode="ignore",
            storage_options=self.location.storage_options,
        )
        return self.open()

    def _merge(self, table, source: pa.Table, updates: pa.Table | None, commit) -> int:
        from deltalake import WriterProperties

        self._add_missing_columns(table)
        key = self.spec.key
        merger = table.merge(
            source,
            f"t.{key} = s.{key}",
            source_alias="s",
            target_alias="t",
            writer_properties=WriterProperties(compression="ZSTD"),
            commit_properties=commit,
        )
        if updates is not None and updates.num_rows:
            merger = merger.when_matched_update(
                {name: f"s.{name}" for name in updates.column_names if name != key},
                predicate="s._update",
            )
        metrics = merger.when_not_matched_insert(
            {name: f"s.{name}" for name in self.spec.schema.names}, predicate="NOT s._update"
        ).execute()
        return int(metrics["num_target_rows_inserted"])

    def _add_missing_columns(self, table) -> None:
        """Schema evolution, additive only: add the columns of ``spec.schema`` that a table
        written by an older pressroom lacks (its existing rows read them as nulls)."""
        from deltalake import Schema

        present = {field.name for field in table.schema().fields}
        missing = [field for field in self.spec.schema if field.name not in present]
        if missing:
            table.alter.add_columns(Schema.from_arrow(_nullable(pa.schema(missing))).fields)


def one_line(text: str) -> str:
    """``text`` on one line: whitespace runs as one space, unprintable characters as ``\\xNN``
    (a decoder's message may hold both)."""
    joined = " ".join(text.split())
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in joined)


def _base_type(data_type: pa.DataType) -> pa.DataType:
    """``data_type`` with string and binary views or large variants as plain strings and
    binaries, and list items unnamed: how delta-rs and pyarrow may differ in writing one type."""
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return pa.string()
    if pa.types.is_string_view(data_type):
        return pa.string()
    if pa.types.is_binary_view(data_type) or pa.types.is_large_binary(data_type):
        return pa.binary()
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        return pa.list_(_base_type(data_type.value_type))
    if pa.types.is_list_view(data_type) or pa.types.is_large_list_view(data_type):
        return pa.list_(_base_type(data_type.value_type))
    if pa.types.is_struct(data_type):
        return pa.struct([(field.name, _base_type(field.type)) for field in data_type])
    return data_type


def _type_name(delta_type: object) -> str:
    """A Delta column type as its name (``string``, ``integer``) where it has one."""
    return str(getattr(delta_type, "type", delta_type))


def _merge_source(rows: pa.Table, updates: pa.Table | None, schema: pa.Schema) -> pa.Table:
    """The rows to insert and the updates as one MERGE source, told apart by ``_update``."""
    marked = schema.append(pa.field("_update", pa.bool_()))
    inserts = rows.append_column("_update", pa.array([False] * rows.num_rows))
    if updates is None or not updates.num_rows:
        return inserts
    columns = {
        name: updates.column(name).cast(schema.field(name).type)
        if name in updates.column_names
        else pa.nulls(updates.num_rows, schema.field(name).type)
        for name in schema.names
    }
    columns["_update"] = pa.array([True] * updates.num_rows)
    updates = pa.table(columns, schema=_nullable(marked))
    return pa.concat_tables([inserts.cast(_nullable(marked)), updates])


def _nullable(schema: pa.Schema) -> pa.Schema:
    return pa.schema([field.with_nullable(True) for field in schema], metadata=schema.metadata)


def _files(table) -> list[tuple[str, dict[str, str | None]]]:
    """Each data file of ``table``'s version (its path under the table) with its partition
    values."""
    actions = pa.table(table.get_add_actions(flatten=True))
    partitions = [name for name in actions.column_names if name.startswith("partition.")]
    files = []
    for row in actions.select(["path", *partitions]).to_pylist():
        values = {name.removeprefix("partition."): row[name] for name in partitions}
        files.append((unquote(row["path"]), values))
    return sorted(files)


def _select(schema: pa.Schema, columns: Sequence[str] | None) -> pa.Schema:
    if columns is None:
        return schema
    unknown = [name for name in columns if name not in schema.names]
    if unknown:
        raise KeyError(f"no such column: {', '.join(unknown)}")
    return pa.schema([schema.field(name) for name in dict.fromkeys(columns)])


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with the columns of ``schema``, in its order and types; columns the data file
    predates (added to the table since) as nulls."""
    for column in schema:
        if column.name not in table.column_names:
            table = table.append_column(column.name, pa.nulls(table.num_rows, column.type))
    return table.select(schema.names).cast(_nullable(schema))
