"""What earlier runs wrote, as far as deduplicating a new run against it needs.

Each document row keeps its MinHash signature and LSH band keys (schema 1.2), so a run finds
the earlier documents its new ones duplicate by reading those columns, never the text: one
vectorised pass over the stored band keys gives the candidates, and their stored signatures
verify them. A cluster's canonical is the row marked canonical (the dataset keeps the mark
current); a run's own canonical changes are applied in memory as it goes. What the canonical
policy ranks by (``url``, ``site``, ``issuer``, ``release_status``, ``published_at``,
``text_length``) is read too, so an earlier canonical and a newcomer are ranked alike.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pressroom.dataset.dataset import Dataset
from pressroom.dedup.minhash import from_bytes, jaccard
from pressroom.dedup.settings import DedupSettings
from pressroom.schemas import ClusterChange, Document

COLUMNS = pa.schema(
    [
        ("doc_id", pa.string()),
        ("cluster_id", pa.string()),
        ("content_hash", pa.string()),
        ("is_canonical", pa.bool_()),
        ("is_spun", pa.bool_()),  # since schema 1.1
        ("published_at", pa.timestamp("us")),
        ("text_length", pa.int32()),  # since 1.2
        ("minhash", pa.binary()),  # since 1.2
        ("lsh_bands", pa.list_(pa.int64())),  # since 1.2
        ("url", pa.string()),
        ("site", pa.string()),
        ("issuer", pa.string()),
        ("release_status", pa.string()),
        ("paraphrase_keys", pa.list_(pa.int64())),  # since 1.5
    ]
)
"""The columns of ``OUT/documents`` that deduplication reads."""


@dataclass(frozen=True)
class Earlier:
    """One earlier document."""

    doc_id: str
    cluster_id: str
    content_hash: str
    is_spun: bool
    published_at: datetime | None
    text_length: int | None
    minhash: np.ndarray | None
    """Its MinHash signature (``dedup.minhash``)."""
    url: str | None = None
    site: str | None = None
    issuer: str | None = None
    release_status: str | None = None
    """Where it came from: what the canonical policy ranks by, with the date and length."""


@dataclass(frozen=True)
class HistoryMatch:
    """The earlier cluster a new text belongs to."""

    cluster_id: str
    similarity: float


class History:
    """The earlier documents of a dataset (see the module docstring)."""

    def __init__(
        self,
        table: pa.Table,
        changes: Mapping[str, str],
        settings: DedupSettings,
        read_texts: Callable[[set[str]], dict[str, str]] | None = None,
    ):
        self.table = table
        self.settings = settings
        self.changes = dict(changes)
        """cluster_id -> canonical doc_id, for the clusters whose canonical changed since the
        table was read."""
        self._read_texts = read_texts
        self._row_of_hash = _first_rows(table.column("content_hash").to_pylist())
        self._row_of_doc = _first_rows(table.column("doc_id").to_pylist())
        self._canonical = current_canonicals(table, changes)

    @classmethod
    def load(cls, dataset: Dataset, settings: DedupSettings = DedupSettings()) -> History:
        """The documents already in ``dataset`` (its latest version)."""
        return cls(dataset.read_documents(COLUMNS.names), {}, settings, dataset.texts)

    @classmethod
    def empty(cls, settings: DedupSettings = DedupSettings()) -> History:
        """The history of a dataset that holds nothing yet."""
        return cls(COLUMNS.empty_table(), {}, settings)

    def extended(self, docs: Sequence[Document], changes: Sequence[ClusterChange]) -> History:
        """This history with a chunk's documents and canonical changes added (what the run
        writes next), without reading the dataset again."""
        rows = [
            {name: getattr(doc, name, None) for name in COLUMNS.names}
            | {"text_length": len(doc.text)}
            for doc in docs
        ]
        table = pa.concat_tables(
            [self.table.cast(COLUMNS), pa.Table.from_pylist(rows, schema=COLUMNS)]
        )
        latest = {change.cluster_id: change.canonical for change in changes}
        return History(table, self.changes | latest, self.settings, self._read_texts)

    def __len__(self) -> int:
        return self.table.num_rows

    def canonicals(self) -> dict[str, str]:
        """The current canonical ``doc_id`` of every earlier cluster."""
        return dict(self._canonical)

    def canonical(self, cluster_id: str) -> Earlier:
        """The current canonical of an earlier cluster."""
        return self._earlier(self._row_of_doc[self._canonical[cluster_id]])

    def current_canonical(self, cluster_id: str) -> Earlier | None:
        """The current canonical of ``cluster_id``, None if it is no earlier cluster."""
        return self.canonical(cluster_id) if cluster_id in self._canonical else None

    def matches(
        self, contents: Sequence[str], signatures: np.ndarray, band_keys: np.ndarray
    ) -> dict[str, HistoryMatch]:
        """For each new text (its content hash, and its row of ``signatures`` and
        ``band_keys``), the earlier cluster it duplicates: same content first, else the most
        similar verified candidate."""
        found: dict[str, HistoryMatch] = {}
        for content in contents:
            if content in self._row_of_hash:
                found[content] = HistoryMatch(self._cluster_of_row(self._row_of_hash[content]), 1.0)
        pending = {
            content: (signature, keys)
            for content, signature, keys in zip(contents, signatures, band_keys, strict=True)
            if content not in found
        }
        for key, rows in self._candidates(pending).items():
            best = None
            for row in sorted(rows):
                earlier = self._earlier(row)
                if earlier.minhash is None:
                    continue
                similarity = jaccard(pending[key][0], earlier.minhash)
                if similarity >= self.settings.threshold and (
                    best is None or similarity > best.similarity
                ):
                    best = HistoryMatch(earlier.cluster_id, similarity)
            if best:
                found[key] = best
        return found

    def _candidates(
        self, queries: Mapping[str, tuple[np.ndarray, np.ndarray]]
    ) -> dict[str, set[int]]:
        """Earlier rows sharing at least one band key with each query (one vectorised pass)."""
        if not queries or not len(self):
            return {}
        askers: dict[int, list[str]] = defaultdict(list)
        for key, (_, bands) in queries.items():
            for band in bands.tolist():
                askers[band].append(key)
        bands = self.table.column("lsh_bands")
        flat = pc.list_flatten(bands)
        parents = pc.list_parent_indices(bands)
        hits = pc.is_in(flat, value_set=pa.array(list(askers), pa.int64()))
        rows: dict[str, set[int]] = defaultdict(set)
        hit_bands = pc.filter(flat, hits).to_pylist()
        hit_rows = pc.filter(parents, hits).to_pylist()
        for band, row in zip(hit_bands, hit_rows, strict=True):
            for key in askers[band]:
                rows[key].add(row)
        return rows

    def paraphrase_candidates(
        self,
        queries: Mapping[str, Sequence[int]],
        minimum: int,
        limit: int,
        common: int,
        common_share: float,
    ) -> dict[str, list[Earlier]]:
        """For each query (its anchor keys), the current canonicals not judged spun that share
        at least ``minimum`` stored ``paraphrase_keys`` with it, most shared first, at most
        ``limit``. Keys held by more than ``common`` rows (or ``common_share`` of the rows with
        keys, if more) propose no candidates. One vectorised pass over the stored keys."""
        if not queries or not len(self):
            return {}
        askers: dict[int, list[str]] = defaultdict(list)
        for query, keys in queries.items():
            for key in set(keys):
                askers[key].append(query)
        stored = self.table.column("paraphrase_keys")
        flat = pc.list_flatten(stored)
        hits = pc.is_in(flat, value_set=pa.array(list(askers), pa.int64()))
        rows_of_key: dict[int, list[int]] = defaultdict(list)
        hit_keys = pc.filter(flat, hits).to_pylist()
        hit_rows = pc.filter(pc.list_parent_indices(stored), hits).to_pylist()
        for key, row in zip(hit_keys, hit_rows, strict=True):
            rows_of_key[key].append(row)
        with_keys = len(self) - stored.null_count
        too_common = max(common, common_share * with_keys)
        spun = pc.fill_null(self.table.column("is_spun"), False)
        spun_rows = set(pc.indices_nonzero(spun).to_pylist())
        eligible = {self._row_of_doc[d] for d in self._canonical.values()} - spun_rows
        shared: dict[str, Counter[int]] = defaultdict(Counter)
        for key, rows in rows_of_key.items():
            if len(rows) > too_common:
                continue
            rows = [r for r in rows if r in eligible]
            for query in askers[key]:
                shared[query].update(rows)
        return {
            query: [
                self._earlier(row)
                for row, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[
                    :limit
                ]
                if count >= minimum
            ]
            for query, counts in shared.items()
        }

    def texts(self, doc_ids: set[str]) -> dict[str, str]:
        """The stored text of each of ``doc_ids`` (read from the dataset)."""
        wanted = {d for d in doc_ids if d in self._row_of_doc}
        return self._read_texts(wanted) if self._read_texts and wanted else {}

    def _cluster_of_row(self, row: int) -> str:
        return self.table.column("cluster_id")[row].as_py()

    def _earlier(self, row: int) -> Earlier:
        record = self.table.slice(row, 1).to_pylist()[0]
        data = record["minhash"]
        return Earlier(
            record["doc_id"],
            record["cluster_id"],
            record["content_hash"],
            bool(record["is_spun"]),
            record["published_at"],
            record["text_length"],
            from_bytes(data) if data else None,
            record["url"],
            record["site"],
            record["issuer"],
            record["release_status"],
        )


def current_canonicals(documents: pa.Table, changes: Mapping[str, str]) -> dict[str, str]:
    """cluster_id -> canonical doc_id, from ``documents`` (with ``doc_id``, ``cluster_id`` and
    ``is_canonical``) and ``changes``; a change whose new canonical is not among ``documents``
    is ignored."""
    marked = pc.filter(documents, documents.column("is_canonical"))
    canonical = dict(
        zip(
            marked.column("cluster_id").to_pylist(),
            marked.column("doc_id").to_pylist(),
            strict=True,
        )
    )
    present = set(documents.column("doc_id").to_pylist())
    canonical.update({c: d for c, d in changes.items() if d in present})
    return canonical


def _first_rows(values: list[str]) -> dict[str, int]:
    rows: dict[str, int] = {}
    for row, value in enumerate(values):
        rows.setdefault(value, row)
    return rows
