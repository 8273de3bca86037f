"""Settings of reading raw input and fetching it from the web."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReadSettings:
    """Limits applied while reading raw input."""

    max_bytes: int = 20_000_000
    """Raw pages larger than this (after decompression) are quarantined, not parsed."""


@dataclass(frozen=True)
class FetchSettings:
    """Fetching pages, feeds and sitemaps from the web, politely (see docs/fetching.md)."""

    batch_size: int = 50
    """URLs per fetch task; a task fetches from one host, and one host's tasks run in turn."""
    batches_ahead: int = 4
    """Fetch tasks of one host started at once (each waits for the one before); its further
    batches start as these finish, so a long run holds few task runs and threads at a time."""
    user_agent: str = "pressroom/0.1 (press-release pipeline; +https://example.org/pressroom)"
    """Sent with every request and matched against robots.txt groups (as "pressroom")."""
    per_host_concurrency: int = 2
    """Requests in flight to one host at once."""
    per_host_delay_s: float = 0.25
    """Minimum time between the starts of two requests to one host (robots.txt Crawl-delay wins
    when larger)."""
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0
    """Longest wait for the next bytes of a response."""
    total_timeout_s: float = 60.0
    """Longest time for one attempt, from connecting to the last byte."""
    max_bytes: int = 20_000_000
    """Largest body accepted, after decompression (so a gzip bomb stops here)."""
    max_redirects: int = 5
    retries: int = 3
    """Further attempts after a timeout, connection error, 429 or 5xx."""
    backoff_s: float = 1.0
    """First retry delay; doubled at each attempt, with jitter (0.5x to 1.5x)."""
    max_backoff_s: float = 30.0
    max_retry_after_s: float = 120.0
    """A longer Retry-After gives up on the URL instead of waiting."""
    respect_robots: bool = True
    allow_private: bool = False
    """Allow hosts on private, loopback, link-local and metadata addresses (tests, intranets)."""
