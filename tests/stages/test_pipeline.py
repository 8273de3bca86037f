"""The pipeline's extraction and stages on real files, without Prefect."""

import os
from dataclasses import replace
from pathlib import Path

import pytest

from pressroom.execution.sandbox import ItemTimeout, Sandbox, SandboxPool, SandboxStartError
from pressroom.pipeline import build_stages, discover, extract_files, run_chunk
from pressroom.schemas import Document
from pressroom.settings import ExtractSettings, IngestSettings, ReadSettings, SpinSettings
from pressroom.stages.extract import Extract
from pressroom.stages.repair import Repair, repair_spun_in_context
from pressroom.stages.sandboxes import sandbox_pool
from tests.pages import PARAGRAPHS, article_html, document
from tests.workers import StampProcess, broken_warm_up, echo_or_fail

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


def extract_batch(files, extract=ExtractSettings(), read=ReadSettings()):
    return extract_files(files, Extract(extract), read)


def repair_documents(docs, workers=1, min_sandboxed=float("inf"), clean_texts=tuple):
    stage = Repair(workers=workers, clean_texts=clean_texts)
    stage.min_sandboxed = min_sandboxed
    output = stage.run(docs)
    return output.docs, output.failures


EXPECTED_FAILURES = {
    "empty.html": ("read", "empty file (0 bytes)"),
    "binary.html": ("decode", "binary content, not a text page (looks like a PNG image)"),
    "invalid-utf8.txt": ("decode", "undecodable bytes: invalid UTF-8"),
    "truncated.html.gz": ("read", "truncated gzip stream"),
    "no-body.html": ("extract", "no article text found"),
    "huge.html": ("read", "file too large: 50,000,"),
    "notes.pdf": ("read", "unsupported file type '.pdf'"),
}


def test_bad_inputs_are_quarantined_with_specific_reasons_and_the_rest_completes(bad_inputs):
    result = extract_batch(discover([bad_inputs]))
    assert [d.source_uri.rsplit("/", 1)[-1] for d in result.documents] == ["good.html"]
    failures = {f.source_uri.rsplit("/", 1)[-1]: f for f in result.failures}
    assert set(failures) == set(EXPECTED_FAILURES)
    kinds = {"read": "unreadable", "decode": "undecodable", "extract": "empty"}
    for name, (stage, reason) in EXPECTED_FAILURES.items():
        assert failures[name].stage == stage, name
        assert failures[name].error.startswith(reason), (name, failures[name].error)
        assert failures[name].reason == kinds[stage], name
    assert result.read == len(EXPECTED_FAILURES) + 1


def test_extraction_has_a_per_document_time_limit(tmp_path):
    slow = tmp_path / "slow.html"
    slow.write_text(article_html("Slow page", PARAGRAPHS * 2000))
    fast = tmp_path / "fast.html"
    fast.write_text(article_html("Fast page", PARAGRAPHS))
    result = extract_batch([str(slow), str(fast)], extract=ExtractSettings(timeout_s=0.2))
    assert [f.error for f in result.failures] == [
        "extraction timed out: took longer than the limit of 0.2 s"
    ]
    assert [d.title for d in result.documents] == ["Fast page"]


def test_deeply_nested_markup_completes_as_a_document_or_a_quarantine_record(tmp_path):
    page = tmp_path / "deep.html"
    page.write_text("<html><body>" + "<div>" * 100_000 + "<p>Deep text.</p>" + "</div>" * 100_000)
    result = extract_batch([str(page)], read=ReadSettings())
    assert len(result.documents) + len(result.failures) == 1
    for failure in result.failures:
        assert failure.stage == "extract" and failure.error


def test_html_page_metadata_and_body(tmp_path):
    page = tmp_path / "page.html"
    head = (
        '<link rel="canonical" href="https://mofa.example.gov/press/42">'
        '<meta name="author" content="Press Office">'
        '<meta property="og:site_name" content="Example Ministry">'
        '<meta property="article:published_time" content="2024-06-20T09:30:00Z">'
    )
    page.write_text(article_html("Minister welcomes joint statement", PARAGRAPHS, extra_head=head))
    (doc,) = extract_batch([str(page)]).documents
    assert doc.title == "Minister welcomes joint statement"
    assert doc.url == "https://mofa.example.gov/press/42"
    assert doc.site == "Example Ministry"
    assert doc.author == "Press Office"
    assert doc.published_at.date().isoformat() == "2024-06-20"
    assert doc.language == "en"
    assert "\n\n".join(PARAGRAPHS) in doc.text
    assert "All rights reserved" not in doc.text and "About us" not in doc.text


def test_warc_records_become_documents_traced_to_the_archive(warc_file):
    result = extract_batch([str(warc_file)])
    assert [d.source_uri for d in result.documents] == [
        "https://example.org/news/statement",
        "https://example.org/news/other",
    ]
    assert all(d.raw_path == str(warc_file) and d.raw_offset is not None for d in result.documents)
    assert result.failures == []


def test_a_sandbox_that_cannot_start_stops_the_batch_rather_than_quarantining_its_pages(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(article_html("A page", PARAGRAPHS))
    with (
        Sandbox(echo_or_fail, timeout_s=1.0, warm_up=broken_warm_up) as broken,
        pytest.raises(SandboxStartError, match="warm-up failed"),
    ):
        extract_files([str(page)], Extract(), sandboxes=SandboxPool([broken]))


def test_repair_in_worker_processes_gives_the_same_documents_and_quarantines_failures():
    docs = [document(path.stem, path.read_text()) for path in sorted(SAMPLES.glob("*.txt"))]
    docs.insert(2, document("invisible", "\u200b\u200b"))
    docs.insert(4, replace(document("broken", "text"), text=None))  # a bug's effect, say
    repaired, failures = repair_documents(docs, workers=2, min_sandboxed=1)
    assert (repaired, failures) == repair_documents(docs)  # the same as in this process
    assert [d.doc_id for d in repaired] == [p.stem for p in sorted(SAMPLES.glob("*.txt"))]
    assert [d.is_spun for d in repaired] == [False, True, False, False, False]
    assert [f.item_id for f in failures] == ["invisible", "broken"]
    assert {f.stage for f in failures} == {"repair"}
    assert failures[0].error == "no article text found: only invisible or control characters"
    assert failures[1].error.startswith("TypeError: ")


def test_the_runs_sandboxes_serve_extraction_and_the_later_stages_alike():
    files = sorted(str(path) for path in SAMPLES.glob("*.txt"))
    alone = run_chunk(extract_batch(files).documents, build_stages(IngestSettings(workers=1)))
    with sandbox_pool(2) as sandboxes:
        extracted = extract_files(files, Extract(), sandboxes=sandboxes).documents
        shared = run_chunk(extracted, build_stages(IngestSettings(workers=2), None, sandboxes))
        stamp = StampProcess()
        stamp.pool = sandboxes
        seen = {doc.site for doc in stamp.run(shared.docs).docs}
    assert shared.docs == alone.docs  # repair in the shared sandboxes: the same documents
    assert len(seen) <= 2 and str(os.getpid()) not in seen


def test_a_repair_that_overruns_its_limit_is_quarantined_with_the_reason():
    record = Repair().quarantine(document("slow", "text"), ItemTimeout("took longer than 1 s"))
    assert (record.stage, record.error) == ("repair", "repair timed out: took longer than 1 s")


SEED_001_TITLE = (
    "Joint Statement on the use of Information and Communications Technology in the context of "
    "International Peace and Security"
)


def seed_documents(samples: Path) -> dict[str, Document]:
    """The seeds extracted and repaired, by their number."""
    repaired, failures = repair_documents(extract_batch(discover([str(samples)])).documents)
    assert not failures
    return {Path(d.source_uri).name[:3]: d for d in repaired}


def test_title_and_header_of_a_spun_release_are_restored_with_an_audit_trail(samples):
    doc = seed_documents(samples)["001"]
    assert doc.is_spun
    assert doc.title == SEED_001_TITLE
    assert doc.issuer == (
        "United States Mission to the United Nations; Office of Press and Public Diplomacy"
    )
    assert doc.release_status == "For Immediate Release"  # was an issuer line, "For Instant Launch"
    header = [(r.field, r.before, r.after) for r in doc.repairs if r.field != "text"]
    assert ("title", "Joint Assertion", "Joint Statement") in header
    assert ("issuer", "Workplace of Press", "Office of Press") in header
    assert ("release_status", "For Instant Launch", "For Immediate Release") in header
    assert {r.field for r in doc.repairs} == {"title", "issuer", "release_status", "text"}
    for repair in doc.repairs:  # each repair is located in the column it names
        assert getattr(doc, repair.field)[repair.start : repair.end] == repair.after
    assert doc.extracted_text.startswith("(The next is a joint assertion")


def test_header_fields_of_clean_releases_are_untouched(samples):
    extracted = {
        Path(d.source_uri).name[:3]: d for d in extract_batch(discover([str(samples)])).documents
    }
    for number, doc in seed_documents(samples).items():
        if number == "001":
            continue
        before = extracted[number]
        assert (doc.title, doc.issuer, doc.release_status) == (
            before.title,
            before.issuer,
            before.release_status,
        ), number
        assert doc.repairs == [] and doc.spin_flags == [], number


def test_a_spinner_phrase_in_the_header_of_a_clean_release_is_flagged_not_rewritten():
    body = "The Ministry of Foreign Affairs today welcomed the agreement on cyber norms. " * 3
    doc = replace(
        document("clean", body),
        title="Ministry welcomes agreement",
        issuer="Ministry of Foreign Affairs; Workplace of Press",
        release_status="For Immediate Release",
    )
    (repaired,), _ = repair_documents([doc])
    assert not repaired.is_spun and repaired.repairs == []
    assert (repaired.title, repaired.issuer, repaired.release_status) == (
        doc.title,
        doc.issuer,
        doc.release_status,
    )
    (flag,) = repaired.spin_flags
    assert flag.field == "issuer" and repaired.issuer[flag.start : flag.end] == flag.span


def test_a_spun_document_is_repaired_again_in_the_wording_of_the_datasets_clean_texts(samples):
    (path,) = samples.glob("001_*.txt")
    spun = path.read_text()
    spun += (
        "\n\nThe Senate handed the stimulus invoice on Tuesday; the vote on the invoice is next."
    )
    clean = "The Senate passed the stimulus bill, and the House votes on the bill next week."
    docs = [document("spun", spun), document("clean", clean)]
    alone, _ = repair_documents(docs[:1])
    assert "The Senate handed the stimulus bill" in alone[0].text  # close call: kept as spun

    again = repair_spun_in_context(docs[:1], alone, [clean])
    assert "The Senate passed the stimulus bill on Tuesday" in again[0].text
    assert again[0].extracted_text == spun
    off = replace(SpinSettings(), context_words=0)
    assert repair_spun_in_context(docs[:1], alone, [clean], off) == alone

    # the stage does both passes: with the chunk's clean documents (left untouched) ...
    both, _ = repair_documents(docs)
    assert "The Senate passed the stimulus bill on Tuesday" in both[0].text
    assert both[1].repairs == [] and not both[1].is_spun
    # ... and the dataset's clean texts, read only for a chunk with a spun document
    asked = []
    (restored,), _ = repair_documents(docs[:1], clean_texts=lambda: asked.append(1) or [clean])
    assert "The Senate passed the stimulus bill on Tuesday" in restored.text and asked == [1]
    repair_documents(docs[1:], clean_texts=lambda: asked.append(2) or [clean])
    assert asked == [1]
