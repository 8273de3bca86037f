"""The SHA-256 of each data file of a table, recorded when pressroom writes it, so that a file
whose bytes changed afterwards is found even where it still decodes (Delta's log keeps sizes and
column statistics, but no checksum, and delta-rs writes no Parquet page checksums).

Kept in ``OUT/state/checksums-<table>.json``: data file path (under the table) -> hex digest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from pressroom.dataset.location import Location

_BLOCK = 1 << 20


def file_sha256(location: Location, *parts: str) -> str:
    """The SHA-256 of the file ``parts`` under ``location``, read in blocks."""
    digest = hashlib.sha256()
    with location.filesystem().open_input_stream(location.path(*parts)) as stream:
        while block := stream.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def load(location: Location, table: str) -> dict[str, str]:
    """The recorded checksums of ``table``'s data files (none recorded: empty)."""
    content = location.read_bytes("state", f"checksums-{table}.json")
    try:
        return json.loads(content) if content else {}
    except ValueError:  # a damaged record: the files are then checked by decoding them
        return {}


def record(location: Location, table: str, paths: Iterable[str]) -> None:
    """Record the checksums of ``paths`` (the table's current data files) that are not recorded
    yet, and forget files no longer in the list."""
    recorded, current = load(location, table), list(paths)
    updated = {path: recorded.get(path) or file_sha256(location, table, path) for path in current}
    if updated != recorded:
        text = json.dumps(updated, indent=0, sort_keys=True)
        location.write_bytes(text.encode(), "state", f"checksums-{table}.json")
