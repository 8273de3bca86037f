"""Spin-robust matching: spun copies join the cluster of a clean copy of the same release.

Word shingles of a spun copy barely overlap with its original, so plain MinHash misses them.
Matching here relies on the words spinners leave alone (names, numbers, rare words; none of the
lexicon's vocabulary), then verifies a candidate by aligning the full word sequences.

A verified match restores the copy from the clean wording (body, then title, issuer and release
status where both have them) only when the direction is clear: detection judged the copy spun
with a clear margin (``spin_score`` at least ``SPUN_MARGIN`` above the threshold), judged the
reference clean (not spun, its score under the threshold), and the two differ by word
substitutions, as a word spinner leaves them, not by reworded clauses. The restored copy's
cluster moves under the clean copy's canonical with ``dup_kind = "spun"``. Otherwise the two are
clustered by the canonical policy and neither text is changed; each gets a flag naming the other
(``AMBIGUOUS``).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from pressroom.dataset.dataset import Dataset
from pressroom.dedup.clusters import SPUN_CANONICAL_REPLACED, canonical_order, merge_clusters
from pressroom.dedup.history import History
from pressroom.dedup.shingles import content_hash
from pressroom.repair.edits import apply_edits
from pressroom.repair.lexicon import default_lexicon
from pressroom.repair.ngrams import web_counts
from pressroom.repair.reference import Alignment, align, word_similarity
from pressroom.repair.settings import SpinSettings
from pressroom.schemas import ClusterChange, Document, SpanFlag
from pressroom.schemas.records import stable_id

ANCHOR_MAX_WEB_COUNT = 5_000_000
"""Words rarer than this on the web (or capitalised, or with digits) are anchors."""
MIN_SHARED_ANCHORS = 0.3
"""Share of a spun copy's anchors a clean candidate must contain to be verified."""
CANDIDATES_VERIFIED = 3
SPUN_MARGIN = 0.2
"""How far a copy's ``spin_score`` must lie above the spin threshold for the copy to be restored
from a reference scored under the threshold (seed 001 scores 0.94; the threshold is 0.3)."""
MAX_REWORDED_SHARE = 0.2
"""Largest share of words in differences that are not short substitutions
(``Alignment.reworded_share``) for the differences to be a word spinner's: seed 001 against its
original 0.02 (0.0 once the lexicon restored it), the machine paraphrases of the test fixtures
0.47 to 0.58."""
HEADER_FIELDS = ("title", "issuer", "release_status")
AMBIGUOUS = "copy of {other} worded differently; neither text changed: {why}"
"""Reason of the flag put on both documents of a match whose direction is not clear."""
_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*")


@dataclass(frozen=True)
class Reference:
    """A document that spun copies may be restored from, with how detection judged it."""

    doc_id: str
    cluster_id: str
    text: str
    spin_score: float = 0.0
    is_spun: bool = False
    title: str | None = None
    issuer: str | None = None
    release_status: str | None = None

    @classmethod
    def of(cls, doc: Document) -> Reference:
        return cls(
            doc.doc_id,
            doc.cluster_id,
            doc.text,
            doc.spin_score,
            doc.is_spun,
            doc.title,
            doc.issuer,
            doc.release_status,
        )


def earlier_references(dataset: Dataset, history: History | None = None) -> list[Reference]:
    """Clean English canonical documents already in ``dataset`` (only English text is
    checked for spinning, so only English documents can be a spun copy's original); with
    ``history``, only those still their cluster's canonical."""
    columns = ["doc_id", "cluster_id", "text", "spin_score", *HEADER_FIELDS]
    where = [("is_canonical", "==", True), ("is_spun", "==", False), ("language", "==", "en")]
    current = history.canonicals() if history is not None else None
    return [
        Reference(
            row["doc_id"],
            row["cluster_id"],
            row["text"],
            row["spin_score"] or 0.0,
            False,
            row["title"],
            row["issuer"],
            row["release_status"],
        )
        for row in dataset.read_documents(columns, where).to_pylist()
        if current is None or current.get(row["cluster_id"]) == row["doc_id"]
    ]


def earlier_spun_canonicals(dataset: Dataset, history: History) -> list[Reference]:
    """Spun documents already in the dataset that are still their cluster's canonical."""
    columns = ["doc_id", "cluster_id", "text"]
    return [
        Reference(row["doc_id"], row["cluster_id"], row["text"], is_spun=True)
        for row in dataset.read_documents(columns, [("is_spun", "==", True)]).to_pylist()
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
    vocabulary, unigrams = default_lexicon().vocabulary, web_counts().unigrams
    found = set()
    for token in set(_TOKEN.findall(text)):
        word = token.lower()
        if len(word) < 3 or word in found or word in vocabulary:
            continue
        if (
            token[0].isupper()
            or (not token.isalpha() and any(c.isdigit() for c in token))
            or unigrams.get(word, 0) < ANCHOR_MAX_WEB_COUNT
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

    def best_match(
        self, text: str, minimum: float, exclude: str | None = None
    ) -> tuple[Reference, float] | None:
        """The reference (other than ``exclude``, a doc_id) whose words align best with
        ``text``, if at least ``minimum``."""
        own = anchors(text)
        shared = Counter(p for anchor in own for p in self._postings.get(anchor, ()))
        needed = MIN_SHARED_ANCHORS * len(own)
        best = None
        for position, count in shared.most_common(CANDIDATES_VERIFIED + 1):
            if count < needed:
                break
            if self.references[position].doc_id == exclude:
                continue
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

    The reference is the canonical of the document's own cluster when there is one, else the
    best verified match among this run's documents not judged spun and, for a document judged
    spun, ``earlier`` ones. Where the direction is not clear (module docstring) the two are
    clustered, flagged and left as they are. Returns the number of documents restored.
    """
    suspects = [d for d in docs if d.is_spun or d.spin_flags]
    if not suspects:
        return 0
    by_id = {doc.doc_id: doc for doc in docs}
    indexes = (
        ReferenceIndex(Reference.of(d) for d in docs if not d.is_spun),
        ReferenceIndex(earlier),
        ReferenceIndex(Reference.of(d) for d in docs if d.is_spun),
    )
    restored = 0
    for doc in sorted(suspects, key=lambda d: d.doc_id):
        match = _reference_for(doc, docs, indexes, settings)
        if match is None:
            continue
        alignment = align(doc.text, match.text)
        if alignment.similarity < settings.reference_similarity:
            continue
        why_not = unclear_direction(doc, match, alignment, settings)
        if why_not is None:
            restore(doc, match, alignment)
            _join_reference(docs, doc, match)
            restored += 1
        elif doc.is_spun or len(alignment.edits) >= settings.min_signatures:
            _keep_both(docs, doc, match, alignment, why_not, by_id)
    return restored


def _reference_for(
    doc: Document,
    docs: Sequence[Document],
    indexes: tuple[ReferenceIndex, ReferenceIndex, ReferenceIndex],
    settings: SpinSettings,
) -> Reference | None:
    """The document's cluster canonical, else its best verified match: among this run's
    documents not judged spun, then (for a document judged spun only: a flagged phrase is common
    in clean text) earlier ones and this run's documents judged spun."""
    canonical = _cluster_canonical(docs, doc.cluster_id)
    if canonical is not None and canonical is not doc:
        return Reference.of(canonical)
    for index in indexes if doc.is_spun else indexes[:1]:
        found = index.best_match(doc.text, settings.reference_similarity, exclude=doc.doc_id)
        if found is not None:
            return found[0]
    return None


def unclear_direction(
    copy: Document, reference: Reference, alignment: Alignment, settings: SpinSettings
) -> str | None:
    """Why ``copy`` may not be restored from ``reference``; None when it may (a clear margin)."""
    if not copy.is_spun:
        return "the copy is not judged spun"
    if copy.spin_score < settings.threshold + SPUN_MARGIN:
        return f"spin score {copy.spin_score:.2f} is not clearly above the threshold"
    if reference.is_spun or reference.spin_score >= settings.threshold:
        return f"the other copy is judged spun too (spin score {reference.spin_score:.2f})"
    if alignment.reworded_share > MAX_REWORDED_SHARE:
        return f"{alignment.reworded_share:.0%} of the words are reworded, not swapped"
    return None


def restore(doc: Document, reference: Reference, alignment: Alignment) -> None:
    """Give ``doc`` the reference's wording: the body from ``alignment``, then each header field
    both have; repairs record every change (with the field it applies to)."""
    body_repairs = [r for r in doc.repairs if r.field == "text"]
    other_repairs = [r for r in doc.repairs if r.field != "text"]
    doc.text, body_repairs = apply_edits(doc.text, alignment.edits, body_repairs)
    for name in HEADER_FIELDS:
        value, wanted = getattr(doc, name), getattr(reference, name)
        if not value or not wanted or value == wanted:
            continue
        edits = align(value, wanted).edits
        mine = [r for r in other_repairs if r.field == name]
        other_repairs = [r for r in other_repairs if r.field != name]
        value, repairs = apply_edits(value, edits, mine)
        setattr(doc, name, value)
        other_repairs += [replace(r, field=name) for r in repairs]
    doc.repairs = other_repairs + body_repairs
    doc.content_hash = content_hash(doc.text)
    doc.spin_flags = []  # their offsets no longer hold; the repairs say what was spun
    doc.is_spun = True
    doc.similarity = round(alignment.similarity, 4)


def _cluster_canonical(docs: Sequence[Document], cluster_id: str) -> Document | None:
    return next((d for d in docs if d.cluster_id == cluster_id and d.is_canonical), None)


def _join_reference(docs: Sequence[Document], spun: Document, reference: Reference) -> None:
    """Move the spun document's whole cluster under the reference's cluster canonical."""
    if spun.cluster_id == reference.cluster_id:
        spun.dup_kind = "spun"
        return
    canonical = _cluster_canonical(docs, reference.cluster_id)
    target = canonical if canonical is not None else reference
    merge_clusters(docs, reference.cluster_id, target, {spun.cluster_id}, "near", spun.similarity)
    spun.dup_kind = "spun"


def _keep_both(
    docs: Sequence[Document],
    doc: Document,
    reference: Reference,
    alignment: Alignment,
    why: str,
    by_id: dict[str, Document],
) -> None:
    """Cluster ``doc`` with ``reference`` (canonical policy) and flag both; change no word."""
    other = by_id.get(reference.doc_id)
    doc.spin_flags.append(_ambiguity_flag(reference.doc_id, why))
    if other is not None:
        other.spin_flags.append(_ambiguity_flag(doc.doc_id, why))
    if doc.cluster_id == reference.cluster_id:
        return
    similarity = round(alignment.similarity, 4)
    kind = "near" if alignment.reworded_share <= MAX_REWORDED_SHARE else "paraphrase"
    if other is None:  # an earlier clean canonical ranks before a document judged spun
        merge_clusters(docs, reference.cluster_id, reference, {doc.cluster_id}, kind, similarity)
        return
    mine = _cluster_canonical(docs, doc.cluster_id) or doc
    theirs = _cluster_canonical(docs, other.cluster_id) or other
    first, second = sorted((mine, theirs), key=canonical_order)
    merge_clusters(docs, first.cluster_id, first, {second.cluster_id}, kind, similarity)
    for copy in (doc, other):
        if not copy.is_canonical and copy.is_spun and not first.is_spun:
            copy.dup_kind = "spun"


def _ambiguity_flag(other: str, why: str) -> SpanFlag:
    return SpanFlag(0, 0, "", AMBIGUOUS.format(other=other, why=why), 0.5)
