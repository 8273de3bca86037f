"""What ``pressroom ingest`` shows on the terminal while a run works: one live area with a row per
stage (its real progress, from :mod:`pressroom.execution.progress`), and log records printed
above it.

Prefect configures console handlers of its own when it is imported; the command replaces them by
one handler that prints through the display, at WARNING (INFO with ``verbose``), so that no log
line is written across the live area.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from pressroom.execution import progress

_LEVEL_STYLES = {logging.WARNING: "yellow", logging.ERROR: "red", logging.CRITICAL: "bold red"}
_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")
_REPLACED: list[logging.Handler] = []
"""Prefect's console handlers once replaced, kept alive: its logging config refers to them."""


class TerminalLogHandler(logging.Handler):
    """Prints log records through a rich console (above its live area, if one is shown).

    Unless ``verbose``: no tracebacks, and none of the errors Prefect's engine logs about a
    failing flow or task run; the command line says once how the run ended."""

    def __init__(self, console: Console, verbose: bool, formatter: logging.Formatter | None):
        super().__init__(logging.INFO if verbose else logging.WARNING)
        self.console, self.verbose = console, verbose
        self.setFormatter(formatter or logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if not self.verbose:
                if _reports_run_failure(record):
                    return
                record = logging.makeLogRecord({**record.__dict__, "exc_info": None})
                record.exc_text = record.stack_info = None
            style = _LEVEL_STYLES.get(record.levelno, "")
            self.console.print(Text(self.format(record), style=style), overflow="fold")
        except Exception:
            self.handleError(record)


def _reports_run_failure(record: logging.LogRecord) -> bool:
    """Whether Prefect's engine logged this error about a flow or task run failing."""
    engine = record.pathname.replace("\\", "/").endswith(("/flow_engine.py", "/task_engine.py"))
    return engine and record.name in _RUN_LOGGERS and record.levelno >= logging.ERROR


def send_logs_to(console: Console, verbose: bool) -> None:
    """Print Prefect's console logging through ``console`` from now on, for the rest of the
    process (Prefect logs again when it stops its temporary server, at exit)."""
    from prefect.logging.configuration import ensure_logging_setup
    from prefect.logging.handlers import PrefectConsoleHandler

    ensure_logging_setup()
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    replaced = [
        (logger, handler)
        for logger in loggers
        for handler in list(logger.handlers)
        if isinstance(handler, PrefectConsoleHandler | TerminalLogHandler)
    ]
    formatter = next(
        (h.formatter for _, h in replaced if isinstance(h, PrefectConsoleHandler)), None
    )
    ours = TerminalLogHandler(console, verbose, formatter)
    for logger, handler in replaced:
        logger.removeHandler(handler)
        if handler.name:  # Prefect may apply its logging config again, by handler name
            _REPLACED.append(handler)
        if ours not in logger.handlers:
            logger.addHandler(ours)
    if not replaced:
        logging.getLogger().addHandler(ours)


@dataclass
class StageRow:
    """A stage's progress as the display shows it: items done and expected, and the seconds the
    stage has had work pending (a run in chunks goes through each stage once per chunk)."""

    name: str
    unit: str
    done: int = 0
    expected: int = 0
    started: bool = False
    busy_s: float = 0.0
    pending_since: float | None = None

    def report(self, done: int, expected: int, now: float) -> None:
        self.started = True
        self.done += done
        self.expected += expected
        pending = self.done < self.expected
        if pending and self.pending_since is None:
            self.pending_since = now
        elif not pending and self.pending_since is not None:
            self.busy_s += now - self.pending_since
            self.pending_since = None

    def seconds(self, now: float) -> float:
        return self.busy_s + (now - self.pending_since if self.pending_since is not None else 0.0)


class StageDisplay:
    """The live area: a line with the time since the start and what the run is doing, then one
    row per stage, fed by :mod:`pressroom.execution.progress`."""

    def __init__(self, console: Console, stages: Iterable[str]):
        self.console = console
        self._rows = {name: StageRow(name, progress.UNITS.get(name, "")) for name in stages}
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._ended: float | None = None
        self._status = "starting Prefect and the worker processes"
        self._live = Live(
            console=console, get_renderable=self._render, refresh_per_second=4, transient=False
        )

    def __enter__(self) -> StageDisplay:
        self._live.start()
        progress.set_listener(self._report)
        return self

    def __exit__(self, error_type: type | None, *exc_info: object) -> None:
        progress.set_listener(None)
        with self._lock:
            self._ended = time.monotonic()
            self._status = "failed" if error_type else "finished"
        self._live.stop()  # the last rendering stays: each stage's count and time

    def _report(self, stage: str, done: int, expected: int) -> None:
        with self._lock:
            row = self._rows.setdefault(stage, StageRow(stage, progress.UNITS.get(stage, "")))
            row.report(done, expected, time.monotonic())
            self._status = "working"

    def _render(self) -> Group:
        now = time.monotonic()
        table = Table.grid(padding=(0, 2))
        with self._lock:
            rows = list(self._rows.values())
            width = max(len(row.name) for row in rows)
            for row in rows:
                table.add_row(*_cells(row, now, width))
            elapsed = _duration((self._ended or now) - self._started)
            header = Text.assemble(
                ("pressroom ingest ", "bold"), (elapsed, "cyan"), f"  {self._status}"
            )
        return Group(header, table)


def _cells(row: StageRow, now: float, width: int) -> tuple:
    name = Text(row.name.ljust(width), style="bold" if row.pending_since else "")
    if not row.started:
        return name, ProgressBar(total=1, completed=0, width=30), Text("waiting", style="dim"), ""
    bar = ProgressBar(total=max(row.expected, 1), completed=row.done, width=30)
    if row.expected == 0:
        bar = ProgressBar(total=1, completed=1, width=30)
    count = Text(f"{row.done:,}/{row.expected:,} {row.unit}")
    return name, bar, count, Text(_duration(row.seconds(now)), style="cyan")


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return (
        f"{minutes}:{seconds:02d}"
        if minutes < 60
        else f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}"
    )


@contextmanager
def run_display(stages: Iterable[str], live: bool) -> Iterator[Console]:
    """The console on stderr that a run prints through, with a live row per stage above which it
    prints when ``live`` and stderr is a terminal."""
    console = Console(stderr=True)
    if live and console.is_terminal:
        with StageDisplay(console, stages):
            yield console
    else:
        yield console
