"""Shared fixtures: the bundled seeds and inputs written by the tests themselves."""

from __future__ import annotations

import gzip
import io
import shutil
from pathlib import Path

import pytest

from tests.pages import PARAGRAPHS, article_html

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """A private copy of the five bundled seed documents."""
    target = tmp_path / "samples"
    shutil.copytree(SAMPLES, target)
    return target


@pytest.fixture
def warc_file(tmp_path: Path) -> Path:
    """A gzipped WARC with two HTML responses, an image response and a request record."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "crawl.warc.gz"
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        pages = [
            (
                "https://example.org/news/statement",
                article_html("Joint statement on cyber", PARAGRAPHS),
                "utf-8",
            ),
            (
                "https://example.org/news/other",
                article_html("Ministry welcomes delegates", PARAGRAPHS[2:] + PARAGRAPHS[:2]),
                "utf-8",
            ),
        ]
        for url, html, charset in pages:
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", f"text/html; charset={charset}")], protocol="HTTP/1.1"
            )
            writer.write_record(
                writer.create_warc_record(
                    url, "response", payload=io.BytesIO(html.encode(charset)), http_headers=headers
                )
            )
        image = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                "https://example.org/logo.png",
                "response",
                payload=io.BytesIO(b"\x89PNG...."),
                http_headers=image,
            )
        )
        request = StatusAndHeaders(
            "GET /news HTTP/1.1", [("Host", "example.org")], is_http_request=True
        )
        writer.write_record(
            writer.create_warc_record("https://example.org/news", "request", http_headers=request)
        )
    return path


@pytest.fixture
def bad_inputs(tmp_path: Path) -> Path:
    """A folder of inputs that must each end in quarantine, plus one good page."""
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "empty.html").write_bytes(b"")
    (folder / "binary.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (folder / "invalid-utf8.txt").write_bytes(bytes(range(0x80, 0x100)) * 16)
    compressed = gzip.compress(article_html("Truncated", PARAGRAPHS).encode())
    (folder / "truncated.html.gz").write_bytes(compressed[: len(compressed) // 2])
    (folder / "no-body.html").write_bytes(b"<html><head><title>Nothing</title></head></html>")
    row = b"<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n"
    (folder / "huge.html").write_bytes(b"<html><body>" + row * (50_000_000 // len(row) + 1))
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4 not a page")
    (folder / "good.html").write_text(article_html("A good page survives", PARAGRAPHS))
    return folder


@pytest.fixture
def corpus(samples, tmp_path):
    """The seeds, a copy of one seed elsewhere, a near-duplicate page, and a bad file."""
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "copy-of-002.txt").write_bytes(next(samples.glob("002_*")).read_bytes())
    (extra / "release.html").write_text(article_html("Cyber statement", PARAGRAPHS))
    (extra / "release-updated.html").write_text(
        article_html("Cyber statement", [*PARAGRAPHS, "Notes to editors: contact the press desk."])
    )
    (extra / "broken.html").write_bytes(b"")
    return [str(samples), str(extra)]


@pytest.fixture(scope="module")
def prefect_api():
    """A temporary local Prefect API server for the tests of one module."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
