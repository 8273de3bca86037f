"""The ``ingest`` flow on web sources: a real HTTP server on 127.0.0.1, a real Prefect run."""

from __future__ import annotations

import json
from datetime import date

import pytest
from werkzeug import Request, Response

from flows.ingest import ingest
from pressroom.fetching import ListingFetcher
from pressroom.settings import FetchSettings
from sources.web import SourceSpec, expand_sources
from tests.pages import PARAGRAPHS, article_html
from tests.runs import rows, run_pressroom

pytestmark = pytest.mark.prefect

OTHER = [
    "The finance ministry published its quarterly report on public debt on Tuesday.",
    "Debt fell to 61 percent of output, helped by higher tax receipts and lower interest costs.",
    "The ministry expects the ratio to stabilise next year as spending on energy support ends.",
    "Officials said the figures would be revised in March once final tax data are available.",
]


class Site:
    """A small press site: robots.txt, an RSS feed and its items, with ETags on the pages."""

    def __init__(self, base: str):
        self.base = base
        self.requests: list[tuple[str, str | None]] = []
        self.pages = {
            "/news/statement": article_html("Joint statement on cyber", PARAGRAPHS),
            "/news/statement-copy": article_html(
                "Joint statement on cyber", [*PARAGRAPHS, "Notes to editors: call the desk."]
            ),
            "/news/debt": article_html("Quarterly debt report", OTHER),
        }

    def feed(self) -> str:
        items = "".join(
            f"<item><title>{path}</title><link>{self.base}{path}</link>"
            "<pubDate>Tue, 18 Jun 2024 09:00:00 GMT</pubDate></item>"
            for path in [*self.pages, "/news/missing", "/news/report.pdf", "/private/draft"]
        )
        return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'

    def __call__(self, request: Request) -> Response:
        self.requests.append((request.path, request.headers.get("If-None-Match")))
        if request.path == "/robots.txt":
            return Response("User-agent: *\nDisallow: /private/\n", content_type="text/plain")
        if request.path == "/feed.xml":
            return Response(self.feed(), content_type="application/rss+xml")
        if request.path in SITEMAPS:
            return Response(SITEMAPS[request.path].format(base=self.base), content_type="text/xml")
        if request.path == "/news/report.pdf":
            return Response(b"%PDF-1.4", content_type="application/pdf")
        if request.path in self.pages:
            etag = f'"{request.path[6:]}-v1"'
            if request.headers.get("If-None-Match") == etag:
                return Response(status=304, headers={"ETag": etag})
            html = self.pages[request.path]
            return Response(html, content_type="text/html; charset=utf-8", headers={"ETag": etag})
        return Response("not here", status=404)


SITEMAPS = {
    "/sitemap.xml": '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
    'sitemap/0.9"><sitemap><loc>{base}/sitemap-news.xml</loc></sitemap>'
    "<sitemap><loc>{base}/sitemap.xml</loc></sitemap></sitemapindex>",
    "/sitemap-news.xml": '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
    'sitemap/0.9"><url><loc>{base}/news/debt?utm_source=x</loc><lastmod>2024-06-18</lastmod>'
    "</url><url><loc>{base}/news/statement</loc><lastmod>2023-01-02</lastmod></url></urlset>",
}


@pytest.fixture
def site(httpserver) -> Site:
    site = Site(httpserver.url_for("").rstrip("/"))
    httpserver.expect_request("").respond_with_handler(site)
    return site


def test_a_sitemap_index_is_expanded_through_the_fetcher(site):
    getter = ListingFetcher(FetchSettings(allow_private=True, per_host_delay_s=0.0))
    since = date(2024, 1, 1)
    urls, problems = expand_sources([SourceSpec("sitemap", f"{site.base}/sitemap.xml")], getter)
    recent, _ = expand_sources(
        [SourceSpec("sitemap", f"{site.base}/sitemap.xml", since=since)], getter
    )

    assert urls == [f"{site.base}/news/debt", f"{site.base}/news/statement"]
    assert recent == [f"{site.base}/news/debt"] and problems == []
    assert [r.final_url for r in getter.fetched[:2]] == [
        f"{site.base}/sitemap.xml",
        f"{site.base}/sitemap-news.xml",
    ]


def test_a_feed_is_fetched_archived_extracted_and_deduplicated_then_only_revalidated(
    prefect_api, site, tmp_path
):
    out = tmp_path / "out"
    options = dict(out=str(out), allow_private=True, per_host_delay_s=0.0, fetch_retries=0)
    manifest = ingest(paths=[f"feed:{site.base}/feed.xml"], **options)

    assert manifest["counts"]["written"] == 3 and manifest["counts"]["near_duplicates"] == 1
    assert rows(out, "select count(distinct cluster_id) from DOCS") == [(2,)]
    urls = sorted(url for (url,) in rows(out, "select source_uri from DOCS"))
    assert urls == [f"{site.base}/news/{name}" for name in ["debt", "statement", "statement-copy"]]
    for raw_path, offset in rows(out, "select raw_path, raw_offset from DOCS"):
        assert raw_path.startswith(str(out / "raw" / manifest["run_id"])) and offset is not None
    quarantined = dict(rows(out, "select source_uri, error from QUARANTINE"))
    assert set(quarantined) == {
        f"{site.base}/{path}" for path in ["news/missing", "news/report.pdf", "private/draft"]
    }
    assert quarantined[f"{site.base}/news/missing"].startswith("HTTP 404")
    assert quarantined[f"{site.base}/news/missing"].endswith("(HTTP status 404, 1 attempt)")
    assert "application/pdf" in quarantined[f"{site.base}/news/report.pdf"]
    assert "robots.txt" in quarantined[f"{site.base}/private/draft"]
    assert ("/private/draft", None) not in site.requests
    fetch = manifest["fetch"]
    assert fetch["pages_archived"] == 3 and fetch["robots_refused"] == 1
    assert fetch["statuses"]["200"] >= 5 and fetch["statuses"]["404"] == 1
    (run_file,) = (out / "runs").glob("*.json")
    assert json.loads(run_file.read_text())["fetch"] == fetch

    site.requests.clear()
    again = ingest(paths=[f"feed:{site.base}/feed.xml"], **options)
    assert again["fetch"]["not_modified"] == 3 and again["fetch"]["pages_archived"] == 0
    assert again["counts"]["extracted"] == 0 and again["counts"]["written"] == 0
    revalidated = [etag for path, etag in site.requests if path.startswith("/news/statement")]
    assert sorted(revalidated) == ['"statement-copy-v1"', '"statement-v1"']
    assert rows(out, "select count(*) from DOCS") == [(3,)]


def test_the_raw_archive_can_be_ingested_again(prefect_api, site, tmp_path):
    out = tmp_path / "out"
    first = ingest(
        paths=[f"{site.base}/news/debt", f"{site.base}/feed.xml"],
        out=str(out),
        allow_private=True,
        per_host_delay_s=0.0,
        fetch_retries=0,
    )
    assert first["counts"]["written"] == 3  # the plain feed URL was detected as a feed
    archive = out / "raw" / first["run_id"]
    again = ingest(paths=[str(archive)], out=str(tmp_path / "reprocessed"))
    assert again["counts"]["extracted"] == 3 and again["counts"]["quarantined"] == 0


def test_the_command_line_fetches_a_feed_then_revalidates_it_from_a_sources_file(site, tmp_path):
    out = tmp_path / "out"
    options = ["--out", str(out), "--allow-private", "--per-host-delay", "0", "--no-progress"]
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - feed: {site.base}/feed.xml\n    exclude: [private]\n")

    def pressroom(*args: str) -> str:
        completed = run_pressroom("ingest", *args, *options, prefect_home=tmp_path / "prefect")
        assert completed.returncode == 0, completed.stderr
        return completed.stdout

    first = pressroom(f"feed:{site.base}/feed.xml")
    assert "3 pages fetched (0 not modified), 3 extracted, 3 written, 3 quarantined" in first
    second = pressroom("--sources", str(sources))
    assert "0 pages fetched (3 not modified), 0 extracted, 0 written, 2 quarantined" in second
    assert rows(out, "select count(*) from DOCS") == [(3,)]
