"""What a run did, added up chunk by chunk from counters (documents are not kept), and the
manifest it writes to ``OUT/runs/<run_id>.json``."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pressroom
from pressroom.dataset.dataset import WrittenChunk
from pressroom.pipeline import BatchResult, ChunkResult
from pressroom.report import DocumentTally, common_reasons, failure_reason, reason_counts
from pressroom.settings import IngestSettings
from pressroom.stages.base import Stage
from pressroom.stages.dedup import Deduplicate


def new_run_id() -> str:
    """A run's id: when it started, and a random suffix."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def seconds_since_process_start() -> float:
    """How long this process has been running (Linux's /proc; 0 elsewhere)."""
    try:
        started = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return 0.0
    return max(0.0, uptime - started / os.sysconf("SC_CLK_TCK"))


@dataclass
class RunTotals:
    """What a run has done so far, added up chunk by chunk."""

    settings: IngestSettings
    inputs: list[str]
    run_id: str = field(default_factory=new_run_id)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    counts: Counter[str] = field(default_factory=Counter)
    timings: Counter[str] = field(default_factory=Counter)
    """Seconds of each part of the run, in the order they come: they add up to its wall time
    but for the manifest's own writing and the process's exit (``fetch`` runs alongside
    ``extract``)."""
    quarantined_by_stage: Counter[str] = field(default_factory=Counter)
    quarantined_by_reason: Counter[str] = field(default_factory=Counter)
    quarantine_reasons: Counter[tuple[str, str]] = field(default_factory=Counter)
    versions: list[int] = field(default_factory=list)
    """The documents table's version after each chunk that changed it."""
    documents: DocumentTally = field(default_factory=DocumentTally)
    chunks: int = 0

    def add_chunk(
        self, batches: Sequence[BatchResult], result: ChunkResult, written: WrittenChunk
    ) -> None:
        """Count one chunk: its extraction batches, what the stages left, what was written."""
        known = sum(batch.known for batch in batches)
        repairs = Counter(r.method == "unicode" for doc in result.docs for r in doc.repairs)
        self.counts.update(
            {
                "read": sum(batch.read for batch in batches),
                "known": known,
                "extracted": sum(len(batch.documents) for batch in batches),
                "empty": sum(f.reason == "empty" for f in result.failures),
                "quarantined": len(result.failures),
                "repairs": repairs[False],
                "unicode_repairs": repairs[True],
                "written": written.documents_written,
                "already_present": known + len(result.docs) - written.documents_written,
            }
        )
        self.quarantined_by_stage.update(f.stage for f in result.failures)
        self.quarantined_by_reason.update(f.reason for f in result.failures)
        self.quarantine_reasons.update(reason_counts(result.failures))
        if written.version is not None and written.version not in self.versions:
            self.versions.append(written.version)
        self.documents.add(result.docs)
        self.chunks += 1

    def manifest(
        self,
        out: str,
        stages: Sequence[Stage],
        sources: dict[str, int],
        fetch: dict,
        flow_run_id: str | None = None,
    ) -> dict:
        """The run's manifest: counts (the stages' own counts included), each stage's stats,
        timings, quarantine reasons and the files written; ``failure`` says why a run that
        produced no document failed."""
        counts = {**sources, **self.counts}
        timings = Counter(self.timings)
        cluster_sizes: Counter[int] = Counter()
        for stage in stages:
            renames = _OWN_COUNTS.get(stage.name, {})
            counts.update({renames.get(k, k): v for k, v in stage.stats.counts.items()})
            timings[stage.name] += stage.stats.seconds - sum(stage.stats.parts.values())
            timings.update(stage.stats.parts)
            if isinstance(stage, Deduplicate):
                cluster_sizes = stage.cluster_sizes
        counts["documents"] = counts["written"] + counts["already_present"]
        manifest = {
            "run_id": self.run_id,
            "flow_run_id": flow_run_id,
            "pressroom_version": pressroom.__version__,
            "started_at": self.started.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "out": out,
            "inputs": self.inputs,
            "parameters": self.settings.as_dict(),
            "chunks": self.chunks,
            "counts": counts,
            "fetch": fetch,
            "stages": {stage.name: stage.stats.as_dict() for stage in stages},
            "quarantined_by_stage": dict(sorted(self.quarantined_by_stage.items())),
            "quarantined_by_reason": dict(sorted(self.quarantined_by_reason.items())),
            "quarantine_reasons": common_reasons(self.quarantine_reasons),
            "cluster_sizes": {str(k): v for k, v in sorted(cluster_sizes.items())},
            "timings_s": {k: round(v, 3) for k, v in timings.items()},
            "documents_versions": self.versions,
        }
        manifest["failure"] = failure_reason(manifest)
        return manifest


_OWN_COUNTS = {"boilerplate": {"cleaned": "boilerplate_cleaned"}}
"""Stage counts that the manifest's ``counts`` names otherwise."""
