"""Read raw pages from local files: HTML, scraped plain text and WARC, each optionally gzipped.

Readers yield :class:`RawDocument` for every page and :class:`QuarantineRecord` for every input
that cannot be read, so that nothing given to a run silently disappears.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from pressroom.schemas import QuarantineReason, QuarantineRecord, RawDocument
from pressroom.schemas.records import stable_id
from pressroom.sources.encoding import charset_parameter

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
TEXT_SUFFIXES = (".txt",)
WARC_SUFFIXES = (".warc",)
SUPPORTED_SUFFIXES = tuple(
    s + gz for s in HTML_SUFFIXES + TEXT_SUFFIXES + WARC_SUFFIXES for gz in ("", ".gz")
)
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
"""Media types read as pages; the fetcher keeps exactly what :func:`is_page_type` accepts."""


def iter_input_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Every file named by ``paths``, folders walked recursively, in a stable (sorted) order.

    Paths are made absolute, so that ``source_uri`` names the file wherever the run started.
    Hidden files and folders (names starting with ".") inside a folder are skipped.
    """
    for path in (Path(p).resolve() for p in paths):
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if child.is_file() and not any(part.startswith(".") for part in relative):
                    yield child
        else:
            yield path


def require_existing(paths: Iterable[str]) -> None:
    """Raise ``FileNotFoundError`` naming every path of ``paths`` that does not exist."""
    missing = [path for path in paths if not Path(path).exists()]
    if missing:
        relative = any(not Path(path).is_absolute() for path in missing)
        where = f" (working directory {Path.cwd()})" if relative else ""
        raise FileNotFoundError(f"input path does not exist: {', '.join(missing)}{where}")


def read_file(path: Path, max_bytes: int) -> Iterator[RawDocument | QuarantineRecord]:
    """Yield the page(s) in one file, or one quarantine record saying why it cannot be read."""
    name = path.name.lower()
    base = name.removesuffix(".gz")
    if not name.endswith(SUPPORTED_SUFFIXES):
        yield _failure(
            path,
            f"unsupported file type {path.suffix!r} (expected one of: "
            f"{', '.join(SUPPORTED_SUFFIXES)})",
        )
        return
    if base.endswith(WARC_SUFFIXES):
        yield from _read_warc(path)
        return
    try:
        content = _read_bytes(path, max_bytes)
    except _ReadError as error:
        yield _failure(path, str(error))
        return
    media_type = "html" if base.endswith(HTML_SUFFIXES) or _looks_like_html(content) else "text"
    yield RawDocument(
        source_uri=str(path), content=content, media_type=media_type, raw_path=str(path)
    )


class _ReadError(Exception):
    pass


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, gunzipped if needed, refusing empty, oversized and corrupt input."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise _ReadError(f"cannot open file: {error.strerror or error}") from error
    if size == 0:
        raise _ReadError("empty file (0 bytes)")
    is_gzip = path.name.lower().endswith(".gz")
    if not is_gzip and size > max_bytes:
        raise _ReadError(f"file too large: {size:,} bytes exceeds the limit of {max_bytes:,}")
    try:
        if is_gzip:
            with gzip.open(path, "rb") as stream:
                content = _read_limited(stream, max_bytes + 1)
            if len(content) > max_bytes:
                raise _ReadError(
                    f"file too large: decompresses to more than the limit of {max_bytes:,} bytes"
                )
        else:
            content = path.read_bytes()
    except EOFError as error:
        raise _ReadError(f"truncated gzip stream: {error}") from error
    except gzip.BadGzipFile as error:
        raise _ReadError(f"not a valid gzip file: {error}") from error
    except zlib.error as error:
        raise _ReadError(f"corrupt gzip data: {error}") from error
    except OSError as error:
        raise _ReadError(f"cannot read file: {error.strerror or error}") from error
    if not content.strip():
        raise _ReadError(
            "empty file (no content after decompression)"
            if is_gzip
            else "empty file (whitespace only)"
        )
    return content


def _read_limited(stream: gzip.GzipFile, limit: int) -> bytes:
    """Up to ``limit`` bytes, reading until the end of the stream (so truncation is noticed)."""
    chunks, size = [], 0
    while size < limit:
        chunk = stream.read(min(1 << 20, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _looks_like_html(content: bytes) -> bool:
    head = content[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in head


def media_type(content_type: str | None) -> str | None:
    """The media type of a ``Content-Type`` value, lower case, without parameters; None when the
    header is absent or empty."""
    media = (content_type or "").split(";")[0].strip().lower()
    return media or None


def is_page_type(media: str | None) -> bool:
    """Whether a response of this media type is a page: HTML, XHTML, plain text, or no type at
    all (its body then decides between HTML and text). The one rule for the WARC reader and the
    fetcher, so that every page fetched and archived is read back."""
    return media is None or media in PAGE_TYPES


def _read_warc(path: Path) -> Iterator[RawDocument | QuarantineRecord]:
    """One document per page response record (:func:`is_page_type`); other records, and
    responses of other media types, are skipped."""
    from warcio.archiveiterator import ArchiveIterator

    offset = 0
    try:
        with path.open("rb") as stream:
            records = ArchiveIterator(stream)
            for record in records:
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                content_type = record.http_headers.get_header("Content-Type")
                media = media_type(content_type)
                if not is_page_type(media):
                    continue
                content = record.content_stream().read()
                offset = records.get_record_offset()  # reads to the record's end: content first
                uri = record.rec_headers.get_header("WARC-Target-URI") or f"{path}#{offset}"
                charset = charset_parameter(content_type)
                if not content.strip():
                    yield _failure(
                        path, "empty HTTP response body", uri=uri, offset=offset, reason="empty"
                    )
                    continue
                if media is None:
                    media = "text/html" if _looks_like_html(content) else "text/plain"
                yield RawDocument(
                    source_uri=uri,
                    content=content,
                    media_type="text" if media == "text/plain" else "html",
                    raw_path=str(path),
                    raw_offset=offset,
                    url=uri,
                    declared_charset=charset,
                )
    except Exception as error:  # warcio raises many types on damaged archives
        yield _failure(
            path,
            f"corrupt WARC archive after offset {offset}: {type(error).__name__}: {error}",
            offset=offset,
        )


def _failure(
    path: Path,
    error: str,
    *,
    uri: str | None = None,
    offset: int | None = None,
    reason: QuarantineReason = "unreadable",
) -> QuarantineRecord:
    source_uri = uri or str(path)
    return QuarantineRecord(
        item_id=stable_id(source_uri, str(offset), error),
        source_uri=source_uri,
        raw_path=str(path),
        raw_offset=offset,
        stage="read",
        error=error,
        reason=reason,
    )
