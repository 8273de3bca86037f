import random
from dataclasses import replace
from datetime import datetime

from dedup import content_hash, deduplicate, hashing_view
from pressroom.settings import DedupSettings
from schemas import Document
from tests.pages import PARAGRAPHS
from tests.pages import document as doc

ORIGINAL = "\n\n".join(PARAGRAPHS)
OTHER = (
    "The trade ministry announced new export figures on Monday, showing growth in machinery "
    "and chemicals. Analysts expect the trend to continue into the next quarter, although "
    "shipping costs remain high and demand in Europe has weakened since the spring."
)


def assignments(docs: list[Document]) -> dict[str, tuple]:
    return {d.doc_id: (d.cluster_id, d.is_canonical, d.duplicate_of, d.dup_kind) for d in docs}


def test_hashing_view_folds_case_punctuation_and_diacritics_only():
    assert hashing_view("Élysée: “Security”—Council!") == "elysee security council"
    assert content_hash("The Council, today.") == content_hash("the council today")


def test_exact_near_and_distinct_documents():
    docs = [
        doc("a", ORIGINAL, datetime(2024, 6, 20)),
        doc("b", ORIGINAL.replace("today", "Today").upper()),  # same hashing view
        doc("c", ORIGINAL + "\n\nFor more information, contact the press office."),
        doc("d", OTHER),
    ]
    stats = deduplicate(docs)
    by_id = {d.doc_id: d for d in docs}
    assert by_id["a"].is_canonical and by_id["a"].duplicate_of is None
    assert (by_id["b"].dup_kind, by_id["b"].duplicate_of, by_id["b"].similarity) == (
        "exact",
        "a",
        1.0,
    )
    assert (by_id["c"].dup_kind, by_id["c"].duplicate_of) == ("near", "a")
    assert 0.5 <= by_id["c"].similarity < 1.0
    assert by_id["d"].is_canonical and by_id["d"].cluster_id == "d"
    assert {by_id[k].cluster_id for k in "abc"} == {"a"}
    assert (stats.exact_duplicates, stats.near_duplicates, stats.clusters) == (1, 1, 2)
    assert stats.cluster_sizes == {3: 1, 1: 1}


def test_canonical_policy_earliest_date_then_longest_then_id():
    longer = ORIGINAL + "\n\nNotes to editors: background follows."
    dated = [doc("z", ORIGINAL, datetime(2024, 1, 2)), doc("y", longer, datetime(2024, 3, 1))]
    deduplicate(dated)
    assert [d.is_canonical for d in dated] == [True, False]

    undated = [doc("z", ORIGINAL), doc("y", longer), doc("x", ORIGINAL, datetime(2030, 1, 1))]
    deduplicate(undated)
    assert [d.doc_id for d in undated if d.is_canonical] == ["x"]  # any date beats none

    ties = [doc("n", ORIGINAL), doc("m", ORIGINAL)]
    deduplicate(ties)
    assert [d.doc_id for d in ties if d.is_canonical] == ["m"]


def test_results_do_not_depend_on_input_order():
    base = [
        doc("a", ORIGINAL),
        doc("b", ORIGINAL + " Extra closing sentence here."),
        doc("c", OTHER),
        doc("d", OTHER.replace("Monday", "Tuesday")),
        doc("e", ORIGINAL),
    ]
    expected = None
    for seed in range(5):
        shuffled = [replace(d) for d in base]
        random.Random(seed).shuffle(shuffled)
        deduplicate(shuffled)
        result = assignments(shuffled)
        expected = expected or result
        assert result == expected


def test_every_document_stays_in_the_output():
    docs = [doc(str(i), ORIGINAL if i % 2 else OTHER) for i in range(10)]
    stats = deduplicate(docs)
    assert len(docs) == stats.documents == 10
    assert sum(d.is_canonical for d in docs) == stats.clusters == 2


def test_threshold_is_configurable():
    half = "\n\n".join(PARAGRAPHS[:2])
    docs = [doc("a", ORIGINAL), doc("b", half)]
    deduplicate(docs, DedupSettings(threshold=0.9))
    assert all(d.is_canonical for d in docs)
    deduplicate(docs, DedupSettings(threshold=0.3))
    assert [d.is_canonical for d in docs] == [True, False]
