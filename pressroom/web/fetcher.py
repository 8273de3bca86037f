"""Fetch pages, feeds and sitemaps from the web, politely and defensively.

A :class:`Fetcher` sends GET requests with httpx and follows redirects itself, so that every hop
is checked: only http and https, no private or metadata addresses (unless allowed), robots.txt
obeyed. Requests to one host are limited in number and spaced in time; timeouts, connection
errors, 429 and 5xx are retried with exponential backoff (or the server's Retry-After). Bodies are
capped after decompression. A URL's problem never raises: it becomes :attr:`FetchResult.error`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import random
import socket
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import MappingProxyType
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from pressroom.schemas import QuarantineRecord
from pressroom.schemas.records import stable_id
from pressroom.sources.encoding import charset_parameter
from pressroom.sources.local import PAGE_TYPES, media_type
from pressroom.sources.settings import FetchSettings
from pressroom.web.validators import Validators

XML_TYPES = (
    "application/xml",
    "text/xml",
    "application/rss+xml",
    "application/atom+xml",
    "text/plain",
    "text/html",  # feeds and sitemaps are often mis-served
)
ROBOTS_AGENT = "pressroom"
"""The name matched against robots.txt ``User-agent`` lines."""
MAX_CONNECTIONS = 100
"""Requests in flight at once over all hosts."""

_DEFAULT_PORTS = {"http": 80, "https": 443}
_METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
}


_NO_VALIDATORS: Mapping[str, Validators] = MappingProxyType({})


@dataclass
class FetchResult:
    """What fetching one URL gave: a usable response, a 304, or an error saying why not."""

    url: str
    """The URL asked for."""
    final_url: str
    """The URL after redirects (``url`` when there were none)."""
    status: int | None = None
    """Status of the last HTTP response, None if there was no response at all."""
    headers: list[tuple[str, str]] = field(default_factory=list)
    """Headers of the last response, as received."""
    body: bytes = b""
    """Decompressed body; empty on failure and on 304."""
    attempts: int = 0
    """HTTP requests made for this URL: retries and redirect hops included, robots.txt not."""
    error: str | None = None
    """None for a usable response (2xx of an accepted content type) or a 304; else the reason."""
    not_modified: bool = False
    """A 304 answered a conditional request."""
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def ok(self) -> bool:
        """True when ``body`` holds the content of the URL."""
        return self.error is None and not self.not_modified

    @property
    def validators(self) -> Validators:
        """The ETag and Last-Modified of the final response, for the next conditional request."""
        return Validators(self._header("etag"), self._header("last-modified"))

    @property
    def content_type(self) -> str | None:
        """The media type of the final response, lower case, without parameters."""
        return media_type(self._header("content-type"))

    @property
    def charset(self) -> str | None:
        """The charset parameter of the Content-Type header, if any."""
        return charset_parameter(self._header("content-type"))

    def _header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name), None)


@dataclass
class FetchStats:
    """What a :class:`Fetcher` did."""

    requests: int = 0
    """HTTP requests sent, robots.txt included."""
    bytes: int = 0
    """Body bytes received, after decompression."""
    statuses: Counter[int] = field(default_factory=Counter)
    retries: int = 0
    not_modified: int = 0
    robots_refused: int = 0
    failed: int = 0
    """Results with an error."""

    def merge(self, other: FetchStats) -> None:
        """Add the counts of ``other`` to these."""
        self.requests += other.requests
        self.bytes += other.bytes
        self.statuses.update(other.statuses)
        self.retries += other.retries
        self.not_modified += other.not_modified
        self.robots_refused += other.robots_refused
        self.failed += other.failed

    def as_dict(self) -> dict:
        """The counts as JSON-friendly values (status codes as string keys)."""
        return {
            "requests": self.requests,
            "bytes": self.bytes,
            "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
            "retries": self.retries,
            "not_modified": self.not_modified,
            "robots_refused": self.robots_refused,
            "failed": self.failed,
        }


@dataclass
class _Outcome:
    """One attempt at one URL: the response (or failure) before it becomes a FetchResult."""

    url: str
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    error: str | None = None
    cause: str | None = None
    """Details of a retryable error, named once the attempts are given up."""
    retryable: bool = False
    retry_after: float | None = None
    location: str | None = None
    """The redirect target, as sent."""


@dataclass
class RobotsRules:
    """The robots.txt rules of one host, or why they could not be had."""

    parser: RobotFileParser | None = None
    """None allows everything."""
    unavailable: str | None = None
    """Set when robots.txt could not be fetched: nothing may be fetched from the host."""

    def refusal(self, url: str) -> str | None:
        if self.unavailable:
            return f"robots.txt unavailable ({self.unavailable}): not fetching"
        if self.parser and not self.parser.can_fetch(ROBOTS_AGENT, url):
            return f"robots.txt disallows this URL for {ROBOTS_AGENT}"
        return None

    @property
    def crawl_delay(self) -> float:
        delay = self.parser.crawl_delay(ROBOTS_AGENT) if self.parser else None
        return float(delay or 0)


class RobotsCache:
    """The robots.txt rules of each origin, shared by the fetchers of a run (so each host's
    robots.txt is read once per run), which may run in several threads at once.

    Deliberately not a mapping: Prefect walks the collections passed to tasks as parameters, and
    a dict that running tasks add to fails while it is walked.
    """

    def __init__(self) -> None:
        self._rules: dict[str, RobotsRules] = {}
        self._lock = threading.Lock()

    def get(self, origin: str) -> RobotsRules | None:
        with self._lock:
            return self._rules.get(origin)

    def put(self, origin: str, rules: RobotsRules) -> None:
        with self._lock:
            self._rules[origin] = rules


class _Host:
    """Politeness state of one scheme + host + port."""

    def __init__(self, concurrency: int) -> None:
        self.slots = asyncio.Semaphore(concurrency)
        self.pacing = asyncio.Lock()
        self.next_start = 0.0
        self.robots_lock = asyncio.Lock()
        self.robots: RobotsRules | None = None

    def delay(self, minimum: float) -> float:
        """Time between the starts of two requests: robots.txt Crawl-delay when larger."""
        crawl_delay = self.robots.crawl_delay if self.robots else 0.0
        return max(minimum, crawl_delay)


class Fetcher:
    """Use as ``async with Fetcher(settings) as fetcher:``.

    ``robots`` may be shared between fetchers, so that the fetchers of one run read each host's
    robots.txt once.
    """

    def __init__(
        self, settings: FetchSettings = FetchSettings(), robots: RobotsCache | None = None
    ) -> None:
        self.settings = settings
        self.stats = FetchStats()
        self._robots_cache = RobotsCache() if robots is None else robots
        self._hosts: dict[str, _Host] = {}
        self._address_refusals: dict[str, str | None] = {}
        self._connections = asyncio.Semaphore(MAX_CONNECTIONS)
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            headers={"User-Agent": settings.user_agent},
            timeout=httpx.Timeout(
                connect=settings.connect_timeout_s,
                read=settings.read_timeout_s,
                write=settings.connect_timeout_s,
                pool=settings.connect_timeout_s,
            ),
            limits=httpx.Limits(max_connections=MAX_CONNECTIONS),
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._client.aclose()

    async def fetch(
        self, url: str, validators: Validators | None = None, accept: tuple[str, ...] = PAGE_TYPES
    ) -> FetchResult:
        """Fetch one URL; never raises for a problem with the URL or its server."""
        result = FetchResult(url=url, final_url=url)
        try:
            await self._get(
                result,
                _conditional_headers(validators),
                accept,
                retries=self.settings.retries,
                check_robots=self.settings.respect_robots,
            )
        except Exception as error:
            result.error = f"{type(error).__name__}: {error}"
            result.body = b""
        result.fetched_at = datetime.now(UTC)
        self.stats.failed += result.error is not None
        self.stats.not_modified += result.not_modified
        return result

    async def fetch_all(
        self,
        urls: Iterable[str],
        validators: Mapping[str, Validators] = _NO_VALIDATORS,
        accept: tuple[str, ...] = PAGE_TYPES,
    ) -> list[FetchResult]:
        """Fetch the URLs concurrently (politely per host); results in the order of ``urls``."""
        return list(
            await asyncio.gather(*(self.fetch(url, validators.get(url), accept) for url in urls))
        )

    async def _get(
        self,
        result: FetchResult,
        headers: dict[str, str],
        accept: tuple[str, ...] | None,
        *,
        retries: int,
        check_robots: bool,
    ) -> None:
        """Fill in ``result`` by fetching its URL, following and checking redirects.

        ``accept`` None accepts any content type.
        """
        url = result.url
        seen = [url]
        while True:
            refusal = await self._refusal(url, check_robots)
            if refusal:
                result.final_url = url
                result.error = refusal if url == result.url else f"{refusal} (redirected to {url})"
                return
            outcome = await self._request(result, url, headers, accept, retries)
            _apply(result, outcome)
            if outcome.location is None:
                return
            target = urljoin(url, outcome.location)
            if target in seen:
                result.error = "redirect loop: " + " -> ".join([*seen, target])
                return
            if len(seen) > self.settings.max_redirects:
                result.error = f"more than {self.settings.max_redirects} redirects"
                return
            seen.append(target)
            url = target

    async def _refusal(self, url: str, check_robots: bool) -> str | None:
        """Why ``url`` must not be requested, or None."""
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS:
            return f"unsupported scheme {parts.scheme!r}"
        if not parts.hostname:
            return "no host in URL"
        if not self.settings.allow_private:
            refusal = await self._address_refusal(parts.hostname)
            if refusal:
                return refusal
        if check_robots:
            refusal = (await self._robots(url)).refusal(url)
            self.stats.robots_refused += refusal is not None
            return refusal
        return None

    async def _address_refusal(self, host: str) -> str | None:
        """Why ``host`` must not be contacted (an address of it is not public), or None."""
        if host not in self._address_refusals:
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            except socket.gaierror as error:
                return f"cannot resolve {host}: {error.strerror}"
            addresses = sorted({info[4][0].split("%")[0] for info in infos})
            reasons = (_unsafe(ipaddress.ip_address(address)) for address in addresses)
            self._address_refusals[host] = next((reason for reason in reasons if reason), None)
        return self._address_refusals[host]

    async def _robots(self, url: str) -> RobotsRules:
        """The robots.txt rules for the host of ``url``, fetched once per host."""
        home = origin(url)
        host = self._host(home)
        async with host.robots_lock:
            rules = self._robots_cache.get(home)
            if rules is None:
                rules = await self._load_robots(home + "/robots.txt")
                self._robots_cache.put(home, rules)
            host.robots = rules
        return rules

    async def _load_robots(self, robots_url: str) -> RobotsRules:
        """Fetch and parse robots.txt as RFC 9309 says: 4xx allows all, no answer disallows all."""
        probe = FetchResult(url=robots_url, final_url=robots_url)
        await self._get(probe, {}, None, retries=0, check_robots=False)
        status = probe.status or 0
        if 200 <= status < 300 and probe.error is None:
            parser = RobotFileParser(robots_url)
            parser.parse(probe.body.decode("utf-8", errors="replace").splitlines())
            return RobotsRules(parser)
        if 400 <= status < 500:
            return RobotsRules()
        if status >= 500 or probe.error is None:
            return RobotsRules(unavailable=f"HTTP {status}")
        return RobotsRules(unavailable=probe.error)

    async def _request(
        self,
        result: FetchResult,
        url: str,
        headers: dict[str, str],
        accept: tuple[str, ...] | None,
        retries: int,
    ) -> _Outcome:
        """Request ``url`` (no redirects followed), retrying up to ``retries`` times."""
        attempt = 0
        while True:
            attempt += 1
            result.attempts += 1
            outcome = await self._attempt(url, headers, accept)
            if not outcome.retryable:
                return outcome
            limit = self.settings.max_retry_after_s
            if outcome.retry_after is not None and outcome.retry_after > limit:
                outcome.error = (
                    f"HTTP {outcome.status} and Retry-After {math.ceil(outcome.retry_after)} s "
                    f"exceeds the {limit:g} s limit"
                )
                return outcome
            if attempt > retries:
                outcome.error = f"{outcome.error} after {attempt} attempt{'s' * (attempt > 1)}"
                if outcome.cause:
                    outcome.error += f" ({outcome.cause})"
                return outcome
            self.stats.retries += 1
            await asyncio.sleep(self._retry_delay(attempt, outcome.retry_after))

    def _retry_delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        backoff = min(self.settings.max_backoff_s, self.settings.backoff_s * 2 ** (attempt - 1))
        return backoff * random.uniform(0.5, 1.5)

    async def _attempt(
        self, url: str, headers: dict[str, str], accept: tuple[str, ...] | None
    ) -> _Outcome:
        """One GET of ``url``, within the host's limits and the total timeout of an attempt."""
        total = self.settings.total_timeout_s
        async with self._slot(origin(url)):
            self.stats.requests += 1
            try:
                async with asyncio.timeout(total):
                    return await self._send(url, headers, accept)
            except httpx.TimeoutException as error:
                return _Outcome(url, error="timed out", cause=_timeout_kind(error), retryable=True)
            except TimeoutError:
                cause = f"no complete response within {total:g} s"
                return _Outcome(url, error="timed out", cause=cause, retryable=True)
            except (httpx.NetworkError, httpx.RemoteProtocolError) as error:
                cause = f"{type(error).__name__}: {error}"
                return _Outcome(url, error="connection failed", cause=cause, retryable=True)
            except httpx.DecodingError as error:
                return _Outcome(url, error=f"undecodable body: {error}")

    async def _send(
        self, url: str, headers: dict[str, str], accept: tuple[str, ...] | None
    ) -> _Outcome:
        async with self._client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            self.stats.statuses[status] += 1
            encoding = response.headers.encoding
            outcome = _Outcome(
                url,
                status=status,
                headers=[(k.decode(encoding), v.decode(encoding)) for k, v in response.headers.raw],
            )
            if response.has_redirect_location:
                outcome.location = response.headers["location"]
            elif status == 429 or status >= 500:
                outcome.error = _status_error(response)
                outcome.retryable = True
                if status in (429, 503):
                    outcome.retry_after = _retry_after(response.headers.get("retry-after"))
            elif not 200 <= status < 300 and status != 304:
                outcome.error = _status_error(response)
            elif status != 304:
                outcome.error = self._content_refusal(response, accept)
                if outcome.error is None:
                    outcome.body, outcome.error = await self._read_body(response)
            return outcome

    def _content_refusal(
        self, response: httpx.Response, accept: tuple[str, ...] | None
    ) -> str | None:
        """Why a 2xx response must not be read (by its headers), or None."""
        media = media_type(response.headers.get("content-type"))
        if accept is not None and media is not None and media not in accept:
            return f"content type {media!r} not accepted"
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.settings.max_bytes:
            return f"body larger than {self.settings.max_bytes} bytes (Content-Length: {length})"
        return None

    async def _read_body(self, response: httpx.Response) -> tuple[bytes, str | None]:
        """The decompressed body, or b"" and an error as soon as it grows past max_bytes."""
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            self.stats.bytes += len(chunk)
            if size > self.settings.max_bytes:
                return b"", f"body larger than {self.settings.max_bytes} bytes after decompression"
            chunks.append(chunk)
        return b"".join(chunks), None

    @asynccontextmanager
    async def _slot(self, origin: str) -> AsyncIterator[None]:
        """Wait for a free slot on the host and overall, and for the host's delay since the last
        start; hold the slots while the request runs."""
        host = self._host(origin)
        async with host.slots, self._connections:
            async with host.pacing:
                loop = asyncio.get_running_loop()
                wait = host.next_start - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                host.next_start = loop.time() + host.delay(self.settings.per_host_delay_s)
            yield

    def _host(self, origin: str) -> _Host:
        if origin not in self._hosts:
            self._hosts[origin] = _Host(self.settings.per_host_concurrency)
        return self._hosts[origin]


def fetch_urls(
    urls: Sequence[str],
    validators: Mapping[str, Validators],
    settings: FetchSettings,
    accept: tuple[str, ...] = PAGE_TYPES,
    robots: RobotsCache | None = None,
) -> tuple[list[FetchResult], FetchStats]:
    """Synchronous wrapper: asyncio.run a Fetcher over the URLs (called from Prefect tasks in
    threads); ``robots`` as for :class:`Fetcher`."""

    async def run() -> tuple[list[FetchResult], FetchStats]:
        async with Fetcher(settings, robots) as fetcher:
            return await fetcher.fetch_all(urls, validators, accept), fetcher.stats

    return asyncio.run(run())


def fetch_failure(result: FetchResult) -> QuarantineRecord:
    """The quarantine record of a URL that could not be fetched."""
    status = f"HTTP status {result.status}" if result.status else "no HTTP response"
    attempts = f"{result.attempts} attempt{'s' * (result.attempts != 1)}"
    return QuarantineRecord(
        item_id=stable_id(result.url, "fetch", result.error or ""),
        source_uri=result.url,
        raw_path="",
        raw_offset=None,
        stage="fetch",
        error=f"{result.error} ({status}, {attempts})",
        reason="fetch_failed",
    )


def _apply(result: FetchResult, outcome: _Outcome) -> None:
    result.final_url = outcome.url
    result.status = outcome.status
    result.headers = outcome.headers
    result.body = outcome.body
    result.error = outcome.error
    result.not_modified = outcome.status == 304 and outcome.error is None


def _status_error(response: httpx.Response) -> str:
    return f"HTTP {response.status_code} {response.reason_phrase}".rstrip()


def _conditional_headers(validators: Validators | None) -> dict[str, str]:
    headers = {}
    if validators and validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators and validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _timeout_kind(error: httpx.TimeoutException) -> str:
    kinds = {
        httpx.ConnectTimeout: "connect timeout",
        httpx.ReadTimeout: "read timeout",
        httpx.WriteTimeout: "write timeout",
        httpx.PoolTimeout: "pool timeout",
    }
    return kinds.get(type(error), str(error) or type(error).__name__)


def _unsafe(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why a server at ``address`` must not be contacted, or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    checks = (
        (address in _METADATA_ADDRESSES, "the cloud metadata address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_unspecified, "an unspecified address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        (not address.is_global, "not a public address"),
    )
    reason = next((reason for unsafe, reason in checks if unsafe), None)
    return f"refused: {address} is {reason}" if reason else None


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``: the unit of politeness and of robots.txt."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}:{_port(parts.scheme, parts.port)}"


def _port(scheme: str, port: int | None) -> int:
    return port or _DEFAULT_PORTS[scheme]
