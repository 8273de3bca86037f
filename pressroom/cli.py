"""The ``pressroom`` command line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from pressroom.settings import (
    BoilerplateSettings,
    DedupSettings,
    ExtractSettings,
    IngestSettings,
    ReadSettings,
)

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

app = typer.Typer(
    help="pressroom: scraped press releases in, clean deduplicated Parquet out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Files or folders (searched recursively): .html/.htm/.txt/.warc, optionally .gz.",
            exists=True,
            show_default=False,
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output folder of the dataset.", file_okay=False)
    ] = Path("out"),
    batch_size: Annotated[
        int | None,
        typer.Option(min=1, help="Input files per extraction task (default: sized to the input)."),
    ] = IngestSettings.batch_size,
    workers: Annotated[
        int, typer.Option(min=1, help="Extraction processes working at once.")
    ] = IngestSettings.workers,
    extract_timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds allowed to extract one document.")
    ] = ExtractSettings.timeout_s,
    max_bytes: Annotated[
        int, typer.Option(min=1, help="Larger pages are quarantined.")
    ] = ReadSettings.max_bytes,
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Near-duplicate Jaccard threshold.")
    ] = DedupSettings.threshold,
    shingle_size: Annotated[
        int, typer.Option(min=1, help="Words per shingle for near-duplicate detection.")
    ] = DedupSettings.shingle_size,
    num_perm: Annotated[
        int, typer.Option(min=16, help="MinHash permutations.")
    ] = DedupSettings.num_perm,
    boilerplate_min_docs: Annotated[
        int,
        typer.Option(
            min=2, help="Documents of one site a line must recur in to count as boilerplate."
        ),
    ] = BoilerplateSettings.min_docs,
    progress_bar: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress display.")
    ] = True,
) -> None:
    """Ingest pages into a deduplicated Parquet dataset (a Prefect flow, ephemeral local mode)."""
    from flows.ingest import run_ingest

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        message = f"cannot create {out}: {error.strerror}"
        raise typer.BadParameter(message, param_hint="--out") from error
    parameters = dict(
        batch_size=batch_size,
        workers=workers,
        extract_timeout_s=extract_timeout,
        max_bytes=max_bytes,
        dedup_threshold=threshold,
        shingle_size=shingle_size,
        num_perm=num_perm,
        boilerplate_min_docs=boilerplate_min_docs,
    )
    with _progress_display(enabled=progress_bar):
        manifest = run_ingest([str(p) for p in paths], str(out), **parameters)
    counts = manifest["counts"]
    typer.echo(
        f"run {manifest['run_id']}: {counts['extracted']} extracted, {counts['written']} written, "
        f"{counts['quarantined']} quarantined, {counts['exact_duplicates']} exact and "
        f"{counts['near_duplicates']} near duplicates -> {out}"
    )


@app.command()
def extract(
    file: Annotated[
        Path,
        typer.Argument(
            help="One .html/.htm/.txt file (optionally .gz).", exists=True, dir_okay=False
        ),
    ],
) -> None:
    """Print one document's extraction (metadata and clean text) as JSON."""
    from pressroom.process import process_document
    from schemas import QuarantineRecord, StageError
    from sources import read_file

    items = list(read_file(file, ReadSettings().max_bytes))
    if len(items) != 1:
        raise typer.BadParameter("expected a single page; use `pressroom ingest` for WARC files")
    item = items[0]
    if isinstance(item, QuarantineRecord):
        typer.echo(f"error: {item.stage}: {item.error}", err=True)
        raise typer.Exit(1)
    try:
        doc = process_document(item)
    except StageError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    fields = {
        k: v
        for k, v in vars(doc).items()
        if k
        not in (
            "cluster_id",
            "is_canonical",
            "duplicate_of",
            "dup_kind",
            "similarity",
            "run_id",
            "ingested_at",
            "schema_version",
        )
    }
    json.dump(fields, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


class _progress_display:
    """A rich progress bar fed by ``pressroom.progress`` while the flow runs."""

    def __init__(self, enabled: bool):
        self._enabled = enabled and sys.stderr.isatty()

    def __enter__(self):
        if not self._enabled:
            return self
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        from pressroom import progress

        self._bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=False,
        )
        self._tasks: dict[str, int] = {}
        self._bar.start()

        def listener(stage: str, done: int, total: int | None) -> None:
            if stage not in self._tasks:
                self._tasks[stage] = self._bar.add_task(stage, total=total)
            elif total is not None:
                self._bar.update(self._tasks[stage], total=total)
            self._bar.advance(self._tasks[stage], done)

        progress.set_listener(listener)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._enabled:
            from pressroom import progress

            progress.set_listener(None)
            self._bar.stop()
