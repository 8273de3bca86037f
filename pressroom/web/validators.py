"""Incremental state kept between runs: HTTP validators per URL, in the dataset's state folder
(``Dataset.state``, ``OUT/state/``).

A page fetched with an ``ETag`` or ``Last-Modified`` header is revalidated on the next run; a
``304 Not Modified`` answer costs one request and produces no new row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from pressroom.dataset.writer import write_json_atomic

VALIDATORS_FILE = "http_validators.json"


@dataclass(frozen=True)
class Validators:
    """Conditional-request state of one URL from an earlier run."""

    etag: str | None = None
    last_modified: str | None = None


def load_validators(state: Path) -> dict[str, Validators]:
    """The validators stored by earlier runs in the folder ``state``, by URL (empty before the
    first run)."""
    path = state / VALIDATORS_FILE
    if not path.exists():
        return {}
    stored = json.loads(path.read_text(encoding="utf-8"))
    return {url: Validators(**fields) for url, fields in stored.items()}


def save_validators(state: Path, updates: Mapping[str, Validators]) -> None:
    """Merge ``updates`` into the validators stored in ``state`` (written atomically)."""
    if not updates:
        return
    stored = load_validators(state) | dict(updates)
    data = {url: asdict(v) for url, v in sorted(stored.items()) if v.etag or v.last_modified}
    write_json_atomic(data, state / VALIDATORS_FILE)
