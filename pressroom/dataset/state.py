"""Incremental state kept between runs: HTTP validators per URL (``OUT/state/``).

A page fetched with an ``ETag`` or ``Last-Modified`` header is revalidated on the next run; a
``304 Not Modified`` answer costs one request and produces no new row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

from pressroom.dataset.writer import write_json_atomic
from pressroom.sources.fetch import Validators

VALIDATORS_FILE = Path("state") / "http_validators.json"


def load_validators(out: Path) -> dict[str, Validators]:
    """The validators stored by earlier runs, by URL (empty before the first run)."""
    path = out / VALIDATORS_FILE
    if not path.exists():
        return {}
    stored = json.loads(path.read_text(encoding="utf-8"))
    return {url: Validators(**fields) for url, fields in stored.items()}


def save_validators(out: Path, updates: Mapping[str, Validators]) -> None:
    """Merge ``updates`` into the stored validators (written atomically)."""
    if not updates:
        return
    stored = load_validators(out) | dict(updates)
    data = {url: asdict(v) for url, v in sorted(stored.items()) if v.etag or v.last_modified}
    write_json_atomic(data, out / VALIDATORS_FILE)
