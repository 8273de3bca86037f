import random
from dataclasses import replace
from datetime import datetime

import numpy as np

from pressroom.dedup import content_hash, deduplicate, hashing_view
from pressroom.dedup.clusters import SPUN_CANONICAL_REPLACED, canonical_order, why_first
from pressroom.dedup.minhash import signature_matrix
from pressroom.dedup.provenance import issuers_own_host, official_host
from pressroom.schemas import Document
from pressroom.settings import DedupSettings
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


def test_signatures_and_pair_finder_can_be_given():
    def no_pairs(signatures, band_keys, settings):
        return np.empty((0, 2), dtype=np.int64), np.empty(0)

    def first_signature_for_all(texts, settings):
        return np.repeat(signature_matrix(texts[:1], settings), len(texts), axis=0)

    near = ORIGINAL + "\n\nFor more information, contact the press office."
    docs = [doc("a", ORIGINAL), doc("b", near), doc("c", ORIGINAL.upper()), doc("d", OTHER)]
    deduplicate(docs)  # "b", the longest, is the canonical
    assert [d.dup_kind for d in docs] == ["near", None, "near", None]
    deduplicate(docs, pair_finder=no_pairs)  # exact duplicates share a content hash anyway
    assert [d.dup_kind for d in docs] == [None, None, "exact", None]
    deduplicate(docs, signatures_of=first_signature_for_all)
    assert [d.dup_kind for d in docs] == ["near", None, "near", "near"]


def test_provenance_ranks_before_date_and_length():
    longer = ORIGINAL + "\n\nShare this story with your friends. Read more news on our site."
    official = doc("z", ORIGINAL, datetime(2024, 3, 1))
    official.url = "https://press.un.org/en/2024/sgsm22222.doc.htm"
    blog = doc("a", longer, datetime(2024, 1, 2))
    blog.url = "https://worldnews-daily.com/2024/un-chief"
    docs = [blog, official]
    deduplicate(docs)
    assert [d.doc_id for d in docs if d.is_canonical] == ["z"]

    header = doc("y", ORIGINAL)
    header.issuer, header.release_status = "Ministry of Health", "For Immediate Release"
    docs = [doc("b", longer), header]
    deduplicate(docs)
    assert [d.doc_id for d in docs if d.is_canonical] == ["y"]


def test_official_and_own_sites():
    for host in (
        "www.state.gov",
        "gov.uk",
        "www.mofa.go.kr",
        "who.int",
        "press.un.org",
        "ec.europa.eu",
        "www.canada.gc.ca",
        "mfa.gov.tr",
    ):
        assert official_host(host.removeprefix("www.")), host
    for host in ("go.com", "worldnews-daily.com", "government-news.com"):
        assert not official_host(host), host
    assert issuers_own_host("nsc.org", "National Safety Council")
    assert issuers_own_host("usun.usmission.gov", "United States Mission to the United Nations")
    assert not issuers_own_host("healthnewsdaily.com", "Ministry of Health")


def test_a_spun_document_never_outranks_a_clean_one():
    spun = doc("a", ORIGINAL + " More words.", datetime(2020, 1, 1))
    spun.url, spun.is_spun = "https://www.state.gov/statement", True
    clean = doc("z", ORIGINAL)
    assert canonical_order(clean) < canonical_order(spun)
    assert why_first(clean, spun) == SPUN_CANONICAL_REPLACED
