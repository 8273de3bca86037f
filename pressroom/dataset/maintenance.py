"""Keeping a dataset readable and repairable: snapshots for export, compaction (Delta
``optimize``), vacuum, the version history, restore, and the check for damaged files.

None of it breaks a reader: compaction and restore are commits (a reader keeps the version it
opened), and vacuum deletes only files that no version within its retention needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa

from pressroom.dataset.dataset import Dataset
from pressroom.dataset.table import DatasetDamaged, Table, Version

DEFAULT_RETENTION_HOURS = 168
"""Vacuum keeps the files of every version from the last 7 days (Delta's default), so a reader
that opened a version up to a week ago, or pinned one with ``--as-of``, can still read it."""

MAINTAINED_TABLES = ("documents", "quarantine")
"""The tables that grow with every chunk (compacted and vacuumed)."""


class NotADataset(ValueError):
    """A location that holds no pressroom dataset."""


def require_dataset(dataset: Dataset) -> None:
    """Raise :class:`NotADataset` unless a run has written to ``dataset``, and
    ``LegacyLayout`` for one to migrate first."""
    dataset.refuse_legacy_layout()
    if not dataset.exists():
        raise NotADataset(
            f"{dataset.out} is not a pressroom dataset (it has no documents table or runs/ folder)"
        )


def read_table(dataset: Dataset, name: str, as_of: Version | None = None) -> pa.Table:
    """A whole table at ``as_of`` (default: now), older rows brought to the current schema."""
    return dataset.tables[name].read(version=as_of)


def canonical_documents(dataset: Dataset, as_of: Version | None = None) -> pa.Table:
    """One row per cluster: its canonical (the table keeps ``is_canonical`` current)."""
    documents = dataset.read_documents(where=[("is_canonical", "==", True)], version=as_of)
    return documents.sort_by("doc_id")


@dataclass
class Compaction:
    """Files removed and added by compacting one table."""

    removed: int = 0
    added: int = 0


def compact(dataset: Dataset, z_order: list[str] | None = None) -> dict[str, Compaction]:
    """Rewrite each partition's small files into large ones (Delta ``optimize``), clustered by
    ``z_order`` columns when given (for example ``site`` and ``published_at``: the columns the
    common queries filter on). One commit per table; the replaced files stay until vacuum."""
    done: dict[str, Compaction] = {}
    for name in MAINTAINED_TABLES:
        table = dataset.tables[name].open()
        if table is None:
            continue
        metrics = table.optimize.z_order(z_order) if z_order else table.optimize.compact()
        dataset.tables[name].record_checksums()
        done[name] = Compaction(metrics["numFilesRemoved"], metrics["numFilesAdded"])
    return done


def vacuum(
    dataset: Dataset, retention_hours: int = DEFAULT_RETENTION_HOURS, dry_run: bool = False
) -> dict[str, list[str]]:
    """Delete the files no version of the last ``retention_hours`` needs (replaced by
    compaction or updates, or left by a killed write); return them per table."""
    deleted: dict[str, list[str]] = {}
    for name in (*MAINTAINED_TABLES, "cluster_changes", "manifests"):
        table = dataset.tables[name].open()
        if table is None:
            continue
        deleted[name] = table.vacuum(
            retention_hours=retention_hours,
            dry_run=dry_run,
            enforce_retention_duration=retention_hours >= DEFAULT_RETENTION_HOURS,
        )
    return deleted


def history(dataset: Dataset, limit: int | None = None) -> list[dict]:
    """The documents table's versions, newest first: version, time, operation, run id."""
    table = dataset.documents.open()
    if table is None:
        return []
    entries = []
    for commit in table.history(limit):
        entries.append(
            {
                "version": commit.get("version"),
                "time": datetime.fromtimestamp(commit["timestamp"] / 1000, UTC).isoformat(),
                "operation": commit.get("operation"),
                "run_id": commit.get("pressroom.run_id"),
            }
        )
    return entries


def restore(dataset: Dataset, version: Version) -> int:
    """Return the documents table to ``version`` (a new commit; later versions stay in the
    history until vacuumed); the quarantine table goes back to the same moment. Returns the new
    version of the documents table."""
    documents = dataset.documents.open()
    if documents is None:
        raise NotADataset(f"{dataset.out} has no documents table")
    target = dataset.documents.open(version)
    moment = _version_time(target)
    if target.version() < documents.version():
        documents.restore(target.version())
        dataset.documents.record_checksums()
    quarantine = dataset.quarantine.open()
    if quarantine is not None:
        earlier = [c["version"] for c in quarantine.history() if c["timestamp"] <= moment]
        if earlier and max(earlier) < quarantine.version():
            quarantine.restore(max(earlier))
            dataset.quarantine.record_checksums()
    return dataset.documents.open().version()


def _version_time(table) -> int:
    """When the version ``table`` is at was committed (milliseconds since the epoch)."""
    version = table.version()
    return next(c["timestamp"] for c in table.history() if c["version"] == version)


@dataclass
class CheckReport:
    """What ``check`` found: per table, the damaged files (path, error) and those dropped."""

    damaged: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    dropped: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    """Tables that could not be opened at all (log or schema), with why."""

    @property
    def clean(self) -> bool:
        return not self.problems and not any(self.damaged.values())


def check(dataset: Dataset, drop_damaged: bool = False) -> CheckReport:
    """Open every table and read every data file whole. With ``drop_damaged``, each damaged
    file is moved to ``OUT/damaged/<table>/`` and removed from its table (a commit: Delta's
    ``repair``); its rows are lost from the current version, and earlier versions keep them."""
    report = CheckReport()
    for name, table in dataset.tables.items():
        try:
            report.damaged[name] = table.damaged_files()
        except DatasetDamaged as error:
            report.problems.append(str(error))
            continue
        if drop_damaged and report.damaged[name]:
            report.dropped[name] = _drop(dataset, table, [path for path, _ in report.damaged[name]])
    return report


def _drop(dataset: Dataset, table: Table, paths: list[str]) -> list[str]:
    """Move ``paths`` (data files of ``table``) aside, then remove them from the table."""
    filesystem = dataset.location.filesystem()
    for path in paths:
        target = dataset.location.path("damaged", table.spec.name, path)
        filesystem.create_dir(target.rsplit("/", 1)[0], recursive=True)
        filesystem.move(dataset.location.path(table.spec.name, path), target)
    table.open().repair()
    table.record_checksums()
    return paths
