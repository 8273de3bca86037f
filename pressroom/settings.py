"""Every tunable of a run: each stage's settings (defined beside the stage) composed into one
``IngestSettings``.

The defaults are the ones documented (and measured) in ``docs/defaults.md``.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field

from pressroom.dedup.settings import DedupSettings
from pressroom.extractors.settings import BoilerplateSettings, ExtractSettings
from pressroom.repair.settings import SpinSettings
from pressroom.sources.settings import FetchSettings, ReadSettings


@dataclass(frozen=True)
class IngestSettings:
    """Everything an ingest run can be told; the Prefect flow's parameters map onto this."""

    read: ReadSettings = field(default_factory=ReadSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    boilerplate: BoilerplateSettings = field(default_factory=BoilerplateSettings)
    dedup: DedupSettings = field(default_factory=DedupSettings)
    spin: SpinSettings = field(default_factory=SpinSettings)
    batch_size: int | None = None
    """Input files per extraction task; None sizes batches so that each worker gets about eight
    (balanced finish) within 10..500 files (Prefect's per-task overhead stays negligible)."""
    chunk_size: int = 20_000
    """Input files (or fetched pages) taken through every stage and written together. A larger
    input is ingested chunk after chunk, each deduplicated against the dataset including the
    chunks before it, so memory stays bounded by the chunk (site boilerplate is learned per
    chunk)."""
    workers: int = os.cpu_count() or 1
    """Sandbox processes working at once: extraction (one batch each), then repair."""
    lock_wait_s: float = 300.0
    """How long a run waits for another run writing the same dataset before it gives up."""

    def batch_size_for(self, files: int) -> int:
        if self.batch_size is not None:
            return self.batch_size
        return max(10, min(500, math.ceil(files / (self.workers * 8))))

    def as_dict(self) -> dict:
        return asdict(self)


__all__ = [
    "BoilerplateSettings",
    "DedupSettings",
    "ExtractSettings",
    "FetchSettings",
    "IngestSettings",
    "ReadSettings",
    "SpinSettings",
]
