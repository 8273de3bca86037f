"""Spin-robust matching: spun copies join the cluster of a clean copy of the same release.

Word shingles of a spun copy barely overlap with its original, so plain MinHash misses them.
Matching here relies on the words spinners leave alone (names, numbers, rare words; none of the
lexicon's vocabulary), then verifies a candidate by aligning the full word sequences. A verified
match restores the spun copy from the clean wording, and the spun copy's cluster moves under the
clean copy's canonical with ``dup_kind = "spun"``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dataset import read_rows
from dedup.clusters import SPUN_CANONICAL_REPLACED
from dedup.history import History
from dedup.shingles import content_hash
from pressroom.settings import SpinSettings
from repair.edits import apply_edits
from repair.lexicon import default_lexicon
from repair.ngrams import web_counts
from repair.reference import restore_from_reference, word_similarity
from schemas import ClusterChange, Document
from schemas.records import stable_id

ANCHOR_MAX_WEB_COUNT = 5_000_000
"""Words rarer than this on the web (or capitalised, or with digits) are anchors."""
MIN_SHARED_ANCHORS = 0.3
"""Share of a spun copy's anchors a clean candidate must contain to be verified."""
CANDIDATES_VERIFIED = 3
_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*")


@dataclass(frozen=True)
class Reference:
    """A clean document that spun copies may be restored from."""

    doc_id: str
    cluster_id: str
    text: str


def earlier_references(out: Path) -> list[Reference]:
    """Clean English canonical documents already in the dataset at ``out`` (only English text is
    checked for spinning, so only English documents can be a spun copy's original)."""
    columns = ["doc_id", "cluster_id", "text", "is_canonical", "is_spun"]
    where = [("is_canonical", "==", True), ("is_spun", "==", False), ("language", "==", "en")]
    return [
        Reference(row["doc_id"], row["cluster_id"], row["text"])
        for row in read_rows(out / "documents", columns, where)
    ]


def earlier_spun_canonicals(out: Path, history: History) -> list[Reference]:
    """Spun documents already in the dataset that are still their cluster's canonical."""
    columns = ["doc_id", "cluster_id", "text"]
    return [
        Reference(row["doc_id"], row["cluster_id"], row["text"])
        for row in read_rows(out / "documents", columns, [("is_spun", "==", True)])
        if history.canonical(row["cluster_id"]).doc_id == row["doc_id"]
    ]


def adopt_earlier_spun(
    docs: Sequence[Document], earlier_spun: Iterable[Reference], settings: SpinSettings
) -> list[ClusterChange]:
    """A clean original arriving after its spun copy: the new clean document's cluster joins the
    spun copy's earlier cluster and becomes its canonical (policy rule 1), recorded as a change.
    Each new cluster joins at most one earlier cluster."""
    clean = [d for d in docs if d.is_canonical and not d.is_spun and d.cluster_id == d.doc_id]
    if not clean:
        return []
    index = ReferenceIndex(Reference(d.doc_id, d.cluster_id, d.text) for d in clean)
    adopted: set[str] = set()
    changes = []
    for spun in earlier_spun:
        match = index.best_match(spun.text, settings.reference_similarity)
        if match is None or match[0].cluster_id in adopted:
            continue
        original = match[0]
        adopted.add(original.cluster_id)
        for doc in docs:
            if doc.cluster_id == original.cluster_id:
                doc.cluster_id = spun.cluster_id
        change_id = stable_id(spun.cluster_id, spun.doc_id, original.doc_id)
        reason = SPUN_CANONICAL_REPLACED
        changes.append(
            ClusterChange(change_id, spun.cluster_id, spun.doc_id, original.doc_id, reason)
        )
    return changes


def anchors(text: str) -> set[str]:
    """Words a spinner leaves alone: names, numbers and rare words outside the lexicon."""
    vocabulary, counts = default_lexicon().vocabulary, web_counts()
    found = set()
    for token in _TOKEN.findall(text):
        word = token.lower()
        if len(word) < 3 or word in vocabulary:
            continue
        if (
            token[0].isupper()
            or any(c.isdigit() for c in token)
            or (counts.unigram(word) < ANCHOR_MAX_WEB_COUNT)
        ):
            found.add(word)
    return found


class ReferenceIndex:
    """Clean documents indexed by their anchors."""

    def __init__(self, references: Iterable[Reference]):
        self.references = list(references)
        self._postings: dict[str, list[int]] = defaultdict(list)
        for position, reference in enumerate(self.references):
            for anchor in anchors(reference.text):
                self._postings[anchor].append(position)

    def best_match(self, text: str, minimum: float) -> tuple[Reference, float] | None:
        """The reference whose words align best with ``text``, if at least ``minimum``."""
        own = anchors(text)
        shared = Counter(p for anchor in own for p in self._postings.get(anchor, ()))
        needed = MIN_SHARED_ANCHORS * len(own)
        best = None
        for position, count in shared.most_common(CANDIDATES_VERIFIED):
            if count < needed:
                break
            similarity = word_similarity(text, self.references[position].text)
            if similarity >= minimum and (best is None or similarity > best[1]):
                best = (self.references[position], similarity)
        return best


def attach_spun_copies(
    docs: Sequence[Document],
    earlier: Iterable[Reference] = (),
    settings: SpinSettings = SpinSettings(),
) -> int:
    """Restore spun documents from a clean copy and move them into its cluster (in place).

    The reference is the clean canonical of the document's own cluster when there is one, else
    the best verified match among this run's clean documents and ``earlier`` ones. Returns the
    number of spun documents restored from a reference.
    """
    suspects = [d for d in docs if d.is_spun or d.spin_flags]
    if not suspects:
        return 0
    by_id = {doc.doc_id: doc for doc in docs}
    index = ReferenceIndex(
        [
            Reference(d.doc_id, d.cluster_id, d.text)
            for d in docs
            if not d.is_spun and not d.spin_flags
        ]
        + list(earlier)
    )
    restored = 0
    for doc in suspects:
        canonical = by_id.get(doc.cluster_id)
        if canonical is not None and canonical is not doc and not canonical.is_spun:
            match = (Reference(canonical.doc_id, canonical.cluster_id, canonical.text), 0.0)
        else:
            match = index.best_match(doc.text, settings.reference_similarity)
        if match and _restore(doc, match[0], settings):
            _join_cluster(docs, doc, match[0])
            restored += 1
    return restored


def _restore(doc: Document, reference: Reference, settings: SpinSettings) -> bool:
    """Rewrite ``doc`` from the reference when the alignment shows it is a spun copy.

    The alignment starts from the lexicon's restoration, which brings the copy closer to the
    reference; reference edits that overlap lexicon edits absorb them in the audit trail.
    """
    edits, similarity = restore_from_reference(doc.text, reference.text)
    if similarity < settings.reference_similarity:
        return False
    if not doc.is_spun and len(edits) < settings.min_signatures:
        return False  # a copy with a flagged phrase but no spinner-like differences
    doc.text, doc.repairs = apply_edits(doc.text, edits, doc.repairs)
    doc.content_hash = content_hash(doc.text)
    doc.spin_flags = []
    doc.is_spun = True
    doc.similarity = round(similarity, 4)
    return True


def _join_cluster(docs: Sequence[Document], spun: Document, reference: Reference) -> None:
    """Move the spun document's whole cluster under the reference's canonical."""
    old_cluster = spun.cluster_id
    for doc in docs:
        if doc.cluster_id == old_cluster and old_cluster != reference.cluster_id:
            doc.cluster_id = reference.cluster_id
            doc.is_canonical = False
            doc.duplicate_of = reference.cluster_id
    spun.is_canonical = False
    spun.duplicate_of = reference.cluster_id
    spun.dup_kind = "spun"
