"""Every tunable of a run: each stage's settings (defined beside the stage) composed into one
``IngestSettings``, the single model that the flow's ``settings`` parameter, the deployments'
forms and the command line's options all set.

The defaults are the ones documented (and measured) in ``docs/defaults.md``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import is_dataclass
from typing import Any, ClassVar, get_origin, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pressroom.dedup.settings import DedupSettings
from pressroom.extractors.settings import BoilerplateSettings, ExtractSettings
from pressroom.repair.settings import SpinSettings
from pressroom.sources.settings import FetchSettings, ReadSettings
from pressroom.stages.filters import FilterSettings


class IngestSettings(BaseModel):
    """Everything an ingest run can be told: the Prefect flow's ``settings`` parameter.

    Validates from nested plain data (a deployment's JSON parameters), such as
    ``{"dedup": {"threshold": 0.5}}``; unknown names are refused. ``fetch.max_bytes``, when not
    given, follows ``read.max_bytes``: one limit for raw pages, read or fetched.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    read: ReadSettings = ReadSettings()
    fetch: FetchSettings = FetchSettings()
    extract: ExtractSettings = ExtractSettings()
    boilerplate: BoilerplateSettings = BoilerplateSettings()
    filters: FilterSettings = FilterSettings()
    dedup: DedupSettings = DedupSettings()
    spin: SpinSettings = SpinSettings()
    batch_size: int | None = Field(default=None, ge=1)
    """Input files per extraction task; None sizes batches so that each worker gets about eight
    (balanced finish) within 10..500 files (Prefect's per-task overhead stays negligible)."""
    chunk_size: int = Field(default=20_000, ge=1)
    """Input files (or fetched pages) taken through every stage and written together. A larger
    input is ingested chunk after chunk, each deduplicated against the dataset including the
    chunks before it, so memory stays bounded by the chunk (site boilerplate is learned per
    chunk)."""
    workers: int = Field(default=os.cpu_count() or 1, ge=1)
    """Sandbox processes working at once: extraction (one batch each), then repair."""
    lock_wait_s: float = Field(default=300.0, ge=0)
    """How long a run waits for another run writing the same dataset before it gives up."""

    @model_validator(mode="before")
    @classmethod
    def _fetch_max_bytes_follows_read(cls, data: Any) -> Any:
        """Give ``fetch.max_bytes`` the value of ``read.max_bytes`` unless it is given too (a
        ``FetchSettings`` object counts as given)."""
        if not isinstance(data, Mapping):
            return data
        read, fetch = data.get("read"), data.get("fetch", {})
        limit = (
            read.get("max_bytes") if isinstance(read, Mapping) else getattr(read, "max_bytes", None)
        )
        if limit is None or not isinstance(fetch, Mapping) or "max_bytes" in fetch:
            return data
        return {**data, "fetch": {**fetch, "max_bytes": limit}}

    def batch_size_for(self, files: int) -> int:
        if self.batch_size is not None:
            return self.batch_size
        return max(10, min(500, math.ceil(files / (self.workers * 8))))

    def as_dict(self) -> dict:
        """Every setting, nested by stage as in the model (the run manifest's "parameters")."""
        return self.model_dump()


def setting_paths(section: type = IngestSettings, prefix: str = "") -> list[str]:
    """Every tunable's dotted path, such as ``"dedup.threshold"``, ``"workers"`` or
    ``"filters.language.languages"``."""
    paths = []
    for name, annotation in get_type_hints(section).items():
        if name.startswith("model_") or get_origin(annotation) is ClassVar:
            continue
        if isinstance(annotation, type) and (
            is_dataclass(annotation) or issubclass(annotation, BaseModel)
        ):
            paths += setting_paths(annotation, f"{prefix}{name}.")
        else:
            paths.append(f"{prefix}{name}")
    return paths


def settings_with(values: Mapping[str, object]) -> IngestSettings:
    """``IngestSettings`` with the values given by dotted path (``{"dedup.threshold": 0.5}``),
    the rest at their defaults. Raises ``KeyError`` for a path that names no setting and
    pydantic's ``ValidationError`` for a value that does not fit its setting."""
    known = set(setting_paths())
    nested: dict[str, Any] = {}
    for path, value in values.items():
        if path not in known:
            raise KeyError(path)
        *sections, name = path.split(".")
        node = nested
        for section in sections:
            node = node.setdefault(section, {})
        node[name] = value
    return IngestSettings.model_validate(nested)


__all__ = [
    "BoilerplateSettings",
    "DedupSettings",
    "ExtractSettings",
    "FetchSettings",
    "FilterSettings",
    "IngestSettings",
    "ReadSettings",
    "SpinSettings",
    "setting_paths",
    "settings_with",
]
