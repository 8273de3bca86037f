"""Paraphrase matching on cut-off, reworded copies; the original as canonical when the text is
the only evidence; later runs find originals by their stored keys, reading candidates only."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from deltalake import write_deltalake

from pressroom.dataset.dataset import Dataset
from pressroom.dedup import History, attach_paraphrases, deduplicate
from pressroom.dedup.clusters import TEXT_PROVENANCE, paraphrase_order
from pressroom.dedup.paraphrase import MAX_KEYS, anchor_key, fingerprint, paraphrase_score
from pressroom.dedup.provenance import names_its_site, opens_with_dateline
from pressroom.extractors.text import extract_text
from pressroom.schemas import Document
from tests.pages import document

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLES = ROOT / "data" / "samples"


def page(name: str, path: Path) -> Document:
    """A plain-text page with its header parsed into metadata, as the flow sees it."""
    found = extract_text(path.read_text())
    doc = document(name, found.text, found.published_at)
    doc.title, doc.issuer, doc.release_status = found.title, found.issuer, found.release_status
    return doc


def fixture(name: str) -> Document:
    return page(name, FIXTURES / f"{name}.txt")


def seeds() -> list[Document]:
    return [page(n, next(SAMPLES.glob(f"{n}_*"))) for n in ("000", "002", "003", "004")]


def run(out: Path, docs: list[Document], run_id: str) -> list:
    """One run's dedup steps against the dataset at ``out``, then its writes."""
    history = History.load(Dataset(out))
    deduplicate(docs, history=history)
    changes = attach_paraphrases(docs, history)
    Dataset(out).write_chunk(docs, [], changes, run_id)
    return changes


def test_fingerprint_matches_possessives_and_hyphenated_words_and_skips_contractions():
    found = fingerprint("Intermountain Health’s 34-hospital system hasn’t grown; Webb's MIRI.")
    assert "health" in found.anchors and "34" in found.anchors and "webb" in found.anchors
    assert not [a for a in found.anchors if "'" in a or "’" in a]


def test_a_copy_cut_off_halfway_still_matches_on_what_it_holds():
    original = (FIXTURES / "sg_statement_original.txt").read_text()
    copy = (FIXTURES / "sg_statement_paraphrase.txt").read_text()
    half = copy[: len(copy) // 2]
    score = paraphrase_score(fingerprint(original), fingerprint(half))
    assert score.verified, score


def test_releases_on_one_subject_are_not_paraphrases():
    prints = [fingerprint(doc.text) for doc in seeds()]
    for i, a in enumerate(prints):
        for b in prints[i + 1 :]:
            assert not paraphrase_score(a, b).verified


def test_stored_keys_are_stable_and_bounded():
    assert anchor_key("nvidia") == anchor_key("nvidia") != anchor_key("blackwell")
    doc = fixture("sg_statement_original")
    deduplicate([doc])
    attach_paraphrases([doc])
    assert doc.paraphrase_keys and len(doc.paraphrase_keys) <= MAX_KEYS
    assert doc.paraphrase_keys == fingerprint(doc.text).keys


def test_text_evidence_of_the_original():
    assert opens_with_dateline("LOS ANGELES — Sales of Nvidia’s chip")
    assert opens_with_dateline("WASHINGTON (Reuters) - The Senate")
    assert opens_with_dateline("Sat. May 28th, 2022\nThe Biden administration")
    assert not opens_with_dateline("US - China talks resume\nBody")
    assert not opens_with_dateline("What should investors look for?")
    assert names_its_site("www.morningstar.com.au", "At Morningstar, we think")
    assert names_its_site("business-standard.com", "reported by Business Standard.")
    assert not names_its_site("jobmaza.com", "At Morningstar, we think")
    assert not names_its_site("news.com", "News of the day")


def test_paraphrase_order_ranks_text_evidence_before_length():
    original = document("b", "LOS ANGELES — The company reported results.")
    copy = document("a", "The company reported its results, and a great deal more. " * 3)
    assert paraphrase_order(original, original.text) < paraphrase_order(copy, copy.text)
    undated = replace(original, text="The company reported results.")
    assert paraphrase_order(copy, copy.text) < paraphrase_order(undated, undated.text)
    on_its_site = replace(undated, url="https://www.morningstar.com.au/insights/1")
    text = "At Morningstar, we think the company reported results."
    assert paraphrase_order(on_its_site, text) < paraphrase_order(copy, copy.text)


def test_a_later_run_finds_the_original_by_its_keys_and_reads_only_candidates(
    tmp_path, monkeypatch
):
    out = tmp_path / "out"
    run(out, [fixture("sg_statement_original"), *seeds()], "r1")
    asked: list[set[str]] = []
    texts = History.texts

    def recorded(self, doc_ids):
        asked.append(set(doc_ids))
        return texts(self, doc_ids)

    monkeypatch.setattr(History, "texts", recorded)
    copy = fixture("sg_statement_paraphrase")
    changes = run(out, [copy], "r2")
    (read,) = asked  # one read, of the candidates sharing keys: not of every earlier text
    assert "sg_statement_original" in read and len(read) < 5
    assert (copy.cluster_id, copy.duplicate_of, copy.dup_kind) == (
        "sg_statement_original",
        "sg_statement_original",
        "paraphrase",
    )
    assert not changes


def test_an_original_arriving_after_its_paraphrase_replaces_it_as_canonical(tmp_path):
    out = tmp_path / "out"
    run(out, [fixture("health_release_paraphrase")], "r1")
    original = fixture("health_release_original")
    (change,) = run(out, [original], "r2")
    assert original.cluster_id == "health_release_paraphrase" and original.is_canonical
    assert (change.previous_canonical, change.canonical) == (
        "health_release_paraphrase",
        "health_release_original",
    )
    assert change.reason != TEXT_PROVENANCE  # the release header decides first


def test_rows_written_before_schema_1_5_are_read_and_not_matched_by_keys(tmp_path):
    out = tmp_path / "out"
    run(out, [fixture("sg_statement_original")], "r1")
    table = Dataset(out).read_documents().drop_columns(["paraphrase_keys"])
    shutil.rmtree(out / "documents")  # the table as a pressroom before 1.5 wrote it
    write_deltalake(str(out / "documents"), table, partition_by=["ingest_month"])
    history = History.load(Dataset(out))
    assert history.table.column("paraphrase_keys").null_count == len(history)
    copy = fixture("sg_statement_paraphrase")
    run(out, [copy], "r2")
    assert copy.is_canonical and copy.cluster_id == "sg_statement_paraphrase"
