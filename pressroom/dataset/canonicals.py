"""Which document is each cluster's canonical now: the rows' ``is_canonical`` as written, with
the ``cluster_changes`` log of later runs applied."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pressroom.dataset.writer import parquet_files


def read_cluster_changes(folder: Path) -> dict[str, str]:
    """The latest canonical ``doc_id`` the change log in ``folder`` (``Dataset.cluster_changes``)
    gives each cluster it names."""
    changes: dict[str, str] = {}
    for file in parquet_files(folder):
        rows = pq.read_table(file, columns=["cluster_id", "canonical", "changed_at"])
        for row in sorted(rows.to_pylist(), key=lambda r: r["changed_at"]):
            changes[row["cluster_id"]] = row["canonical"]
    return changes


def current_canonicals(documents: pa.Table, changes: Mapping[str, str]) -> dict[str, str]:
    """cluster_id -> canonical doc_id, from ``documents`` (with ``doc_id``, ``cluster_id`` and
    ``is_canonical``) and ``changes``; a change whose new canonical was never written (a run
    stopped in between) is ignored."""
    written = pc.filter(documents, documents.column("is_canonical"))
    canonical = dict(
        zip(
            written.column("cluster_id").to_pylist(),
            written.column("doc_id").to_pylist(),
            strict=True,
        )
    )
    present = set(documents.column("doc_id").to_pylist())
    canonical.update({c: d for c, d in changes.items() if d in present})
    return canonical
