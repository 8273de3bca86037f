"""Spin-robust matching: a spun copy joins its clean original; other releases stay apart."""

from __future__ import annotations

from pathlib import Path

from dedup import Reference, attach_spun_copies, deduplicate
from pressroom.pipeline import repair_document
from schemas import Document
from tests.pages import document as extracted

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
ORIGINAL = ROOT / "tests" / "fixtures" / "us_mission_joint_statement_original.txt"


def document(name: str, text: str) -> Document:
    return repair_document(extracted(name, text))


def seed(prefix: str) -> str:
    return next(SAMPLES.glob(f"{prefix}_*")).read_text()


def by_id(docs: list[Document]) -> dict[str, Document]:
    return {doc.doc_id: doc for doc in docs}


def test_spun_copy_joins_the_original_and_distinct_releases_stay_apart():
    docs = [
        document("000", seed("000")),
        document("001", seed("001")),
        document("003", seed("003")),
        document("original", ORIGINAL.read_text()),
    ]
    deduplicate(docs)
    attach_spun_copies(docs)
    found = by_id(docs)

    spun, original = found["001"], found["original"]
    assert original.is_canonical and not original.is_spun
    assert (spun.cluster_id, spun.duplicate_of, spun.dup_kind) == ("original", "original", "spun")
    assert not spun.is_canonical and spun.is_spun
    for other in ("000", "003"):
        assert found[other].is_canonical and found[other].cluster_id == other
    assert "Safety Council" in spun.extracted_text and "Safety Council" not in spun.text


def test_matching_does_not_need_the_lexicon_to_have_restored_the_copy():
    """A detected copy whose words the lexicon did not restore is matched by its anchors."""
    spun = document("001", seed("001"))
    original = document("original", ORIGINAL.read_text())
    spun.text, spun.repairs = spun.extracted_text, []  # as if the lexicon restored nothing
    deduplicate([spun, original])
    assert spun.cluster_id == "001"  # plain shingles do not see the copy

    attach_spun_copies([spun, original])
    assert (spun.cluster_id, spun.dup_kind) == ("original", "spun")
    assert {r.method for r in spun.repairs} == {"reference"}
    for repair in spun.repairs:
        assert spun.text[repair.start : repair.end] == repair.after
    assert "the Minister of Foreign Affairs of the Republic of Korea" in spun.text
    assert "could" not in spun.text  # "might" stays: only the reference's wording comes in


def test_a_clean_original_from_an_earlier_run_is_used_as_reference():
    spun = document("001", seed("001"))
    others = [document("000", seed("000")), document("003", seed("003"))]
    deduplicate([spun, *others])
    earlier = [Reference("original", "cluster-of-original", ORIGINAL.read_text())]

    assert attach_spun_copies([spun, *others], earlier) == 1
    assert (spun.cluster_id, spun.duplicate_of, spun.dup_kind) == (
        "cluster-of-original",
        "cluster-of-original",
        "spun",
    )
    assert all(doc.cluster_id == doc.doc_id for doc in others)


def test_without_a_clean_copy_a_spun_document_stays_on_its_own():
    docs = [
        document("000", seed("000")),
        document("001", seed("001")),
        document("003", seed("003")),
    ]
    deduplicate(docs)
    assert attach_spun_copies(docs) == 0
    assert all(doc.is_canonical and doc.cluster_id == doc.doc_id for doc in docs)
    assert by_id(docs)["001"].is_spun


def test_a_spun_copy_is_never_canonical_over_its_clean_original():
    spun = document("aaa-spun", seed("001"))
    original = document("zzz-original", ORIGINAL.read_text())
    spun.published_at = None
    deduplicate([spun, original])
    assert original.is_canonical and spun.duplicate_of == "zzz-original"
    assert spun.dup_kind == "spun"
