"""The ``pressroom`` command line."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from pressroom.settings import (
    BoilerplateSettings,
    DedupSettings,
    ExtractSettings,
    FetchSettings,
    IngestSettings,
    ReadSettings,
)

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# The ephemeral API server can take longer than Prefect's 20 s to start on a busy small machine.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

app = typer.Typer(
    help="pressroom: scraped press releases in, clean deduplicated Parquet out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def ingest(
    sources: Annotated[
        list[str] | None,
        typer.Argument(
            help="Local files or folders (.html/.htm/.txt/.warc, optionally .gz), page URLs, "
            "urls:FILE (one URL per line), feed:URL (RSS/Atom), sitemap:URL (sitemap or index).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output folder of the dataset.", file_okay=False)
    ] = Path("out"),
    sources_file: Annotated[
        Path | None,
        typer.Option("--sources", help="YAML file listing sources.", exists=True, dir_okay=False),
    ] = None,
    include: Annotated[
        list[str] | None, typer.Option(help="Fetch only URLs matching this regex (repeatable).")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Skip URLs matching this regex (repeatable).")
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Skip feed and sitemap entries dated earlier."),
    ] = None,
    allow_private: Annotated[
        bool, typer.Option(help="Allow fetching from private and loopback addresses.")
    ] = FetchSettings.allow_private,
    per_host_concurrency: Annotated[
        int, typer.Option(min=1, help="Requests in flight to one host at once.")
    ] = FetchSettings.per_host_concurrency,
    per_host_delay: Annotated[
        float, typer.Option(min=0.0, help="Seconds between request starts to one host.")
    ] = FetchSettings.per_host_delay_s,
    fetch_retries: Annotated[
        int, typer.Option(min=0, help="Retries after a timeout, connection error, 429 or 5xx.")
    ] = FetchSettings.retries,
    respect_robots: Annotated[
        bool, typer.Option("--robots/--ignore-robots", help="Honour robots.txt.")
    ] = FetchSettings.respect_robots,
    batch_size: Annotated[
        int | None,
        typer.Option(min=1, help="Input files per extraction task (default: sized to the input)."),
    ] = IngestSettings.batch_size,
    chunk_size: Annotated[
        int,
        typer.Option(
            min=1, help="Input files taken through every stage and written together (memory)."
        ),
    ] = IngestSettings.chunk_size,
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
    wait_for_lock: Annotated[
        float, typer.Option(min=0, help="Seconds to wait for another run writing --out.")
    ] = IngestSettings.lock_wait_s,
    dask_address: Annotated[
        str | None,
        typer.Option(
            help="Extract on the Dask cluster whose scheduler is at this address "
            "(tcp://HOST:8786); see the README.",
            show_default=False,
        ),
    ] = None,
    progress_bar: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress display.")
    ] = True,
) -> None:
    """Ingest pages into a deduplicated Parquet dataset (a Prefect flow, ephemeral local mode)."""
    sources = sources or []
    if not sources and not sources_file:
        raise typer.BadParameter("give at least one source, or --sources FILE")
    _check_sources(sources)
    from flows.ingest import run_ingest

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        message = f"cannot create {out}: {error.strerror}"
        raise typer.BadParameter(message, param_hint="--out") from error
    parameters = dict(
        sources_file=str(sources_file) if sources_file else None,
        include=include or [],
        exclude=exclude or [],
        since=since.date() if since else None,
        allow_private=allow_private,
        per_host_concurrency=per_host_concurrency,
        per_host_delay_s=per_host_delay,
        fetch_retries=fetch_retries,
        respect_robots=respect_robots,
        batch_size=batch_size,
        chunk_size=chunk_size,
        workers=workers,
        extract_timeout_s=extract_timeout,
        max_bytes=max_bytes,
        dedup_threshold=threshold,
        shingle_size=shingle_size,
        num_perm=num_perm,
        boilerplate_min_docs=boilerplate_min_docs,
        lock_wait_s=wait_for_lock,
        dask_address=dask_address,
    )
    from dataset.lock import DatasetLocked
    from pressroom.sandbox import SandboxStartError

    try:
        with _progress_display(enabled=progress_bar):
            manifest = run_ingest(sources, str(out), **parameters)
    except DatasetLocked as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(3) from error
    except SandboxStartError as error:  # a broken installation, or daemonic Dask workers
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    counts, fetch = manifest["counts"], manifest["fetch"]
    fetched = (
        f"{fetch['pages_archived']} pages fetched ({fetch['not_modified']} not modified), "
        if counts["web_sources"]
        else ""
    )
    known = f"{counts['known']} already in the dataset, " if counts["known"] else ""
    typer.echo(
        f"run {manifest['run_id']}: {fetched}{known}{counts['extracted']} extracted, "
        f"{counts['written']} written, {counts['quarantined']} quarantined, "
        f"{counts['exact_duplicates']} exact and {counts['near_duplicates']} near duplicates, "
        f"{counts['spun']} spun -> {out}"
    )


def _check_sources(sources: list[str]) -> None:
    """Refuse malformed web sources and local paths that do not exist, before any work."""
    from sources.web import parse_source

    for source in sources:
        try:
            specs = parse_source(source)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="SOURCES") from error
        for spec in specs:
            if spec.kind == "local" and not Path(spec.location).exists():
                raise typer.BadParameter(f"{source!r} does not exist", param_hint="SOURCES")


PageFile = Annotated[
    Path,
    typer.Argument(help="One .html/.htm/.txt file (optionally .gz).", exists=True, dir_okay=False),
]


@app.command()
def extract(
    file: PageFile,
) -> None:
    """Print one document's extraction (metadata and repaired text) as JSON."""
    doc = _one_document(file)
    hidden = {"cluster_id", "is_canonical", "duplicate_of", "dup_kind", "similarity", "run_id"}
    hidden |= {"ingested_at", "schema_version"}
    fields = {k: v for k, v in asdict(doc).items() if k not in hidden}
    json.dump(fields, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


@app.command()
def repair(
    file: PageFile,
) -> None:
    """Print one document's repaired text, then its spin score, edits and flagged spans."""
    doc = _one_document(file)
    typer.echo(doc.text)
    typer.echo(f"\n--- spin_score {doc.spin_score:.3f}, is_spun {doc.is_spun}")
    typer.echo(f"--- {len(doc.repairs)} edits (offsets in the text above)")
    for edit in doc.repairs:
        typer.echo(
            f"{edit.start:>6}-{edit.end:<6} {edit.method:<9} {edit.confidence:.2f}  "
            f"{edit.before!r} -> {edit.after!r}"
        )
    if doc.spin_flags:
        typer.echo(f"--- {len(doc.spin_flags)} flagged spans, left as they are")
        for flag in doc.spin_flags:
            typer.echo(f"{flag.start:>6}-{flag.end:<6} {flag.span!r}: {flag.reason}")


Dataset = Annotated[
    Path, typer.Argument(help="The dataset folder (OUT).", exists=True, file_okay=False)
]


@app.command()
def export(
    out: Dataset,
    to: Annotated[Path, typer.Option("--to", help="Parquet file to write.", dir_okay=False)],
    canonical: Annotated[
        bool, typer.Option("--canonical", help="One row per cluster: its current canonical.")
    ] = False,
) -> None:
    """Export the dataset as one Parquet file: every document once, or (--canonical) the
    canonicals, with later canonical changes applied."""
    from dataset.maintenance import canonical_documents, read_table
    from dataset.writer import write_table_atomic

    table = canonical_documents(out) if canonical else read_table(out, "documents")
    write_table_atomic(table, to)
    typer.echo(f"{table.num_rows} documents -> {to}")


@app.command()
def compact(
    out: Dataset,
    wait: Annotated[
        float, typer.Option(min=0, help="Seconds to wait for a run writing the dataset.")
    ] = IngestSettings.lock_wait_s,
) -> None:
    """Merge each partition's small Parquet files into one (holds the dataset's lock)."""
    from dataset.maintenance import compact as compact_dataset

    removed = compact_dataset(out, wait)
    typer.echo(", ".join(f"{table}: {n} files merged" for table, n in removed.items()))


lexicon_app = typer.Typer(help="The spinner lexicon (repair/data/spin_lexicon.tsv).")
app.add_typer(lexicon_app, name="lexicon")


@lexicon_app.command("check")
def lexicon_check(
    lexicon: Annotated[
        Path | None, typer.Option(help="Lexicon file (default: the bundled one).", dir_okay=False)
    ] = None,
    clean: Annotated[
        list[Path] | None,
        typer.Option(
            help="Files or folders of clean text; signatures found there are reported.",
            exists=True,
        ),
    ] = None,
) -> None:
    """Check the lexicon: kinds, duplicates, inflections, and signatures seen in clean text."""
    from repair.lexicon import LEXICON_PATH, Lexicon, check_entries, read_entries

    entries = read_entries(lexicon or LEXICON_PATH)
    problems = check_entries(entries)
    if clean:
        from sources import iter_input_files
        from sources.encoding import decode

        matcher = Lexicon(entries)
        for path in iter_input_files([str(p) for p in clean]):
            text, _ = decode(Path(path).read_bytes(), None)
            for match in matcher.find(text):
                if match.entry.kind == "signature":
                    problems.append(
                        f"line {match.entry.line} ({match.entry.spun!r}): "
                        f"found in clean text {path}: {match.spun!r}"
                    )
    forms = sum(len(list(entry.forms())) for entry in entries)
    typer.echo(f"{len(entries)} entries ({forms} forms with inflections), {len(problems)} problems")
    for problem in problems:
        typer.echo(problem)
    if problems:
        raise typer.Exit(1)


def _one_document(file: Path):
    """Read, extract and repair one page, or exit with the reason it cannot be done."""
    from pressroom.pipeline import repair_document
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
        return repair_document(process_document(item))
    except StageError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


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
