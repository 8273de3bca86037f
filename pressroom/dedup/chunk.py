"""Deduplication of one chunk of new documents against itself and the dataset: every step the
ingest pipeline applies, in order (``pressroom.stages.dedup`` runs it; benchmarks call it too)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pressroom.dataset.dataset import Dataset
from pressroom.dedup.clusters import DedupStats, deduplicate
from pressroom.dedup.history import History
from pressroom.dedup.paraphrase import attach_paraphrases
from pressroom.dedup.settings import DedupSettings
from pressroom.dedup.spun import (
    adopt_earlier_spun,
    attach_spun_copies,
    earlier_references,
    earlier_spun_canonicals,
)
from pressroom.repair.settings import SpinSettings
from pressroom.schemas import Document


def deduplicate_chunk(
    docs: Sequence[Document],
    history: History,
    dataset: Dataset | None = None,
    settings: DedupSettings = DedupSettings(),
    spin: SpinSettings = SpinSettings(),
    **seams,
) -> DedupStats:
    """Cluster ``docs`` (in place) with each other and with ``history`` (that of ``dataset``):

    1. exact and near duplicates by MinHash (``deduplicate``; ``seams`` are its keyword
       arguments for benchmarks);
    2. spun copies matched to a clean original by the words spinners leave alone: within the
       chunk, and in the dataset for documents judged spun;
    3. machine-paraphrased copies matched to their original by anchors;
    4. a clean original arriving after its spun copy adopts the copy's earlier cluster.
    """
    docs = list(docs)
    stats = deduplicate(docs, settings, history, **seams)
    if any(doc.is_spun or doc.spin_flags for doc in docs):
        # the dataset's clean documents are searched for documents judged spun only, not for
        # those with a flagged phrase (common in clean text; they are matched within the chunk)
        spun = any(doc.is_spun for doc in docs)
        earlier = earlier_references(dataset, history) if dataset and spun and len(history) else []
        attach_spun_copies(docs, earlier, spin)
    # originals of paraphrased copies are found by their stored keys; only candidates are read
    stats.changes += attach_paraphrases(docs, history)
    if dataset and len(history):
        earlier_spun = earlier_spun_canonicals(dataset, history)
        stats.changes += adopt_earlier_spun(docs, earlier_spun, spin)
    # counted once every step has placed the documents: a near copy may turn out spun
    kinds = Counter(doc.dup_kind for doc in docs)
    stats.exact_duplicates, stats.near_duplicates = kinds["exact"], kinds["near"]
    stats.spun_copies, stats.paraphrases = kinds["spun"], kinds["paraphrase"]
    return stats
