"""The stage interface: every step a document goes through is a small class with one method to
write, in the spirit of datatrove's ``PipelineStep``.

- :class:`Stage` works on a chunk of documents at once (``process_batch``): site boilerplate,
  deduplication, anything that needs to see the whole chunk.
- :class:`DocumentStage` works on one document at a time (``process``); given a time limit, it
  runs in sandbox processes, one document at most ``timeout_s`` each, on ``workers`` of them.
- :class:`Filter` keeps or drops one document (``keep``); a dropped document is quarantined with
  the filter's reason, never lost.

The base class does the rest for every stage: counts (``stats``), timing, progress reports, the
time limit and the quarantine record of a document that failed (with the stage's name and a
specific reason). ``pressroom.pipeline.run_chunk`` runs a list of stages in order.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar, TypeVar

from pressroom.execution import progress
from pressroom.execution.sandbox import ItemTimeout, Sandbox, SandboxPool, WorkerDied
from pressroom.schemas import (
    ClusterChange,
    Document,
    QuarantineReason,
    QuarantineRecord,
    RawDocument,
    StageError,
)

T = TypeVar("T")


@dataclass
class StageStats:
    """What one stage did over a run, added up chunk by chunk."""

    received: int = 0
    passed: int = 0
    quarantined: int = 0
    seconds: float = 0.0
    counts: Counter[str] = field(default_factory=Counter)
    """Counts of the stage's own (``repeated``, ``cleaned``, ``spun``...)."""
    parts: Counter[str] = field(default_factory=Counter)
    """Seconds of named parts of the stage's work, timed on their own (``history``: reading
    the dataset's history for deduplication), included in ``seconds``."""

    def as_dict(self) -> dict:
        return {
            "received": self.received,
            "passed": self.passed,
            "quarantined": self.quarantined,
            "seconds": round(self.seconds, 3),
            **dict(sorted(self.counts.items())),
        }


@dataclass
class StageOutput:
    """The documents a stage passes on, and those it quarantined."""

    docs: list[Document]
    failures: list[QuarantineRecord] = field(default_factory=list)
    changes: list[ClusterChange] = field(default_factory=list)
    """Earlier clusters whose canonical this chunk replaced (deduplication)."""


class Stage(ABC):
    """A step of the pipeline over a chunk of documents; subclasses write ``process_batch``."""

    name: ClassVar[str]
    """Names the stage in quarantine records, stats, timings and progress."""
    noun: ClassVar[str] = "work"
    """What the stage does, for reasons: "<noun> timed out: ..."."""
    unit: ClassVar[str] = "docs"
    """What its progress counts."""
    counted: ClassVar[tuple[str, ...]] = ()
    """The stage's own counts (``count``), reported even when none happened."""

    def __init__(self) -> None:
        self.stats = StageStats(counts=Counter(dict.fromkeys(self.counted, 0)))

    def run(self, docs: Sequence[Document]) -> StageOutput:
        """``process_batch`` with the stage's counts, timing and progress kept up to date."""
        clock = time.perf_counter()
        progress.expect(self.name, len(docs))
        output = self.process_batch(list(docs))
        if not isinstance(self, DocumentStage):  # those report each document as it is done
            progress.advance(self.name, len(docs))
        self.stats.received += len(docs)
        self.stats.passed += len(output.docs)
        self.stats.quarantined += len(output.failures)
        self.stats.seconds += time.perf_counter() - clock
        return output

    @abstractmethod
    def process_batch(self, docs: list[Document]) -> StageOutput:
        """The chunk's documents after this stage, and those it quarantined."""

    def count(self, label: str, value: int = 1) -> None:
        """Add ``value`` to one of the stage's own counts."""
        self.stats.counts[label] += value

    def quarantine(
        self,
        item: RawDocument | Document,
        error: Exception | str,
        reason: QuarantineReason = "error",
    ) -> QuarantineRecord:
        """The quarantine record of ``item``, which failed at this stage because of ``error``: a
        message of the kind ``reason``, or an exception (a :class:`StageError` names its own
        stage and reason; a timeout, a dead worker and any other exception theirs)."""
        stage, message = self.name, str(error)
        if isinstance(error, StageError):
            stage, message, reason = error.stage, error.message, error.reason
        elif isinstance(error, ItemTimeout):
            message, reason = f"{self.noun} timed out: {error}", "timeout"
        elif isinstance(error, WorkerDied):
            message, reason = f"{self.noun} {error}", "crashed"
        elif isinstance(error, Exception):  # a bug or library failure on this item
            message = f"{type(error).__name__}: {error}"
        return QuarantineRecord(
            item_id=item.doc_id,
            source_uri=item.source_uri,
            raw_path=item.raw_path,
            raw_offset=item.raw_offset,
            stage=stage,
            error=message,
            reason=reason,
        )


class DocumentStage(Stage):
    """A stage that works on one document at a time; subclasses write ``process``.

    With ``timeout_s`` set, the documents go through sandbox processes (about eight batches
    each, for a balanced finish), and a document that takes longer is quarantined: through the
    run's ``pool``, shared by the stages, or without one, through ``workers`` sandboxes of the
    stage's own for a chunk of ``min_sandboxed`` documents or more. Else the documents are worked
    on here, without a time limit.
    """

    timeout_s: float | None = None
    workers: int = 1
    min_sandboxed: float = 0
    pool: SandboxPool | None = None
    """The run's sandbox processes, shared by the stages that work document by document."""
    preload: tuple[str, ...] | None = ("pressroom.stages.sandbox_preload",)
    """Modules the sandboxes' fork server imports: by default the one that loads the stages a
    run's sandboxes serve (``pressroom.stages.sandboxes``); None: the stage's own module."""
    reports_each: ClassVar[bool] = True
    """Progress is reported per document (False: the caller reports in its own unit)."""

    @abstractmethod
    def process(self, doc: Any) -> Document:
        """The document after this stage; raise :class:`StageError` to quarantine it."""

    def warm_up(self) -> None:
        """Load what ``process`` needs, once per sandbox process, before its clock starts."""

    def process_batch(self, docs: list[Document]) -> StageOutput:
        if self.timeout_s is None:
            return self._here(docs)
        if self.pool is not None:
            return self.in_sandboxes(docs, self.pool)
        if len(docs) < self.min_sandboxed:
            return self._here(docs)
        with self.sandboxes() as pool:
            return self.in_sandboxes(docs, pool)

    def in_sandboxes(self, docs: list[Document], pool: SandboxPool) -> StageOutput:
        """``docs`` through every sandbox of ``pool`` at once, in batches."""
        size = max(1, math.ceil(len(docs) / (pool.size * 8)))
        with ThreadPoolExecutor(pool.size) as threads:
            parts = list(threads.map(partial(self.in_sandbox, pool=pool), batches(docs, size)))
        return StageOutput(
            [d for part in parts for d in part.docs], [f for part in parts for f in part.failures]
        )

    def __getstate__(self) -> dict:
        # a sandbox gets the stage without the run's pool (it only calls ``process``)
        return {**self.__dict__, "pool": None}

    def sandboxes(self) -> SandboxPool:
        """``workers`` sandbox processes applying ``process`` within ``timeout_s``."""
        assert self.timeout_s is not None
        return SandboxPool(
            [
                Sandbox(self.process, self.timeout_s, self.warm_up, self.preload)
                for _ in range(self.workers)
            ]
        )

    def in_sandbox(self, items: Sequence[Any], pool: SandboxPool) -> StageOutput:
        """``items`` through one sandbox borrowed from ``pool``, in order."""
        output = StageOutput([])
        with pool.borrow() as sandbox:
            for outcome in sandbox.map(items, self.process, self.timeout_s):
                if outcome.error is None:
                    output.docs.append(outcome.result)
                else:
                    output.failures.append(self.quarantine(outcome.item, outcome.error))
                if self.reports_each:
                    progress.advance(self.name)
        return output

    def _here(self, docs: list[Document]) -> StageOutput:
        output = StageOutput([])
        for doc in docs:
            try:
                output.docs.append(self.process(doc))
            except Exception as error:  # a bug or library failure on this document
                output.failures.append(self.quarantine(doc, error))
            progress.advance(self.name)
        return output


class Filter(DocumentStage):
    """A stage that keeps or drops documents; subclasses write ``keep``."""

    @abstractmethod
    def keep(self, doc: Document) -> bool | str:
        """True to keep ``doc``; False, or the reason as a string, to drop it."""

    def process(self, doc: Document) -> Document:
        verdict = self.keep(doc)
        if verdict is True:
            return doc
        raise StageError(self.name, verdict or f"dropped by the {self.name} filter", "filtered")


def batches(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """``items`` in consecutive lists of ``size``."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
