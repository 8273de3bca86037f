"""Incremental state kept between runs: HTTP validators per URL, in the dataset's state folder
(``OUT/state/``).

A page fetched with an ``ETag`` or ``Last-Modified`` header is revalidated on the next run; a
``304 Not Modified`` answer costs one request and produces no new row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from pressroom.dataset.location import Location

STATE_FOLDER, VALIDATORS_FILE = "state", "http_validators.json"


@dataclass(frozen=True)
class Validators:
    """Conditional-request state of one URL from an earlier run."""

    etag: str | None = None
    last_modified: str | None = None


def load_validators(dataset: Location) -> dict[str, Validators]:
    """The validators stored by earlier runs in the ``dataset``'s state folder, by URL (empty
    before the first run)."""
    content = dataset.read_bytes(STATE_FOLDER, VALIDATORS_FILE)
    if content is None:
        return {}
    stored = json.loads(content.decode("utf-8"))
    return {url: Validators(**fields) for url, fields in stored.items()}


def save_validators(dataset: Location, updates: Mapping[str, Validators]) -> None:
    """Merge ``updates`` into the validators stored in the ``dataset``'s state folder (written
    whole or not at all)."""
    if not updates:
        return
    stored = load_validators(dataset) | dict(updates)
    data = {url: asdict(v) for url, v in sorted(stored.items()) if v.etag or v.last_modified}
    text = json.dumps(data, indent=2) + "\n"
    dataset.write_bytes(text.encode(), STATE_FOLDER, VALIDATORS_FILE)
