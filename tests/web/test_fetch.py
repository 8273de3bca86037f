"""The polite fetcher against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pytest_httpserver import HTTPServer

from pressroom.schemas import RawDocument
from pressroom.settings import FetchSettings
from pressroom.sources.local import read_file
from pressroom.web import fetcher as fetch_module
from pressroom.web.crawl import archive_batch
from pressroom.web.fetcher import XML_TYPES, Fetcher, FetchResult, FetchStats, fetch_urls
from pressroom.web.validators import Validators

FAST = FetchSettings(
    per_host_delay_s=0.0,
    connect_timeout_s=1.0,
    read_timeout_s=0.3,
    total_timeout_s=3.0,
    retries=2,
    backoff_s=0.01,
    max_backoff_s=0.05,
    respect_robots=False,
    allow_private=True,
)
PAGE = "<html><head><title>Statement</title></head><body><p>Hello.</p></body></html>"


def fetch_one(
    url: str, settings: FetchSettings = FAST, validators: Validators | None = None, **kwargs
) -> tuple[FetchResult, FetchStats]:
    known = {url: validators} if validators else {}
    results, stats = fetch_urls([url], known, settings, **kwargs)
    return results[0], stats


def paths(httpserver: HTTPServer) -> list[str]:
    return [request.path for request, _ in httpserver.log]


class RawServer(ThreadingHTTPServer):
    """An HTTP/1.0 server whose routes write raw responses; it records the paths requested."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RawHandler)
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}
        self.log: list[str] = []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_port}{path}"


class _RawHandler(BaseHTTPRequestHandler):
    server: RawServer

    def do_GET(self) -> None:
        self.server.log.append(self.path)
        route = self.server.routes.get(self.path)
        try:
            if route is None:
                self.send_error(404)
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    server = RawServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def send(handler: BaseHTTPRequestHandler, body: bytes, headers: dict[str, str]) -> None:
    handler.send_response(200)
    for key, value in headers.items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(body)


# 1. A plain page


def test_fetches_a_page_with_its_metadata(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("not here", status=404)
    httpserver.expect_request("/news/1").respond_with_data(
        PAGE,
        content_type="text/html; charset=UTF-8",
        headers={"ETag": '"v1"', "Last-Modified": "Tue, 01 Jul 2025 10:00:00 GMT"},
    )
    url = httpserver.url_for("/news/1")

    result, stats = fetch_one(url, replace(FAST, respect_robots=True))

    assert result.ok and result.error is None
    assert (result.url, result.final_url, result.status) == (url, url, 200)
    assert result.body == PAGE.encode()
    assert result.content_type == "text/html"
    assert result.charset == "UTF-8"
    assert result.validators == Validators('"v1"', "Tue, 01 Jul 2025 10:00:00 GMT")
    assert result.attempts == 1
    assert result.fetched_at.tzinfo is not None
    assert stats.requests == 2  # robots.txt and the page
    assert stats.bytes == len(PAGE)  # the body of an error response is not read
    assert stats.statuses == {200: 1, 404: 1}
    assert (stats.failed, stats.retries, stats.robots_refused) == (0, 0, 0)


# 2. robots.txt


def test_robots_disallow_refuses_without_requesting(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow:\n\nUser-agent: pressroom\nDisallow: /private\n",
        content_type="text/plain",
    )
    httpserver.expect_request("/private/a").respond_with_data(PAGE, content_type="text/html")
    httpserver.expect_request("/public").respond_with_data(PAGE, content_type="text/html")
    urls = [httpserver.url_for("/private/a"), httpserver.url_for("/public")]

    results, stats = fetch_urls(urls, {}, replace(FAST, respect_robots=True))

    private, public = results
    assert private.error == "robots.txt disallows this URL for pressroom"
    assert (private.status, private.attempts, private.body) == (None, 0, b"")
    assert public.ok
    assert sorted(paths(httpserver)) == ["/public", "/robots.txt"]  # robots.txt fetched once
    assert stats.robots_refused == 1
    assert stats.failed == 1


def test_robots_404_allows_everything(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/anything").respond_with_data(PAGE, content_type="text/html")

    result, stats = fetch_one(httpserver.url_for("/anything"), replace(FAST, respect_robots=True))

    assert result.ok
    assert stats.robots_refused == 0


def test_robots_5xx_disallows_everything_after_one_attempt(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("down", status=503)
    httpserver.expect_request("/page").respond_with_data(PAGE, content_type="text/html")

    result, stats = fetch_one(httpserver.url_for("/page"), replace(FAST, respect_robots=True))

    assert result.error == "robots.txt unavailable (HTTP 503): not fetching"
    assert paths(httpserver) == ["/robots.txt"]  # no retry of robots.txt, no page request
    assert (stats.requests, stats.retries, stats.robots_refused) == (1, 0, 1)


def test_robots_crawl_delay_spaces_requests(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: pressroom\nCrawl-delay: 1\nDisallow:\n", content_type="text/plain"
    )
    httpserver.expect_request("/a").respond_with_data(PAGE, content_type="text/html")
    httpserver.expect_request("/b").respond_with_data(PAGE, content_type="text/html")
    urls = [httpserver.url_for("/a"), httpserver.url_for("/b")]

    started = time.monotonic()
    results, _ = fetch_urls(urls, {}, replace(FAST, respect_robots=True))

    assert all(result.ok for result in results)
    assert time.monotonic() - started >= 0.95  # the second page waited for the Crawl-delay


# 3. 429 and Retry-After


def test_429_waits_for_retry_after(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/busy").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "1"}
    )
    httpserver.expect_request("/busy").respond_with_data(PAGE, content_type="text/html")

    started = time.monotonic()
    result, stats = fetch_one(httpserver.url_for("/busy"))

    assert result.ok and result.attempts == 2
    assert time.monotonic() - started >= 0.95
    assert stats.retries == 1
    assert stats.statuses == {429: 1, 200: 1}


def test_retry_after_beyond_the_limit_gives_up_at_once(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/busy").respond_with_data(
        "", status=429, headers={"Retry-After": "600"}
    )

    started = time.monotonic()
    result, stats = fetch_one(httpserver.url_for("/busy"))

    assert result.error == "HTTP 429 and Retry-After 600 s exceeds the 120 s limit"
    assert (result.status, result.attempts, stats.retries) == (429, 1, 0)
    assert time.monotonic() - started < 1


# 4. 5xx


def test_500_then_200_is_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/flaky").respond_with_data("oops", status=500)
    httpserver.expect_request("/flaky").respond_with_data(PAGE, content_type="text/html")

    result, stats = fetch_one(httpserver.url_for("/flaky"))

    assert result.ok and result.body == PAGE.encode()
    assert result.attempts == 2
    assert stats.retries == 1
    assert stats.failed == 0


def test_persistent_500_fails_after_all_attempts(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/broken").respond_with_data("oops", status=500)

    result, stats = fetch_one(httpserver.url_for("/broken"))

    assert result.error == "HTTP 500 INTERNAL SERVER ERROR after 3 attempts"
    assert (result.status, result.attempts, result.body) == (500, 3, b"")
    assert paths(httpserver) == ["/broken"] * 3
    assert (stats.retries, stats.failed) == (2, 1)


def test_404_is_not_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gone").respond_with_data("no", status=404)

    result, _ = fetch_one(httpserver.url_for("/gone"))

    assert result.error == "HTTP 404 NOT FOUND"
    assert result.attempts == 1


# 5. Timeouts and connection errors


def test_read_timeout_is_retried_then_reported(raw_server: RawServer) -> None:
    raw_server.routes["/stall"] = lambda handler: time.sleep(1.5)
    settings = replace(FAST, retries=1)

    started = time.monotonic()
    result, stats = fetch_one(raw_server.url("/stall"), settings)

    assert result.error == "timed out after 2 attempts (read timeout)"
    assert (result.status, result.attempts) == (None, 2)
    assert stats.retries == 1
    assert time.monotonic() - started < 1.5


def test_total_timeout_stops_a_trickling_response(raw_server: RawServer) -> None:
    def trickle(handler: BaseHTTPRequestHandler) -> None:
        send(handler, b"<html>", {"Content-Type": "text/html"})
        for _ in range(30):
            time.sleep(0.1)
            handler.wfile.write(b" ")
            handler.wfile.flush()

    raw_server.routes["/trickle"] = trickle
    settings = replace(FAST, total_timeout_s=0.5, retries=0)

    started = time.monotonic()
    result, _ = fetch_one(raw_server.url("/trickle"), settings)

    assert result.error == "timed out after 1 attempt (no complete response within 0.5 s)"
    assert time.monotonic() - started < 1.5


def test_connection_refused_is_retried_then_reported() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the fetch: nothing listens there

    result, stats = fetch_one(f"http://127.0.0.1:{port}/")

    assert result.error is not None
    assert result.error.startswith("connection failed after 3 attempts (ConnectError")
    assert (result.status, result.attempts, stats.requests, stats.retries) == (None, 3, 3, 2)


# 6. Redirects and address safety


def test_follows_redirects(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": "/new"}
    )
    httpserver.expect_request("/new").respond_with_data(PAGE, content_type="text/html")

    result, _ = fetch_one(httpserver.url_for("/old"))

    assert result.ok and result.body == PAGE.encode()
    assert result.url == httpserver.url_for("/old")
    assert result.final_url == httpserver.url_for("/new")
    assert result.attempts == 2


def test_redirect_loop_is_detected(httpserver: HTTPServer) -> None:
    a, b = httpserver.url_for("/a"), httpserver.url_for("/b")
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": b})
    httpserver.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})

    result, _ = fetch_one(a)

    assert result.error == f"redirect loop: {a} -> {b} -> {a}"
    assert paths(httpserver) == ["/a", "/b"]


def test_too_many_redirects(httpserver: HTTPServer) -> None:
    for hop in range(10):
        httpserver.expect_request(f"/r{hop}").respond_with_data(
            "", status=302, headers={"Location": f"/r{hop + 1}"}
        )

    result, _ = fetch_one(httpserver.url_for("/r0"), replace(FAST, max_redirects=3))

    assert result.error == "more than 3 redirects"
    assert paths(httpserver) == ["/r0", "/r1", "/r2", "/r3"]


def test_private_address_refused_without_any_request(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/").respond_with_data(PAGE, content_type="text/html")

    result, stats = fetch_one(httpserver.url_for("/"), FetchSettings())

    assert result.error == "refused: 127.0.0.1 is a loopback address"
    assert (result.status, result.attempts, stats.requests) == (None, 0, 0)
    assert httpserver.log == []


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("http://10.0.0.1/x", "refused: 10.0.0.1 is a private address"),
        ("http://169.254.169.254/latest", "refused: 169.254.169.254 is the cloud metadata address"),
        ("http://[fd00:ec2::254]/", "refused: fd00:ec2::254 is the cloud metadata address"),
        ("ftp://example.org/file", "unsupported scheme 'ftp'"),
    ],
)
def test_redirect_targets_are_checked(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, target: str, error: str
) -> None:
    """With private addresses refused, the test server (127.0.0.1) alone is let through."""
    unsafe = fetch_module._unsafe
    server = ipaddress.ip_address("127.0.0.1")
    monkeypatch.setattr(fetch_module, "_unsafe", lambda a: None if a == server else unsafe(a))
    httpserver.expect_request("/go").respond_with_data("", status=302, headers={"Location": target})
    settings = replace(FAST, allow_private=False)

    result, stats = fetch_one(httpserver.url_for("/go"), settings)

    assert result.error == f"{error} (redirected to {target})"
    assert (result.final_url, result.status, result.attempts) == (target, 302, 1)
    assert stats.requests == 1


# 7. Body size


def test_content_length_over_the_limit_is_not_read(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 5000, content_type="text/html")

    result, stats = fetch_one(httpserver.url_for("/big"), replace(FAST, max_bytes=1000))

    assert result.error == "body larger than 1000 bytes (Content-Length: 5000)"
    assert result.body == b""
    assert stats.bytes == 0


def test_gzip_bomb_is_stopped_after_decompression(raw_server: RawServer) -> None:
    """An endless gzip stream of zeros (1 MB to about 1 KB), with no Content-Length."""

    def bomb(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Encoding", "gzip")
        handler.end_headers()
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
        zeros = bytes(1 << 20)
        for _ in range(10_000):  # 10 GB, far more than any client should take
            handler.wfile.write(compressor.compress(zeros) + compressor.flush(zlib.Z_SYNC_FLUSH))

    raw_server.routes["/bomb"] = bomb
    settings = replace(FAST, max_bytes=1_000_000)

    started = time.monotonic()
    result, stats = fetch_one(raw_server.url("/bomb"), settings)

    assert result.error == "body larger than 1000000 bytes after decompression"
    assert result.body == b""
    assert stats.bytes < 100_000_000  # stopped within one network read of the limit
    assert time.monotonic() - started < 3


def test_broken_compressed_body_is_reported(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/bad").respond_with_data(
        b"this is not gzip", content_type="text/html", headers={"Content-Encoding": "gzip"}
    )

    result, _ = fetch_one(httpserver.url_for("/bad"))

    assert result.error is not None and result.error.startswith("undecodable body: ")
    assert result.attempts == 1


# 8. Content types


def test_unaccepted_content_type_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/doc.pdf").respond_with_data(
        b"%PDF-1.7 ...", content_type="application/pdf"
    )

    result, stats = fetch_one(httpserver.url_for("/doc.pdf"))

    assert result.error == "content type 'application/pdf' not accepted"
    assert (result.status, result.body, result.content_type) == (200, b"", "application/pdf")
    assert stats.bytes == 0


def test_feed_types_are_accepted_when_asked_for(httpserver: HTTPServer) -> None:
    feed = b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>'
    httpserver.expect_request("/feed").respond_with_data(feed, content_type="application/rss+xml")

    page, _ = fetch_one(httpserver.url_for("/feed"))
    result, _ = fetch_one(httpserver.url_for("/feed"), accept=XML_TYPES)

    assert page.error == "content type 'application/rss+xml' not accepted"
    assert result.ok and result.body == feed


# 9. Encodings are left to extraction


def test_non_utf8_body_is_kept_as_bytes(httpserver: HTTPServer) -> None:
    body = '<html><head><meta charset="windows-1252"></head><body>Café “quoted”</body></html>'
    raw = body.encode("windows-1252")
    httpserver.expect_request("/latin").respond_with_data(raw, content_type="text/html")

    result, _ = fetch_one(httpserver.url_for("/latin"))

    assert result.ok
    assert result.body == raw
    assert result.content_type == "text/html"
    assert result.charset is None


# 10. Conditional requests


def test_conditional_request_gets_304(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/c", headers={"If-None-Match": '"v1"'}).respond_with_data(
        "", status=304, headers={"ETag": '"v1"'}
    )
    httpserver.expect_request("/c").respond_with_data(
        PAGE, content_type="text/html", headers={"ETag": '"v1"'}
    )
    url = httpserver.url_for("/c")

    fresh, _ = fetch_one(url)
    again, stats = fetch_one(url, validators=fresh.validators)

    assert fresh.ok and fresh.validators.etag == '"v1"'
    assert again.not_modified and again.error is None and not again.ok
    assert (again.status, again.body) == (304, b"")
    assert (stats.not_modified, stats.failed) == (1, 0)
    (_, first), (second, _) = httpserver.log
    assert second.headers["If-None-Match"] == '"v1"'
    assert "If-Modified-Since" not in second.headers
    assert first.status_code == 200


# 11. Per-host politeness


def test_per_host_concurrency_and_delay(raw_server: RawServer) -> None:
    lock = threading.Lock()
    in_flight, peak, starts = 0, 0, []

    def slow(handler: BaseHTTPRequestHandler) -> None:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
            starts.append(time.monotonic())
        time.sleep(0.2)
        with lock:
            in_flight -= 1
        send(handler, handler.path.encode(), {"Content-Type": "text/plain"})

    urls = [raw_server.url(f"/slow/{n}") for n in range(8)]
    for url in urls:
        raw_server.routes[url.removeprefix(raw_server.url(""))] = slow
    settings = replace(FAST, per_host_concurrency=2, per_host_delay_s=0.1)

    results, stats = fetch_urls(urls, {}, settings)

    assert [result.url for result in results] == urls
    assert [result.body for result in results] == [f"/slow/{n}".encode() for n in range(8)]
    assert peak == 2
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert min(gaps) >= 0.07  # 0.1 s on the client; server-side clocks see scheduling jitter
    assert stats.requests == 8


# 12. Bad URLs never raise


def test_bad_urls_become_errors(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/fine").respond_with_data(PAGE, content_type="text/html")
    urls = ["ftp://example.org/file", "http://[::1", "/relative", httpserver.url_for("/fine")]

    results, stats = fetch_urls(urls, {}, FAST)

    assert [result.error for result in results] == [
        "unsupported scheme 'ftp'",
        "ValueError: Invalid IPv6 URL",
        "unsupported scheme ''",
        None,
    ]
    assert [result.attempts for result in results] == [0, 0, 0, 1]
    assert stats.failed == 3


# Stats and the async API


def test_stats_merge_and_as_dict() -> None:
    one = FetchStats(requests=2, bytes=10, retries=1, failed=1)
    one.statuses.update({200: 1, 503: 1})
    other = FetchStats(requests=1, bytes=5, not_modified=1, robots_refused=2)
    other.statuses.update({304: 1, 200: 1})

    one.merge(other)

    assert one.as_dict() == {
        "requests": 3,
        "bytes": 15,
        "statuses": {"200": 2, "304": 1, "503": 1},
        "retries": 1,
        "not_modified": 1,
        "robots_refused": 2,
        "failed": 1,
    }


def test_async_fetcher(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data(PAGE, content_type="text/html")

    async def run() -> tuple[FetchResult, FetchStats]:
        async with Fetcher(FAST) as fetcher:
            return await fetcher.fetch(httpserver.url_for("/a")), fetcher.stats

    result, stats = asyncio.run(run())

    assert result.ok
    assert stats.requests == 1


# 13. What the fetcher keeps as a page, the WARC reader reads


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "text/html",
        "TEXT/HTML; charset=ISO-8859-1",
        "application/xhtml+xml",
        "text/plain; charset=utf-8",
        "application/xml",
        "image/png",
        "application/pdf",
    ],
)
def test_every_page_archived_is_read_back_and_the_rest_is_quarantined(
    content_type: str | None, tmp_path
) -> None:
    body = PAGE.encode() if "image" not in (content_type or "") else b"\x89PNG\r\n\x1a\n"
    headers = [] if content_type is None else [("Content-Type", content_type)]
    result = FetchResult("https://example.org/a", "https://example.org/a", 200, headers, body)
    batch = archive_batch([result], FetchStats(), tmp_path / "pages.warc.gz")

    read = list(read_file(tmp_path / "pages.warc.gz", 1_000_000)) if batch.warc else []
    assert batch.pages == len(read) and batch.pages + len(batch.failures) == 1
    assert [type(item) for item in read] in ([], [RawDocument])
    if read:
        expected = "text" if "text/plain" in (content_type or "") else "html"
        assert (read[0].media_type, read[0].url) == (expected, "https://example.org/a")
    else:
        assert "but not a feed or sitemap" in batch.failures[0].error
