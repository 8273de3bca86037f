"""Spin-robust matching: a spun copy joins its clean original and is restored only when the
direction is clear; a machine-paraphrased copy joins its original and neither is rewritten;
other releases stay apart."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pressroom.dedup import Reference, attach_paraphrases, attach_spun_copies, deduplicate
from pressroom.dedup.paraphrase import fingerprint, paraphrase_score
from pressroom.dedup.spun import SPUN_MARGIN
from pressroom.extractors.text import extract_text
from pressroom.schemas import Document
from pressroom.settings import SpinSettings
from pressroom.stages.repair import repair_document
from tests.pages import document as extracted

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
FIXTURES = ROOT / "tests" / "fixtures"
ORIGINAL = FIXTURES / "us_mission_joint_statement_original.txt"
PARAPHRASE_PAIRS = [
    ("sg_statement_original", "sg_statement_paraphrase"),
    ("sg_statement_original", "sg_statement_paraphrase_variant"),
    ("health_release_original", "health_release_paraphrase"),
]


def document(name: str, text: str) -> Document:
    return repair_document(extracted(name, text))


def page(name: str, path: Path) -> Document:
    """A plain-text page as the flow sees it: header parsed into metadata, then repaired."""
    found = extract_text(path.read_text())
    doc = extracted(name, found.text)
    doc.title, doc.issuer, doc.release_status = found.title, found.issuer, found.release_status
    doc.published_at = found.published_at
    return repair_document(doc)


def fixture(name: str) -> Document:
    return page(name, FIXTURES / f"{name}.txt")


def cluster(docs: list[Document]) -> None:
    """The dedup steps of the flow, on documents of one run."""
    deduplicate(docs)
    attach_spun_copies(docs)
    attach_paraphrases(docs)


def located(doc: Document) -> bool:
    """Every repair and flag points at its words in the field it names."""
    return all(getattr(doc, r.field)[r.start : r.end] == r.after for r in doc.repairs) and all(
        getattr(doc, f.field)[f.start : f.end] == f.span for f in doc.spin_flags
    )


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
        "original",  # the canonical's doc_id (the cluster id is that of the earlier cluster)
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


def test_seed_001_beside_its_original_gets_title_header_and_body_back():
    spun = page("spun", next(SAMPLES.glob("001_*")))
    original = fixture("us_mission_joint_statement_original")
    cluster([spun, original])

    assert original.is_canonical and original.repairs == [] and not original.spin_flags
    assert spun.cluster_id == spun.duplicate_of == original.doc_id and spun.dup_kind == "spun"
    assert spun.text == original.text
    for name in ("title", "issuer", "release_status"):
        assert getattr(spun, name) == getattr(original, name), name
    assert located(spun)


def test_header_fields_the_lexicon_missed_come_from_the_reference():
    spun = page("spun", next(SAMPLES.glob("001_*")))
    original = fixture("us_mission_joint_statement_original")
    spun_title = "Joint Assertion on the usage of Info and Communications Expertise"
    spun.title = spun_title + " within the context of Worldwide Peace and Safety"
    spun.repairs = [r for r in spun.repairs if r.field != "title"]
    cluster([spun, original])

    assert spun.title == original.title
    title_repairs = [r for r in spun.repairs if r.field == "title"]
    assert {r.method for r in title_repairs} == {"reference"}
    assert ("Worldwide", "International") in {(r.before, r.after) for r in title_repairs}
    assert located(spun)


@pytest.mark.parametrize(("original_name", "copy_name"), PARAPHRASE_PAIRS)
def test_a_paraphrased_copy_joins_its_original_and_neither_is_rewritten(original_name, copy_name):
    original, copy = fixture(original_name), fixture(copy_name)
    before = (original.text, original.title, copy.text, copy.title)
    assert len(copy.text) > len(original.text)  # length alone would make the copy canonical
    cluster([copy, original])

    assert original.is_canonical and not original.repairs
    assert (copy.cluster_id, copy.duplicate_of, copy.dup_kind) == (
        original_name,
        original_name,
        "paraphrase",
    )
    assert not [r for r in copy.repairs if r.method == "reference"]
    assert (original.text, original.title, copy.text, copy.title) == before


def test_paraphrase_and_near_variant_form_one_cluster_under_the_original():
    docs = [fixture(n) for n in ("sg_statement_paraphrase", "sg_statement_paraphrase_variant")]
    docs.append(fixture("sg_statement_original"))
    cluster(docs)
    assert {d.cluster_id for d in docs} == {"sg_statement_original"}
    assert [d.doc_id for d in docs if d.is_canonical] == ["sg_statement_original"]
    assert {d.dup_kind for d in docs if not d.is_canonical} == {"paraphrase"}


def test_paraphrase_scores_separate_copies_from_releases_on_the_same_subject():
    for original_name, copy_name in PARAPHRASE_PAIRS:
        text = (FIXTURES / f"{original_name}.txt").read_text()
        copy = (FIXTURES / f"{copy_name}.txt").read_text()
        assert paraphrase_score(fingerprint(text), fingerprint(copy)).verified
    debate = [next(SAMPLES.glob(f"{n}_*")).read_text() for n in ("000", "003")]
    same_subject = paraphrase_score(fingerprint(ORIGINAL.read_text()), fingerprint(debate[0]))
    assert not same_subject.verified
    assert not paraphrase_score(fingerprint(debate[0]), fingerprint(debate[1])).verified


def test_releases_on_the_same_subject_and_the_fixtures_stay_in_their_own_clusters():
    docs = [page(n, next(SAMPLES.glob(f"{n}_*"))) for n in ("000", "002", "003", "004")]
    docs += [fixture("sg_statement_original"), fixture("health_release_original")]
    cluster(docs)
    assert all(doc.is_canonical and doc.cluster_id == doc.doc_id for doc in docs)


def test_a_clean_original_judged_spun_is_never_rewritten_toward_its_paraphrase():
    """The reported failure: detection wrongly judged the original spun; the paraphrase aligns
    with it well enough to be taken as a reference. Neither text may change."""
    original = fixture("sg_statement_original")
    copy = fixture("sg_statement_paraphrase")
    original.is_spun, original.spin_score = True, 0.9
    texts = (original.text, copy.text)
    deduplicate([original, copy])
    attach_spun_copies([original, copy], settings=SpinSettings(reference_similarity=0.4))

    assert (original.text, copy.text) == texts
    assert not [r for d in (original, copy) for r in d.repairs if r.method == "reference"]
    assert original.cluster_id == copy.cluster_id
    (mine,) = original.spin_flags
    (theirs,) = copy.spin_flags
    assert copy.doc_id in mine.reason and "reworded" in mine.reason
    assert original.doc_id in theirs.reason
    assert located(original) and located(copy)


@pytest.mark.parametrize(
    ("copy_score", "reference_score", "reference_spun"),
    [
        (0.9, 0.9, True),  # both judged spun
        (0.9, 0.35, False),  # the reference is not judged spun, but scores over the threshold
        (SpinSettings().threshold + SPUN_MARGIN / 2, 0.0, False),  # the copy just over it
    ],
)
def test_no_restoration_when_the_direction_is_not_clear(
    copy_score, reference_score, reference_spun
):
    spun = document("001", seed("001"))
    original = document("original", ORIGINAL.read_text())
    spun.text, spun.repairs = spun.extracted_text, []
    spun.spin_score = copy_score
    original.is_spun, original.spin_score = reference_spun, reference_score
    texts = (spun.text, original.text)
    deduplicate([spun, original])

    assert attach_spun_copies([spun, original]) == 0
    assert (spun.text, original.text) == texts
    assert spun.cluster_id == original.cluster_id
    assert any(original.doc_id in f.reason for f in spun.spin_flags)
    assert any(spun.doc_id in f.reason for f in original.spin_flags)


def test_a_document_not_judged_spun_is_never_restored_from_a_reference():
    spun = document("001", seed("001"))
    original = document("original", ORIGINAL.read_text())
    flagged = replace(spun, text=spun.extracted_text, repairs=[], is_spun=False, spin_score=0.2)
    deduplicate([flagged, original])
    attach_spun_copies([flagged, original])
    assert flagged.text == spun.extracted_text and flagged.repairs == []
