"""The pipeline's plain functions on real files, without Prefect."""

from pressroom.pipeline import discover, extract_batch
from pressroom.settings import ExtractSettings, ReadSettings
from tests.pages import PARAGRAPHS, article_html

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
    for name, (stage, reason) in EXPECTED_FAILURES.items():
        assert failures[name].stage == stage, name
        assert failures[name].error.startswith(reason), (name, failures[name].error)
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
