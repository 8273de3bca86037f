"""The ``ingest`` flow on web sources: a real HTTP server on 127.0.0.1, a real Prefect run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date
from email.message import Message

import pytest
from werkzeug import Request, Response

from pressroom.dataset import Dataset
from pressroom.dataset.location import Location
from pressroom.dataset.maintenance import canonical_documents
from pressroom.flows.ingest import NoDocumentProduced, ingest
from pressroom.settings import FetchSettings, IngestSettings
from pressroom.web.listings import LISTING_LIMIT, ListingFetcher, expand_sources, listing_failures
from pressroom.web.specs import SourceSpec
from pressroom.web.validators import load_validators
from tests.hosts import Hosts, Reply, closed_port_url
from tests.pages import PARAGRAPHS, article_html
from tests.runs import PRESSROOM, rows, run_pressroom

pytestmark = pytest.mark.prefect


def local_web(**settings: object) -> IngestSettings:
    """Run settings for fetching from the test servers on 127.0.0.1: at once, no retries."""
    fetch = FetchSettings(allow_private=True, per_host_delay_s=0.0, retries=0)
    return IngestSettings(fetch=fetch, **settings)


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


def test_each_sitemap_left_unread_by_the_listing_limit_is_quarantined(httpserver):
    base = httpserver.url_for("").rstrip("/")
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    children = "".join(f"<sitemap><loc>{base}/s{n}.xml</loc></sitemap>" for n in range(9))
    httpserver.expect_request("/index.xml").respond_with_data(
        f"<sitemapindex>{children}</sitemapindex>", content_type="text/xml"
    )
    for n in range(9):
        urlset = f"<urlset><url><loc>{base}/news/{n}</loc></url></urlset>"
        httpserver.expect_request(f"/s{n}.xml").respond_with_data(urlset, content_type="text/xml")
    getter = ListingFetcher(FetchSettings(allow_private=True, per_host_delay_s=0.0))

    urls, problems = expand_sources([SourceSpec("sitemap", f"{base}/index.xml")], getter, 4)
    records = listing_failures(problems, getter.failures)

    assert urls == [f"{base}/news/{n}" for n in range(3)]
    assert [(r.source_uri, r.stage, r.error) for r in records] == [
        (f"{base}/s{n}.xml", "fetch", LISTING_LIMIT) for n in range(3, 9)
    ]


def test_a_feed_is_fetched_archived_extracted_and_deduplicated_then_only_revalidated(
    prefect_api, site, tmp_path
):
    out = tmp_path / "out"
    options = dict(out=str(out), settings=local_web())
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
        settings=local_web(),
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
        return " ".join(completed.stdout.split())

    first = pressroom(f"feed:{site.base}/feed.xml")
    assert "fetched 3 pages archived, 0 not modified since the last run, 3 URLs failed" in first
    assert "documents 3: 3 written, 0 already in the dataset" in first
    assert "quarantined 3 (fetch 3)" in first
    second = pressroom("--sources", str(sources))  # nothing new, and nothing failed anew: exit 0
    assert "fetched 0 pages archived, 3 not modified since the last run, 2 URLs failed" in second
    assert "documents 0: 0 written" in second and "quarantined 2 (fetch 2)" in second
    assert rows(out, "select count(*) from DOCS") == [(3,)]


def feed_of(*urls: str) -> bytes:
    items = "".join(f"<item><link>{url}</link></item>" for url in urls)
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()


HTML = {"Content-Type": "text/html; charset=utf-8"}
NO_ARTICLE = b"<html><body><nav><a href='/'>Home</a></nav></body></html>"
FAILING = {  # /news/b of host h, by h % 6: (status, headers, body) and the stage and reason
    1: ((404, HTML, b"gone"), "fetch", "HTTP 404"),
    2: ((500, HTML, b"down"), "fetch", "HTTP 500"),
    3: ((200, {"Content-Type": "application/pdf"}, b"%PDF-1.4"), "fetch", "application/pdf"),
    4: ((200, HTML, NO_ARTICLE), "extract", "no article text found"),
    5: ((200, HTML, b""), "read", "empty HTTP response body"),
}


def many_hosts(count: int) -> Hosts:
    """``count`` hosts, each with a good page /news/a (served without a Content-Type on every
    11th host), a page /news/b that is good or fails in one of the ways of FAILING, and on every
    10th host a robots.txt that disallows /private/. Host 1's /feed-page is a feed that lists a
    page and another feed."""

    def respond(host: int, path: str, headers: Message) -> Reply:
        if path == "/robots.txt":
            if host % 10 == 0:
                return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"
            return 404, {}, b""
        if path in ("/news/a", "/news/b", "/news/listed", "/private/c"):
            if path == "/news/b" and host % 6 in FAILING:
                return FAILING[host % 6][0]
            lines = [f"Bulletin {host}{path}: {paragraph}" for paragraph in PARAGRAPHS]
            page = article_html(f"Bulletin {host} {path}", lines).encode()
            return 200, {} if path == "/news/a" and host % 11 == 3 else HTML, page
        if host == 1 and path == "/feed-page":
            listed = (hosts.url(1, "/news/listed"), hosts.url(1, "/feed-inner"))
            return 200, {"Content-Type": "application/rss+xml"}, feed_of(*listed)
        if host == 1 and path == "/feed-inner":
            return 200, {"Content-Type": "text/xml"}, feed_of(hosts.url(1, "/news/deeper"))
        return 404, HTML, b"not here"

    hosts = Hosts(count, respond)  # respond names it
    return hosts


def test_a_run_over_many_hosts_accounts_for_every_url(prefect_api, tmp_path):
    count = 110
    with many_hosts(count) as hosts:
        given = [hosts.url(h, path) for h in range(count) for path in ("/news/a", "/news/b")]
        given += [hosts.url(h, "/private/c") for h in range(0, count, 10)]
        refused = [closed_port_url("/one"), closed_port_url("/two")]
        url_file = tmp_path / "urls.txt"
        url_file.write_text("\n".join([*given, *refused, hosts.url(1, "/feed-page")]) + "\n")
        out = tmp_path / "out"
        manifest = ingest(paths=[f"urls:{url_file}"], out=str(out), settings=local_web())
        requested = {(host, path) for host, path, _ in hosts.log}

    expected_reasons = {url: ("fetch", "connection failed") for url in refused}
    disallowed = ("fetch", "robots.txt disallows")
    expected_reasons |= {hosts.url(h, "/private/c"): disallowed for h in range(0, count, 10)}
    expected_reasons |= {
        hosts.url(h, "/news/b"): FAILING[h % 6][1:] for h in range(count) if h % 6 in FAILING
    }
    expected_reasons[hosts.url(1, "/feed-inner")] = ("fetch", "its links are not followed")
    expected_documents = {hosts.url(h, "/news/a") for h in range(count)}
    expected_documents |= {hosts.url(h, "/news/b") for h in range(count) if h % 6 == 0}
    expected_documents.add(hosts.url(1, "/news/listed"))

    documents = [url for (url,) in rows(out, "select source_uri from DOCS")]
    quarantined = rows(out, "select source_uri, stage, error from QUARANTINE")
    assert sorted(documents) == sorted(expected_documents)  # each once
    assert sorted(url for url, _, _ in quarantined) == sorted(expected_reasons)
    for url, stage, error in quarantined:
        assert stage == expected_reasons[url][0] and expected_reasons[url][1] in error, url
    assert {hosts.url(h, "/news/a") for h in range(3, count, 11)} <= set(documents)  # untyped
    assert (1, "/news/deeper") not in requested and (0, "/private/c") not in requested
    counts, fetch = manifest["counts"], manifest["fetch"]
    assert counts["written"] == len(expected_documents)
    assert counts["quarantined"] == len(expected_reasons)
    failing = Counter(h % 6 for h in range(count))
    assert fetch["pages_archived"] == len(expected_documents) + failing[4] + failing[5]
    assert fetch["listings"] == 2
    assert fetch["statuses"]["404"] == count - count // 10 + failing[1]  # robots.txt and pages


WORDS = sorted({word.strip(".,") for text in PARAGRAPHS + OTHER for word in text.split()})


def release(number: int, extra: Sequence[str] = ()) -> bytes:
    """A page of its own words: releases of different numbers are no near duplicates."""
    draw = random.Random(number).choices
    lines = [" ".join(draw(WORDS, k=40)).capitalize() + "." for _ in range(4)]
    return article_html(f"Release {number}", [*lines, *extra]).encode()


def clusters(out) -> list[list[str]]:
    """The documents grouped by cluster, whatever each cluster's id."""
    groups: dict[str, list[str]] = {}
    for doc_id, cluster_id in rows(out, "select doc_id, cluster_id from DOCS order by doc_id"):
        groups.setdefault(cluster_id, []).append(doc_id)
    return sorted(groups.values())


def test_a_chunked_run_writes_the_rows_of_a_one_chunk_run(prefect_api, tmp_path):
    def respond(host: int, path: str, headers: Message) -> Reply:
        number = int(path.rsplit("/", 1)[-1]) if path.startswith("/p/") else -1
        if number < 0 or (host, number) == (2, 5):
            return 404, HTML, b"not here"
        typed = {"ETag": f'"{host}-{number}"', **({} if (host, number) == (1, 4) else HTML)}
        if (host, number) == (1, 0):  # a near duplicate of host 0's release 0
            return 200, typed, release(0, ["Notes to editors: call the press desk."])
        if (host, number) == (2, 1):  # the same page as host 0's release 1
            return 200, typed, release(1)
        return 200, typed, release(10 * host + number)

    with Hosts(3, respond) as hosts:
        url_file = tmp_path / "urls.txt"
        urls = [hosts.url(host, f"/p/{number}") for host in range(3) for number in range(6)]
        url_file.write_text("\n".join(urls) + "\n")
        one = ingest(paths=[f"urls:{url_file}"], out=str(tmp_path / "one"), settings=local_web())
        chunked = ingest(
            paths=[f"urls:{url_file}"],
            out=str(tmp_path / "chunked"),
            settings=local_web(chunk_size=3),
        )

    assert one["chunks"] == 1  # 17 pages, in batches of up to 3 when chunked:
    assert len(chunked["documents_versions"]) == chunked["chunks"] >= 5  # a commit per chunk
    for query in (
        "select doc_id, source_uri, text from DOCS order by doc_id",
        "select item_id, source_uri, stage, error from QUARANTINE",
    ):
        assert rows(tmp_path / "chunked", query) == rows(tmp_path / "one", query)
    assert clusters(tmp_path / "chunked") == clusters(tmp_path / "one")
    assert len(clusters(tmp_path / "one")) == 15  # a near and an exact pair
    canonical = [
        canonical_documents(Dataset(tmp_path / name))["doc_id"] for name in ("one", "chunked")
    ]
    assert canonical[0] == canonical[1]
    pages = sorted(set(urls) - {hosts.url(2, "/p/5")})
    assert stored_urls(tmp_path / "chunked") == stored_urls(tmp_path / "one") == pages


def start_pressroom(*args: str, prefect_home) -> subprocess.Popen:
    """The console script in a session of its own (so that the test can kill all of it)."""
    env = {**os.environ, "PREFECT_HOME": str(prefect_home)}
    env.pop("PREFECT_API_URL", None)
    return subprocess.Popen(
        [PRESSROOM, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def test_a_run_killed_after_two_chunks_saved_the_validators_of_their_rows_only(tmp_path):
    opened = threading.Event()  # releases 8 and later wait for it

    def respond(host: int, path: str, headers: Message) -> Reply:
        if not path.startswith("/p/"):
            return 404, HTML, b"not here"
        number = int(path.removeprefix("/p/"))
        if number >= 8:
            opened.wait(timeout=300)
        etag = f'"p{number}-v1"'
        if headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, {**HTML, "ETag": etag}, release(number)

    out, home = tmp_path / "out", tmp_path / "prefect"
    with Hosts(1, respond) as hosts:
        urls = [hosts.url(0, f"/p/{number}") for number in range(16)]
        url_file = tmp_path / "urls.txt"
        url_file.write_text("\n".join(urls) + "\n")
        args = [
            "ingest",
            f"urls:{url_file}",
            *("--out", str(out), "--chunk-size", "4", "--workers", "1"),
            *("--allow-private", "--per-host-delay", "0", "--fetch-retries", "0", "--no-progress"),
        ]
        run = start_pressroom(*args, prefect_home=home)
        try:  # chunks of 4 pages: the first two are written, the third waits for its pages
            deadline = time.monotonic() + 240
            while len(stored_urls(out)) < 8 and run.poll() is None:
                assert time.monotonic() < deadline, "the first two chunks were not written"
                time.sleep(0.2)
            time.sleep(1)  # nothing else may be saved while the third chunk waits
        finally:
            os.killpg(run.pid, signal.SIGKILL)  # as the OOM killer would
            run.wait(timeout=60)
        written = sorted(url for (url,) in rows(out, "select source_uri from DOCS"))
        assert stored_urls(out) == written == sorted(urls[:8])
        assert not (out / "quarantine").exists()

        opened.set()
        mark = len(hosts.log)
        again = run_pressroom(*args, prefect_home=home)
        assert again.returncode == 0, again.stderr
        revalidated = sorted(path for _, path, etag in hosts.log[mark:] if etag)

    assert revalidated == sorted(f"/p/{number}" for number in range(8))
    assert sorted(url for (url,) in rows(out, "select source_uri from DOCS")) == sorted(urls)
    assert stored_urls(out) == sorted(urls)


def stored_urls(out) -> list[str]:
    """The URLs whose validators the dataset holds, sorted."""
    return sorted(load_validators(Location.of(out)))


def test_urls_of_a_batch_whose_task_failed_are_quarantined_with_its_error(
    prefect_api, site, tmp_path
):
    out = tmp_path / "out"
    out.mkdir()
    (out / "raw").write_text("a file where the raw archive's folder should be")
    urls = [f"{site.base}/news/debt", f"{site.base}/news/statement"]

    with pytest.raises(NoDocumentProduced):
        ingest(paths=urls, out=str(out), settings=local_web())

    quarantined = rows(out, "select source_uri, stage, error from QUARANTINE")
    assert sorted(url for url, _, _ in quarantined) == sorted(urls)
    for _, stage, error in quarantined:
        assert stage == "fetch" and error.startswith("fetch task failed: NotADirectoryError")
