import gzip
from pathlib import Path

from pressroom.schemas import QuarantineRecord, RawDocument
from pressroom.sources import iter_input_files, read_file
from tests.pages import PARAGRAPHS, article_html

LIMIT = 1_000_000


def read_one(path: Path) -> RawDocument | QuarantineRecord:
    items = list(read_file(path, LIMIT))
    assert len(items) == 1
    return items[0]


def test_folders_are_walked_recursively_in_sorted_order_skipping_hidden(tmp_path):
    for name in ["b/page.html", "a.txt", "b/c/deep.htm.gz", ".git/config.txt", "b/.hidden.html"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_input_files([tmp_path])]
    assert found == ["a.txt", "b/c/deep.htm.gz", "b/page.html"]


def test_files_are_named_by_absolute_path(tmp_path, monkeypatch):
    (tmp_path / "page.txt").write_text("Some scraped text")
    monkeypatch.chdir(tmp_path)
    assert list(iter_input_files(["page.txt"])) == [tmp_path / "page.txt"]


def test_html_text_and_gzip_are_read_with_their_media_type(tmp_path):
    html = article_html("Title", PARAGRAPHS)
    (tmp_path / "a.html").write_text(html)
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(b"Plain scraped text\nSecond line"))
    (tmp_path / "c.txt").write_text(html)  # an HTML page saved as .txt is sniffed as HTML
    kinds = {p.name: read_one(p).media_type for p in sorted(tmp_path.iterdir())}
    assert kinds == {"a.html": "html", "b.txt.gz": "text", "c.txt": "html"}
    assert read_one(tmp_path / "b.txt.gz").content == b"Plain scraped text\nSecond line"


def test_doc_id_is_stable_for_same_source_and_bytes_and_changes_with_content(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("version one of the page")
    first, again = read_one(path), read_one(path)
    path.write_text("version two of the page")
    assert first.doc_id == again.doc_id != read_one(path).doc_id


def test_warc_yields_one_document_per_html_response(warc_file):
    items = list(read_file(warc_file, LIMIT))
    assert [type(i) for i in items] == [RawDocument, RawDocument]
    assert [i.source_uri for i in items] == [
        "https://example.org/news/statement",
        "https://example.org/news/other",
    ]
    assert all(i.raw_path == str(warc_file) and i.raw_offset is not None for i in items)
    assert items[0].raw_offset != items[1].raw_offset
    assert items[0].declared_charset == "utf-8"
    assert b"Joint statement on cyber" in items[0].content


def test_corrupt_warc_is_quarantined_after_the_good_records(warc_file, tmp_path):
    damaged = tmp_path / "damaged.warc.gz"
    damaged.write_bytes(warc_file.read_bytes()[:-200] + b"garbage" * 10)
    items = list(read_file(damaged, LIMIT))
    assert isinstance(items[0], RawDocument)
    assert isinstance(items[-1], QuarantineRecord)
    assert "corrupt WARC archive" in items[-1].error


def test_unreadable_files_become_quarantine_records_with_specific_reasons(tmp_path):
    cases = {
        "empty.html": (b"", "empty file (0 bytes)"),
        "blank.txt": (b"  \n\t\n", "empty file (whitespace only)"),
        "cut.html.gz": (gzip.compress(b"<p>" + b"words " * 5000)[:-10], "truncated gzip stream"),
        "fake.html.gz": (b"this is not gzip at all", "not a valid gzip file"),
        "big.html": (b"<p>" + b"x" * LIMIT, "file too large"),
        "report.docx": (b"PK\x03\x04", "unsupported file type '.docx'"),
    }
    for name, (content, _) in cases.items():
        (tmp_path / name).write_bytes(content)
    for name, (_, reason) in cases.items():
        record = read_one(tmp_path / name)
        assert isinstance(record, QuarantineRecord), name
        assert record.stage == "read"
        assert reason in record.error, (name, record.error)
        assert record.source_uri == str(tmp_path / name)


def test_gzip_bomb_is_refused_by_decompressed_size(tmp_path):
    path = tmp_path / "bomb.html.gz"
    path.write_bytes(gzip.compress(b"<p>" + b"a" * (LIMIT * 5)))
    record = read_one(path)
    assert isinstance(record, QuarantineRecord)
    assert "decompresses to more than the limit" in record.error
