"""The raw archive: every fetched response, kept as WARC under ``OUT/raw/<run_id>/``.

Pages are written as ``response`` records (status, headers, body), so the archive is itself an
input a later run can re-process (``pressroom ingest OUT/raw/<run_id>``). Feeds and sitemaps are
kept as ``resource`` records: archived, but not read back as pages. Bodies are stored
decompressed, so ``Content-Encoding`` and ``Transfer-Encoding`` are dropped from the stored
headers. Each file is written under a temporary name and renamed into place when complete.
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from pressroom.dataset.files import atomic_path

if TYPE_CHECKING:
    from pressroom.web.fetcher import FetchResult

_DROPPED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
REQUESTED_URI = "WARC-Pressroom-Requested-URI"
"""WARC header naming the URL asked for when redirects led elsewhere."""


def write_warc(
    path: Path, pages: Iterable[FetchResult], listings: Iterable[FetchResult] = ()
) -> Path:
    """Write ``pages`` as response records and ``listings`` as resource records to ``path``."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with atomic_path(path) as temporary, temporary.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for page in pages:
            headers = [(k, v) for k, v in page.headers if k.lower() not in _DROPPED_HEADERS]
            status = f"{page.status} {_reason(page.status)}"
            http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
            record = writer.create_warc_record(
                page.final_url,
                "response",
                payload=BytesIO(page.body),
                http_headers=http,
                warc_headers_dict=_warc_headers(page),
            )
            writer.write_record(record)
        for listing in listings:
            record = writer.create_warc_record(
                listing.final_url,
                "resource",
                payload=BytesIO(listing.body),
                warc_content_type=listing.content_type or "application/octet-stream",
                warc_headers_dict=_warc_headers(listing),
            )
            writer.write_record(record)
    return path


def _warc_headers(result: FetchResult) -> dict[str, str]:
    headers = {"WARC-Date": result.fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if result.url != result.final_url:
        headers[REQUESTED_URI] = result.url
    return headers


def _reason(status: int | None) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
