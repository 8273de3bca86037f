"""Deduplication: exact, near, spun and paraphrased copies clustered, against the dataset too."""

from __future__ import annotations

import time
from collections import Counter

from pressroom.dataset.dataset import Dataset
from pressroom.dedup.chunk import deduplicate_chunk
from pressroom.dedup.history import History
from pressroom.dedup.settings import DedupSettings
from pressroom.repair.settings import SpinSettings
from pressroom.schemas import Document
from pressroom.stages.base import Stage, StageOutput


class Deduplicate(Stage):
    """Cluster each chunk with itself and with ``dataset`` (none: the chunk alone).

    The dataset's history is read once, at the first chunk; each chunk's documents and
    canonical changes are then added to it in memory (the run writes them before the next
    chunk). Counts the kinds of copies and the clusters; the canonical changes of earlier
    clusters go out with the documents.
    """

    name = "deduplicate"
    counted = (
        "exact_duplicates",
        "near_duplicates",
        "spun_copies_clustered",
        "paraphrases_clustered",
        "earlier_duplicates",
        "clusters",
        "canonical_changes",
    )

    def __init__(
        self,
        settings: DedupSettings = DedupSettings(),
        spin: SpinSettings = SpinSettings(),
        dataset: Dataset | None = None,
    ):
        super().__init__()
        self.settings = settings
        self.spin = spin
        self.dataset = dataset
        self.history: History | None = None
        self.cluster_sizes: Counter[int] = Counter()
        """How many clusters of each size the chunks made (size 1: unique documents)."""

    def process_batch(self, docs: list[Document]) -> StageOutput:
        if self.history is None:
            clock = time.perf_counter()
            self.history = self._first_history()
            self.stats.parts["history"] += time.perf_counter() - clock
        stats = deduplicate_chunk(docs, self.history, self.dataset, self.settings, self.spin)
        if self.dataset is not None:
            self.history = self.history.extended(docs, stats.changes)
        self.count("exact_duplicates", stats.exact_duplicates)
        self.count("near_duplicates", stats.near_duplicates)
        self.count("spun_copies_clustered", stats.spun_copies)
        self.count("paraphrases_clustered", stats.paraphrases)
        self.count("earlier_duplicates", stats.earlier_duplicates)
        self.count("clusters", stats.clusters)
        self.count("canonical_changes", len(stats.changes))
        self.cluster_sizes.update(stats.cluster_sizes)
        return StageOutput(docs, changes=stats.changes)

    def _first_history(self) -> History:
        if self.dataset is None:
            return History.empty(self.settings)
        return History.load(self.dataset, self.settings)
