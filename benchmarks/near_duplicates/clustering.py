"""The pipeline's deduplication of one chunk, on copies of the labelled documents.

``cluster`` runs the ingest pipeline's dedup stage (``stages.dedup.Deduplicate``) through
``pipeline.run_chunk``, with no dataset: ``deduplicate``, then the spun-copy matching where a
document is judged spun or has a flagged phrase, then the paraphrase matching. The defaults are
measured so.

``minhash_clusters`` is the first step alone, ``deduplicate``, whose settings the sweep varies:
the later steps take seconds a run, which the sweep's hundreds of runs cannot afford. The sweep
passes cached signatures and the LSH comparison another pair finder through ``deduplicate``'s
own keyword arguments.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from pressroom.dedup.clusters import PairFinder, SignatureFunction, deduplicate
from pressroom.dedup.lsh import similar_pairs
from pressroom.dedup.minhash import signature_matrix
from pressroom.pipeline import run_chunk
from pressroom.schemas import Document
from pressroom.settings import DedupSettings
from pressroom.stages.dedup import Deduplicate

ORDER_SHUFFLES = 3

DedupFields = tuple[str | None, bool | None, str | None, str | None, float | None]


class SignatureCache:
    """``dedup.minhash.signature_matrix`` computed once per (shingle size, permutations, seed,
    text): a cached row is exactly the one production would compute."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int, int, str], np.ndarray] = {}

    def __call__(self, texts: Sequence[str], settings: DedupSettings) -> np.ndarray:
        prefix = (settings.shingle_size, settings.num_perm, settings.seed)
        missing = [text for text in dict.fromkeys(texts) if (*prefix, text) not in self._cache]
        for text, row in zip(missing, signature_matrix(missing, settings), strict=True):
            self._cache[(*prefix, text)] = row
        rows = [self._cache[(*prefix, text)] for text in texts]
        return np.stack(rows) if rows else signature_matrix([], settings)


def cluster(docs: Sequence[Document], settings: DedupSettings) -> dict[str, DedupFields]:
    """The pipeline's dedup of ``docs`` as one chunk, into an empty dataset; returns each
    document's dedup fields by doc_id.

    It runs on copies: restoring a spun copy rewrites its text, and flags are added to lists,
    so the labelled documents stay as they were for the next setting.
    """
    copies = [replace(doc, spin_flags=list(doc.spin_flags)) for doc in docs]
    run_chunk(copies, [Deduplicate(settings)])
    return {
        d.doc_id: (d.cluster_id, d.is_canonical, d.duplicate_of, d.dup_kind, d.similarity)
        for d in copies
    }


def cluster_ids(docs: Sequence[Document], settings: DedupSettings) -> dict[str, str]:
    """``cluster``'s result as doc_id -> cluster_id."""
    return {doc_id: fields[0] for doc_id, fields in cluster(docs, settings).items()}


def minhash_clusters(
    docs: Sequence[Document],
    settings: DedupSettings,
    signatures_of: SignatureFunction = signature_matrix,
    pair_finder: PairFinder = similar_pairs,
) -> dict[str, str]:
    """doc_id -> cluster_id after ``deduplicate`` alone (it sets only dedup fields, which the
    next run sets again)."""
    deduplicate(list(docs), settings, signatures_of=signatures_of, pair_finder=pair_finder)
    return {doc.doc_id: doc.cluster_id for doc in docs}


def order_independent(
    docs: Sequence[Document], settings: DedupSettings, seed: int, shuffles: int = ORDER_SHUFFLES
) -> bool:
    """True when shuffled inputs give every document the same dedup fields."""
    reference = cluster(docs, settings)
    rng = random.Random(seed)
    for _ in range(shuffles):
        shuffled = list(docs)
        rng.shuffle(shuffled)
        if cluster(shuffled, settings) != reference:
            return False
    return True


def brute_force_pairs(
    signatures: np.ndarray, _band_keys: np.ndarray, settings: DedupSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Every pair whose estimated Jaccard reaches the threshold, without LSH banding."""
    pairs, similarities = [], []
    for i in range(len(signatures) - 1):
        similarity = (signatures[i + 1 :] == signatures[i]).mean(axis=1)
        for j in np.flatnonzero(similarity >= settings.threshold):
            pairs.append((i, i + 1 + j))
            similarities.append(similarity[j])
    return np.array(pairs, dtype=np.int64).reshape(-1, 2), np.array(similarities)
