"""The dataset under ``OUT/`` as one object: the only place that knows its layout.

A run opens it once. What the run needs to know of it (the doc_ids and quarantined ids it holds)
is read at the first use and kept current as the run writes, so no chunk reads the tables again.

    OUT/documents/ingest_month=YYYY-MM/part-<run_id>[-<part>].parquet
    OUT/quarantine/ingest_month=YYYY-MM/part-...parquet
    OUT/cluster_changes/part-...parquet
    OUT/runs/<run_id>.json        the run manifests
    OUT/raw/<run_id>/             WARC archives of the pages a run fetched
    OUT/state/                    what a source keeps between runs (the web source's validators)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from pressroom.dataset.lock import dataset_lock
from pressroom.dataset.writer import (
    existing_ids,
    write_cluster_changes,
    write_documents,
    write_manifest,
    write_quarantine,
)
from pressroom.schemas import ClusterChange, Document, QuarantineRecord


@dataclass
class WrittenChunk:
    """The files one chunk's write made, and how many new rows each holds."""

    documents: Path | None
    documents_written: int
    quarantine: Path | None
    quarantine_written: int


class Dataset:
    """The dataset under ``out`` (see the module docstring for its layout)."""

    def __init__(self, out: Path | str):
        self.out = Path(out)

    @property
    def documents(self) -> Path:
        return self.out / "documents"

    @property
    def quarantine(self) -> Path:
        return self.out / "quarantine"

    @property
    def cluster_changes(self) -> Path:
        return self.out / "cluster_changes"

    @property
    def runs(self) -> Path:
        return self.out / "runs"

    @property
    def state(self) -> Path:
        return self.out / "state"

    def raw_folder(self, run_id: str) -> Path:
        """Where the run ``run_id`` archives the pages it fetches."""
        return self.out / "raw" / run_id

    @contextmanager
    def lock(self, owner: str, wait_s: float) -> Iterator[None]:
        """Held while a run or a maintenance command writes (see ``dataset.lock``)."""
        with dataset_lock(self.out, owner, wait_s):
            yield

    @cached_property
    def doc_ids(self) -> set[str]:
        """Every doc_id the documents table holds (read once, kept current by writes)."""
        return existing_ids(self.documents, "doc_id")

    @cached_property
    def quarantined_ids(self) -> set[str]:
        """Every item_id the quarantine table holds (read once, kept current by writes)."""
        return existing_ids(self.quarantine, "item_id")

    def write_chunk(
        self,
        docs: Sequence[Document],
        failures: Sequence[QuarantineRecord],
        changes: Sequence[ClusterChange],
        run_id: str,
        part: str = "",
    ) -> WrittenChunk:
        """Write one chunk: its canonical changes first (before the documents they point to),
        then its new documents and quarantine records, each file atomically; rows the dataset
        already holds are not written again."""
        now = datetime.now(UTC)
        write_cluster_changes(self.out, changes, run_id, now, part)
        documents, written = write_documents(self.out, docs, run_id, now, part, self.doc_ids)
        quarantine, quarantined = write_quarantine(
            self.out, failures, run_id, now, part, self.quarantined_ids
        )
        return WrittenChunk(documents, written, quarantine, quarantined)

    def write_manifest(self, manifest: dict) -> Path:
        return write_manifest(self.out, manifest)
