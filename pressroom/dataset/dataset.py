"""The dataset under ``OUT/`` as one object: the only code that knows its layout.

    OUT/documents/         Delta table, partitioned by ingest_month (schemas.DOCUMENTS)
    OUT/quarantine/        Delta table, partitioned by ingest_month (schemas.QUARANTINE)
    OUT/cluster_changes/   Delta table: the audit of canonical changes (schemas.CLUSTER_CHANGES)
    OUT/manifests/         Delta table: one row per run, its manifest (schemas.RUNS)
    OUT/runs/<run_id>.json the run manifests, to read by eye
    OUT/raw/<run_id>/      WARC archives of the pages a run fetched (local datasets)
    OUT/state/             the web source's validators; the data files' checksums
    OUT/damaged/           data files ``pressroom check --drop-damaged`` took out
    OUT/legacy-parquet/    the files of the earlier layout, after ``pressroom migrate``

``OUT`` is a local folder or an object-store URI (``s3://bucket/prefix``) with storage options.
A chunk is written as one commit per table (``write_chunk``); the documents table's commit adds
the chunk's new rows and updates, in place, the rows whose cluster got a new canonical. What a
run needs to know of the dataset (the ids it holds) is read at the first use and kept current
as the run writes, so no chunk reads the tables again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import pyarrow as pa

from pressroom.dataset.files import remove_temporary_files
from pressroom.dataset.location import Location
from pressroom.dataset.lock import dataset_lock, lock_held
from pressroom.dataset.table import DatasetDamaged, Table, TableSpec, Version, Where
from pressroom.schemas import (
    CLUSTER_CHANGES,
    DOCUMENTS,
    QUARANTINE,
    RUNS,
    SCHEMA_VERSION,
    ClusterChange,
    Document,
    QuarantineRecord,
)

DOCUMENTS_TABLE = TableSpec("documents", DOCUMENTS, "doc_id", ("ingest_month",))
QUARANTINE_TABLE = TableSpec("quarantine", QUARANTINE, "item_id", ("ingest_month",))
CHANGES_TABLE = TableSpec("cluster_changes", CLUSTER_CHANGES, "change_id")
MANIFESTS_TABLE = TableSpec("manifests", RUNS, "run_id")


class NeedsLocalDataset(ValueError):
    """Something only a local dataset can hold was asked of one in an object store."""


class LegacyLayout(DatasetDamaged):
    """A dataset of pressroom's earlier plain-Parquet layout, which must be migrated first."""


def legacy_tables(root: Path) -> list[str]:
    """The tables of the earlier Parquet layout under the local folder ``root``: table folders
    without a Delta log (writing Delta tables into them would hide their rows)."""
    names = (DOCUMENTS_TABLE.name, QUARANTINE_TABLE.name, CHANGES_TABLE.name)
    return [n for n in names if (root / n).is_dir() and not (root / n / "_delta_log").is_dir()]


@dataclass
class WrittenChunk:
    """What one chunk's write added, and the documents table's version after it."""

    documents_written: int
    quarantine_written: int
    version: int | None


class Dataset:
    """The dataset at ``out`` (see the module docstring for its layout)."""

    def __init__(self, out: Path | str, storage_options: dict[str, str] | None = None):
        self.location = Location.of(out, storage_options)
        self.out = self.location.root
        self.documents = Table(self.location, DOCUMENTS_TABLE)
        self.quarantine = Table(self.location, QUARANTINE_TABLE)
        self.cluster_changes = Table(self.location, CHANGES_TABLE)
        self.manifests = Table(self.location, MANIFESTS_TABLE)

    @property
    def tables(self) -> dict[str, Table]:
        return {
            table.spec.name: table
            for table in (self.documents, self.quarantine, self.cluster_changes, self.manifests)
        }

    def exists(self) -> bool:
        """Whether a run has written here (a documents table, or a run manifest)."""
        return self.documents.exists() or bool(self.location.list("runs"))

    def refuse_legacy_layout(self) -> None:
        """Raise :class:`LegacyLayout` if tables of the earlier Parquet layout are here."""
        legacy = legacy_tables(self.location.local_root) if self.location.is_local else []
        if legacy:
            raise LegacyLayout(
                f"{self.out} holds tables of pressroom's earlier Parquet layout "
                f"({', '.join(legacy)}): run `pressroom migrate {self.out}` first"
            )

    def raw_folder(self, run_id: str) -> Path:
        """Where the run ``run_id`` archives the pages it fetches (a local dataset only)."""
        if not self.location.is_local:
            raise NeedsLocalDataset(
                f"web sources need a local dataset to keep the fetched pages in; {self.out} is "
                "in an object store: fetch into a local dataset, or give local files"
            )
        return self.location.local_root / "raw" / run_id

    @contextmanager
    def lock(self, owner: str, wait_s: float) -> Iterator[None]:
        """Held while a run or a maintenance command writes a local dataset (``dataset.lock``);
        the temporary files a killed writer left are removed once it is held. In an object
        store, concurrent commits are refused by Delta's conditional writes (and runs on a
        Prefect server take turns through a global concurrency limit: ``flows/writer.py``)."""
        if not self.location.is_local:
            yield
            return
        with dataset_lock(self.location.local_root, owner, wait_s):
            for folder in ("runs", "state"):
                remove_temporary_files(self.location.local_root / folder)
            yield

    def lock_held(self) -> bool:
        """Whether this thread holds the dataset's lock already (the command line takes it
        before it starts the flow)."""
        return self.location.is_local and lock_held(self.location.local_root)

    @cached_property
    def doc_ids(self) -> set[str]:
        """Every doc_id the documents table holds (read once, kept current by writes)."""
        return self.documents.ids()

    @cached_property
    def quarantined_ids(self) -> set[str]:
        """Every item_id the quarantine table holds (read once, kept current by writes)."""
        return self.quarantine.ids()

    def read_documents(
        self,
        columns: Sequence[str] | None = None,
        where: Where = (),
        version: Version | None = None,
    ) -> pa.Table:
        """The documents table (see ``Table.read``)."""
        return self.documents.read(columns, where, version)

    def texts(self, doc_ids: set[str]) -> dict[str, str]:
        """The stored text of each of ``doc_ids`` the table holds."""
        if not doc_ids:
            return {}
        found = self.read_documents(["doc_id", "text"], [("doc_id", "in", sorted(doc_ids))])
        return dict(zip(found["doc_id"].to_pylist(), found["text"].to_pylist(), strict=True))

    def verify(self) -> None:
        """Open every table and decode every data file whole; raise ``DatasetDamaged`` naming
        the first that cannot be read (a run does this before it writes: it never goes on over
        a table it could not fully read), and ``LegacyLayout`` for a dataset to migrate."""
        self.refuse_legacy_layout()
        for table in self.tables.values():
            damaged = table.damaged_files()
            if damaged:
                raise DatasetDamaged(damaged[0][1])

    def write_chunk(
        self,
        docs: Sequence[Document],
        failures: Sequence[QuarantineRecord],
        changes: Sequence[ClusterChange],
        run_id: str,
        part: str = "",
    ) -> WrittenChunk:
        """Write one chunk, one commit per table: its quarantine records, the audit of its
        canonical changes, then (last, so that a rerun after a crash redoes what is missing)
        its new documents together with the in-place updates of the earlier rows whose
        cluster's canonical changed. Rows the dataset already holds are not written again."""
        now = datetime.now(UTC)
        metadata = {"pressroom.run_id": run_id, "pressroom.part": part or "all"}
        stamp = {"run_id": run_id, "schema_version": SCHEMA_VERSION}
        month = f"{now:%Y-%m}"
        quarantine_rows = [
            {**asdict(f), **stamp, "quarantined_at": now, "ingest_month": month}
            for f in failures
            if f.item_id not in self.quarantined_ids
        ]
        quarantined = self.quarantine.write(_table(quarantine_rows, QUARANTINE), metadata)
        self.quarantined_ids.update(row["item_id"] for row in quarantine_rows)
        change_rows = [{**asdict(c), **stamp, "changed_at": now} for c in changes]
        self.cluster_changes.write(_table(change_rows, CLUSTER_CHANGES), metadata)
        document_rows = [
            {
                **_fields(doc),
                **stamp,
                "text_length": len(doc.text),
                "ingested_at": now,
                "ingest_month": month,
            }
            for doc in docs
            if doc.doc_id not in self.doc_ids
        ]
        written = self.documents.write(
            _table(document_rows, DOCUMENTS), metadata, self._canonical_updates(changes)
        )
        self.doc_ids.update(row["doc_id"] for row in document_rows)
        return WrittenChunk(written, quarantined, self.documents.version())

    def _canonical_updates(self, changes: Sequence[ClusterChange]) -> pa.Table | None:
        """The stored rows of each changed cluster with their new ``is_canonical`` and
        ``duplicate_of`` (the last change of a cluster wins)."""
        canonical = {change.cluster_id: change.canonical for change in changes}
        if not canonical:
            return None
        stored = self.read_documents(
            ["doc_id", "cluster_id"], [("cluster_id", "in", sorted(canonical))]
        ).to_pylist()
        rows = []
        for row in stored:
            new = canonical[row["cluster_id"]]
            is_canonical = row["doc_id"] == new
            rows.append(
                {
                    "doc_id": row["doc_id"],
                    "is_canonical": is_canonical,
                    "duplicate_of": None if is_canonical else new,
                }
            )
        return pa.Table.from_pylist(
            rows,
            schema=pa.schema(
                [DOCUMENTS.field(n) for n in ("doc_id", "is_canonical", "duplicate_of")]
            ),
        )

    def write_manifest(self, manifest: dict) -> str:
        """Add the run's manifest to the ``manifests`` table (its commit carries the run id and
        the manifest as metadata) and write it as ``runs/<run_id>.json``; return where the JSON
        copy is."""
        text = json.dumps(manifest, indent=2, default=str) + "\n"
        row = {
            "run_id": manifest["run_id"],
            "started_at": datetime.fromisoformat(manifest["started_at"]),
            "finished_at": datetime.fromisoformat(manifest["finished_at"]),
            "manifest": text,
        }
        counts = manifest.get("counts", {})
        metadata = {
            "pressroom.run_id": manifest["run_id"],
            "pressroom.documents_written": str(counts.get("written", 0)),
            "pressroom.manifest": json.dumps(manifest, default=str),
        }
        self.manifests.write(_table([row], RUNS), metadata)
        name = f"{manifest['run_id']}.json"
        self.location.write_bytes(text.encode(), "runs", name)
        return self.location.uri("runs", name)

    def read_manifests(self) -> list[dict]:
        """Every run's manifest, oldest first."""
        rows = self.manifests.read(["manifest"]).column("manifest").to_pylist()
        return sorted((json.loads(row) for row in rows), key=lambda m: m["started_at"])


def _table(rows: list[dict], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


def _fields(doc: Document) -> dict:
    """``dataclasses.asdict(doc)`` without its deep copies (a tenth of the time)."""
    return {
        **vars(doc),
        "repairs": [vars(repair) for repair in doc.repairs],
        "spin_flags": [vars(flag) for flag in doc.spin_flags],
    }


__all__ = [
    "Dataset",
    "DatasetDamaged",
    "LegacyLayout",
    "NeedsLocalDataset",
    "WrittenChunk",
    "legacy_tables",
]
