"""The ``pressroom`` command line."""

from __future__ import annotations

import gc
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

from pressroom.settings import IngestSettings, ReadSettings, setting_paths, settings_with

if TYPE_CHECKING:
    from pressroom.cli.local_api import TemporaryServer

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")  # Prefect's client telemetry and its first-run notice
# The ephemeral API server can take longer than Prefect's 20 s to start on a busy small machine.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 1, 2, 3
EXIT_CODES = (
    "Exit status: 0 done; 1 the run failed (no document produced from the inputs given, or an "
    "error such as a full disk); 2 a usage or argument error (nothing was done); 3 the dataset "
    "is locked by another run (ingest --wait-for-lock, compact --wait)."
)

app = typer.Typer(
    help="pressroom: scraped press releases in, clean deduplicated Parquet out.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _show_version(show: bool) -> None:
    if show:
        from pressroom import __version__

        typer.echo(f"pressroom {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """pressroom: scraped press releases in, clean deduplicated Parquet out."""


def _fail(code: int, message: str) -> typer.Exit:
    """Print ``error: message`` (one line, on stderr) and return the exit to raise."""
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    return typer.Exit(code)


SETTING_OPTIONS = {
    "allow_private": "fetch.allow_private",
    "per_host_concurrency": "fetch.per_host_concurrency",
    "per_host_delay": "fetch.per_host_delay_s",
    "fetch_retries": "fetch.retries",
    "respect_robots": "fetch.respect_robots",
    "batch_size": "batch_size",
    "chunk_size": "chunk_size",
    "workers": "workers",
    "extract_timeout": "extract.timeout_s",
    "max_bytes": "read.max_bytes",
    "threshold": "dedup.threshold",
    "shingle_size": "dedup.shingle_size",
    "num_perm": "dedup.num_perm",
    "boilerplate_min_docs": "boilerplate.min_docs",
    "wait_for_lock": "lock_wait_s",
}
"""``pressroom ingest``'s options for settings (by parameter name) and the ``IngestSettings``
path each sets; ``--set PATH=VALUE`` reaches every setting."""


def _default(path: str) -> str:
    """The default of the setting at ``path`` (such as ``"dedup.threshold"``), for --help."""
    value: object = IngestSettings()
    for name in path.split("."):
        value = getattr(value, name)
    return str(value)


def _settings(params: dict[str, object], assignments: list[str]) -> IngestSettings:
    """The run's settings: the options of ``SETTING_OPTIONS`` given in ``params``, then each
    ``--set`` assignment; exit with a usage error for an unknown setting or a bad value."""
    values = {
        path: params[name] for name, path in SETTING_OPTIONS.items() if params[name] is not None
    }
    values.update(_assignment(text) for text in assignments)
    try:
        return settings_with(values)
    except KeyError as error:
        sections = ", ".join(sorted({path.split(".")[0] for path in setting_paths()}))
        raise _fail(
            EXIT_USAGE, f"--set {error.args[0]}: no such setting (the settings: {sections})"
        ) from None
    except ValidationError as error:
        problem = error.errors()[0]
        path = ".".join(str(part) for part in problem["loc"])
        raise _fail(
            EXIT_USAGE, f"invalid setting {path}={problem['input']!r}: {problem['msg']}"
        ) from None


def _assignment(text: str) -> tuple[str, object]:
    """``SECTION.FIELD=VALUE`` as its path and value (JSON, else the string itself)."""
    path, equals, value = text.partition("=")
    if not equals or not path:
        raise _fail(EXIT_USAGE, f"--set {text}: expected SECTION.FIELD=VALUE")
    try:
        return path.strip(), json.loads(value)
    except json.JSONDecodeError:
        return path.strip(), value


StorageOptions = Annotated[
    list[str] | None,
    typer.Option(
        "--storage-option",
        metavar="KEY=VALUE",
        help="An option to reach an object store, such as AWS_ENDPOINT_URL=http://127.0.0.1:9000 "
        "(repeatable; delta-rs's names; AWS_* environment variables are used too).",
        show_default=False,
    ),
]


def _storage_options(assignments: list[str] | None) -> dict[str, str]:
    """``KEY=VALUE`` options as a dict; exit with a usage error for one without ``=``."""
    options = {}
    for text in assignments or []:
        key, equals, value = text.partition("=")
        if not equals or not key:
            raise _fail(EXIT_USAGE, f"--storage-option {text}: expected KEY=VALUE")
        options[key.strip()] = value
    return options


@app.command(epilog=EXIT_CODES)
def ingest(
    ctx: typer.Context,
    sources: Annotated[
        list[str] | None,
        typer.Argument(
            help="Local files or folders (.html/.htm/.txt/.warc, optionally .gz), page URLs, "
            "urls:FILE (one URL per line), feed:URL (RSS/Atom), sitemap:URL (sitemap or index).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        str,
        typer.Option(
            "--out",
            "-o",
            help="The dataset: a local folder, or an object-store URI such as s3://bucket/prefix.",
        ),
    ] = "out",
    storage_options: StorageOptions = None,
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
        bool | None,
        typer.Option(
            help="Allow fetching from private and loopback addresses.",
            show_default=_default("fetch.allow_private"),
        ),
    ] = None,
    per_host_concurrency: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Requests in flight to one host at once.",
            show_default=_default("fetch.per_host_concurrency"),
        ),
    ] = None,
    per_host_delay: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            help="Seconds between request starts to one host.",
            show_default=_default("fetch.per_host_delay_s"),
        ),
    ] = None,
    fetch_retries: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Retries after a timeout, connection error, 429 or 5xx.",
            show_default=_default("fetch.retries"),
        ),
    ] = None,
    respect_robots: Annotated[
        bool | None,
        typer.Option(
            "--robots/--ignore-robots",
            help="Honour robots.txt.",
            show_default=_default("fetch.respect_robots"),
        ),
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Input files per extraction task.",
            show_default="sized to the input",
        ),
    ] = None,
    chunk_size: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Input files or fetched pages taken through every stage and written together "
            "(memory).",
            show_default=_default("chunk_size"),
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Extraction and repair processes working at once.",
            show_default=_default("workers"),
        ),
    ] = None,
    extract_timeout: Annotated[
        float | None,
        typer.Option(
            min=0.1,
            help="Seconds allowed to extract one document.",
            show_default=_default("extract.timeout_s"),
        ),
    ] = None,
    max_bytes: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Larger pages, read or fetched, are quarantined.",
            show_default=_default("read.max_bytes"),
        ),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Near-duplicate Jaccard threshold.",
            show_default=_default("dedup.threshold"),
        ),
    ] = None,
    shingle_size: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Words per shingle for near-duplicate detection.",
            show_default=_default("dedup.shingle_size"),
        ),
    ] = None,
    num_perm: Annotated[
        int | None,
        typer.Option(min=16, help="MinHash permutations.", show_default=_default("dedup.num_perm")),
    ] = None,
    boilerplate_min_docs: Annotated[
        int | None,
        typer.Option(
            min=2,
            help="Documents of one site a line must recur in to count as boilerplate.",
            show_default=_default("boilerplate.min_docs"),
        ),
    ] = None,
    wait_for_lock: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Seconds to wait for another run writing --out.",
            show_default=_default("lock_wait_s"),
        ),
    ] = None,
    assignments: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="SECTION.FIELD=VALUE",
            help="Set any setting, such as spin.context_words=0 (VALUE read as JSON, else as a "
            "string; repeatable; applied after the options above). The settings: "
            "docs/defaults.md, pressroom/settings.py.",
            show_default=False,
        ),
    ] = None,
    dask_address: Annotated[
        str | None,
        typer.Option(
            help="Extract on the Dask cluster whose scheduler is at this address "
            "(tcp://HOST:8786); see the README.",
            show_default=False,
        ),
    ] = None,
    progress_bar: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a live row per stage.")
    ] = True,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Also show Prefect's INFO logs, and tracebacks of failures."
        ),
    ] = False,
) -> None:
    """Ingest pages into a deduplicated Parquet dataset (a Prefect flow, ephemeral local mode)."""
    sources = sources or []
    if not sources and not sources_file:
        raise typer.BadParameter("give at least one source, or --sources FILE")
    urls_given = _check_sources(sources)
    web = urls_given or sources_file is not None
    options = _storage_options(storage_options)
    local = "://" not in out or out.startswith("file://")
    if local:
        _check_out(Path(out.removeprefix("file://")))
    elif urls_given:
        raise _fail(
            EXIT_USAGE,
            f"web sources need a local dataset to keep the fetched pages in; {out} is in an "
            "object store: fetch into a local dataset, or give local files",
        )
    settings = _settings(ctx.params, assignments or [])
    parameters = dict(
        settings=settings,
        storage_options=options or None,
        sources_file=str(sources_file) if sources_file else None,
        include=include or [],
        exclude=exclude or [],
        since=since.date() if since else None,
        dask_address=dask_address,
    )
    from pressroom.cli.local_api import temporary_server

    # it starts while the flow module is imported; not for a Dask run, whose workers get the
    # run's settings and could not reach this machine's 127.0.0.1 (see the README)
    with temporary_server(enabled=not dask_address) as server:
        from pressroom.dataset.lock import DatasetLocked, dataset_lock

        try:
            # taken here, before Prefect starts, so that --wait-for-lock is kept to the second;
            # the flow, run in this thread, finds it held (an object store has no lock file)
            lock = (
                dataset_lock(
                    Path(out.removeprefix("file://")), "pressroom ingest", settings.lock_wait_s
                )
                if local
                else nullcontext()
            )
            with lock:
                manifest, failure = _run(
                    sources, out, parameters, web, progress_bar, verbose, server
                )
        except DatasetLocked as error:
            raise _fail(EXIT_LOCKED, str(error)) from None
    from pressroom.report import summary_lines

    for line in summary_lines(manifest):
        typer.echo(line)
    gc.freeze()  # the run is over: the interpreter's exit need not walk its objects (seconds)
    if failure:
        raise _fail(EXIT_FAILED, failure)


def _run(
    sources: list[str],
    out: str,
    parameters: dict,
    web: bool,
    live: bool,
    verbose: bool,
    server: TemporaryServer | None,
) -> tuple[dict, str | None]:
    """Run the ingest flow with the terminal display (on ``server``, or the Prefect server that
    PREFECT_API_URL names); return its manifest and, for a run that produced no document, why.
    Expected failures exit with one line."""
    from pressroom.stages.sandboxes import start_server

    start_server()  # the sandboxes' fork server, in the background like the Prefect server
    from deltalake.exceptions import CommitFailedError

    from pressroom.cli.local_api import LocalAPIError, connected
    from pressroom.cli.terminal import run_display, send_logs_to
    from pressroom.dataset import DatasetDamaged, NeedsLocalDataset
    from pressroom.execution.progress import STAGES
    from pressroom.execution.sandbox import SandboxStartError
    from pressroom.report import NoDocumentProduced

    stages = STAGES if web else STAGES[1:]
    try:
        with run_display(stages, live=live) as console:
            from pressroom.flows.ingest import (
                run_ingest,  # imports Prefect, which sets up its logging
            )

            send_logs_to(console, verbose)
            with connected(server):
                return run_ingest(sources, out, **parameters), None
    except NoDocumentProduced as error:
        return error.manifest, str(error)
    except DatasetDamaged as error:
        raise _fail(EXIT_FAILED, str(error)) from None
    except NeedsLocalDataset as error:
        raise _fail(EXIT_USAGE, str(error)) from None
    except CommitFailedError as error:
        raise _fail(
            EXIT_FAILED, f"another writer kept committing to {out} at the same time ({error})"
        ) from None
    except SandboxStartError as error:  # a broken installation, or daemonic Dask workers
        raise _fail(EXIT_FAILED, str(error)) from None
    except LocalAPIError as error:
        raise _fail(EXIT_FAILED, str(error)) from None
    except OSError as error:  # a full disk, a permission or a read-only folder
        if verbose:
            raise
        raise _fail(EXIT_FAILED, _os_error(error, out)) from None


def _os_error(error: OSError, where: Path | str) -> str:
    """One line for an operating system error: what failed, on which file (else ``where``)."""
    return f"{error.strerror or error}: {error.filename or where}"


def _check_sources(sources: list[str]) -> bool:
    """Refuse malformed web sources and local paths that do not exist, before any work; return
    whether any source is on the web."""
    from pressroom.web.specs import parse_source

    web = False
    for source in sources:
        try:
            specs = parse_source(source)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="SOURCES") from error
        for spec in specs:
            web |= spec.kind != "local"
            if spec.kind == "local" and not Path(spec.location).exists():
                raise _fail(EXIT_USAGE, f"input path does not exist: {source}")
    return web


def _check_out(out: Path) -> None:
    """Exit with an argument error unless ``out`` is a folder this process can write in (made
    if missing)."""
    if out.exists() and not out.is_dir():
        raise _fail(EXIT_USAGE, f"--out {out} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out, prefix=".pressroom-write-test-"):
            pass
    except OSError as error:
        raise _fail(EXIT_USAGE, f"--out {out} is not writable: {error.strerror}") from None


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


REPAIR_METADATA = (
    "doc_id",
    "source_uri",
    "url",
    "title",
    "issuer",
    "release_status",
    "published_at",
    "author",
    "site",
    "language",
    "encoding",
    "extractor",
)
"""The document fields ``pressroom repair --json`` gives under ``metadata``."""
HEADER_FIELDS = ("title", "issuer", "release_status", "published_at")


@app.command()
def repair(
    file: PageFile,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="One JSON object: text, metadata, spin_score, is_spun, edits and flags.",
        ),
    ] = False,
) -> None:
    """Print one document's repaired title, header and text, then its spin score, edits and
    flagged spans (each located in the field it names)."""
    doc = _one_document(file)
    if as_json:
        report = {
            "text": doc.text,
            "metadata": {name: getattr(doc, name) for name in REPAIR_METADATA},
            "spin_score": doc.spin_score,
            "is_spun": doc.is_spun,
            "edits": [{"field": edit.field, **asdict(edit)} for edit in doc.repairs],
            "flags": [{"field": flag.field, **asdict(flag)} for flag in doc.spin_flags],
        }
        json.dump(report, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
        return
    header = [f"{name}: {value}" for name in HEADER_FIELDS if (value := getattr(doc, name))]
    if header:
        typer.echo("\n".join(header) + "\n")
    typer.echo(doc.text)
    typer.echo(f"\n--- spin_score {doc.spin_score:.3f}, is_spun {doc.is_spun}")
    typer.echo(f"--- {len(doc.repairs)} edits (offsets in the field named)")
    for edit in doc.repairs:
        typer.echo(
            f"{edit.field:<14} {edit.start:>6}-{edit.end:<6} {edit.method:<9} "
            f"{edit.confidence:.2f}  {edit.before!r} -> {edit.after!r}"
        )
    if doc.spin_flags:
        typer.echo(f"--- {len(doc.spin_flags)} flagged spans, left as they are")
        for flag in doc.spin_flags:
            typer.echo(
                f"{flag.field:<14} {flag.start:>6}-{flag.end:<6} {flag.span!r}: {flag.reason}"
            )


DatasetArgument = Annotated[
    str,
    typer.Argument(
        help="The dataset (OUT): a local folder or an object-store URI.", show_default=False
    ),
]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Read the dataset as it was at this version (a number, see `pressroom history`) "
        "or time (ISO 8601, such as 2026-12-01T12:00:00Z).",
        show_default=False,
    ),
]


@app.command(epilog=EXIT_CODES)
def export(
    out: DatasetArgument,
    to: Annotated[Path, typer.Option("--to", help="Parquet file to write.", dir_okay=False)],
    canonical: Annotated[
        bool, typer.Option("--canonical", help="One row per cluster: its current canonical.")
    ] = False,
    as_of: AsOf = None,
    storage_options: StorageOptions = None,
) -> None:
    """Export the dataset as one plain Parquet file (for readers without Delta Lake): every
    document, or (--canonical) each cluster's canonical; --as-of pins a version."""
    from pressroom.dataset.files import write_table_atomic
    from pressroom.dataset.maintenance import canonical_documents, read_table

    dataset = _open_dataset(out, storage_options)
    version = _version(as_of)
    with _dataset_errors(out):
        if canonical:
            table = canonical_documents(dataset, version)
        else:
            table = read_table(dataset, "documents", version)
        write_table_atomic(table, to)
    typer.echo(f"{table.num_rows} documents -> {to}")


@app.command(epilog=EXIT_CODES)
def compact(
    out: DatasetArgument,
    z_order: Annotated[
        list[str] | None,
        typer.Option(
            "--z-order",
            help="Cluster the rows by these columns (repeatable), such as site and published_at.",
            show_default=False,
        ),
    ] = None,
    wait: Annotated[
        float, typer.Option(min=0, help="Seconds to wait for a run writing the dataset.")
    ] = IngestSettings().lock_wait_s,
    storage_options: StorageOptions = None,
) -> None:
    """Rewrite small files into large ones (Delta optimize), one commit per table: readers keep
    the version they opened, and the replaced files stay until `pressroom vacuum`."""
    from pressroom.dataset.maintenance import compact as compact_dataset

    dataset = _open_dataset(out, storage_options)
    with _dataset_errors(out), dataset.lock("pressroom compact", wait):
        done = compact_dataset(dataset, z_order)
    typer.echo(
        ", ".join(f"{name}: {c.removed} files into {c.added}" for name, c in done.items())
        or "nothing to compact"
    )


@app.command(epilog=EXIT_CODES)
def vacuum(
    out: DatasetArgument,
    retention_hours: Annotated[
        int,
        typer.Option(
            min=0,
            help="Keep the files of every version from this many hours back (a reader of an "
            "older version would fail); under the default of 168 only with --force.",
        ),
    ] = 168,
    force: Annotated[bool, typer.Option(help="Allow a retention under 168 hours.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Only list what would be deleted.")] = False,
    storage_options: StorageOptions = None,
) -> None:
    """Delete the data files that no version within the retention needs (replaced by
    compaction or updates, or left by a killed write)."""
    from pressroom.dataset.maintenance import DEFAULT_RETENTION_HOURS
    from pressroom.dataset.maintenance import vacuum as vacuum_dataset

    if retention_hours < DEFAULT_RETENTION_HOURS and not force:
        raise _fail(
            EXIT_USAGE,
            f"--retention-hours {retention_hours} is under {DEFAULT_RETENTION_HOURS}: readers "
            "of older versions would fail; add --force if none can be running",
        )
    dataset = _open_dataset(out, storage_options)
    with _dataset_errors(out):
        deleted = vacuum_dataset(dataset, retention_hours, dry_run)
    verb = "would delete" if dry_run else "deleted"
    typer.echo(", ".join(f"{name}: {verb} {len(files)} files" for name, files in deleted.items()))


@app.command(epilog=EXIT_CODES)
def history(
    out: DatasetArgument,
    limit: Annotated[int, typer.Option(min=1, help="Newest versions to list.")] = 20,
    storage_options: StorageOptions = None,
) -> None:
    """List the documents table's versions: number, time, operation and run."""
    from pressroom.dataset.maintenance import history as dataset_history

    dataset = _open_dataset(out, storage_options)
    with _dataset_errors(out):
        for entry in dataset_history(dataset, limit):
            run = f"  run {entry['run_id']}" if entry["run_id"] else ""
            typer.echo(f"{entry['version']:>6}  {entry['time']}  {entry['operation']}{run}")


@app.command(epilog=EXIT_CODES)
def restore(
    out: DatasetArgument,
    version: Annotated[
        str, typer.Option(help="The version (number or ISO 8601 time) to return to.")
    ],
    wait: Annotated[
        float, typer.Option(min=0, help="Seconds to wait for a run writing the dataset.")
    ] = IngestSettings().lock_wait_s,
    storage_options: StorageOptions = None,
) -> None:
    """Return the dataset to an earlier version, as a new commit (the later versions stay in
    the history until vacuumed)."""
    from pressroom.dataset.maintenance import restore as restore_dataset

    dataset = _open_dataset(out, storage_options)
    with _dataset_errors(out), dataset.lock("pressroom restore", wait):
        new = restore_dataset(dataset, _version(version))
    typer.echo(f"restored the documents table to version {version} (now version {new})")


@app.command(epilog=EXIT_CODES)
def check(
    out: DatasetArgument,
    drop_damaged: Annotated[
        bool,
        typer.Option(
            help="Move each damaged data file to OUT/damaged/ and remove it from its table (its "
            "rows are lost from the current version; earlier versions keep them)."
        ),
    ] = False,
    storage_options: StorageOptions = None,
) -> None:
    """Open every table and read every data file whole; exit 1 if any cannot be read."""
    from pressroom.dataset.maintenance import check as check_dataset

    dataset = _open_dataset(out, storage_options)
    with (
        dataset.lock("pressroom check", IngestSettings().lock_wait_s)
        if drop_damaged
        else nullcontext()
    ):
        report = check_dataset(dataset, drop_damaged)
    for problem in report.problems:
        typer.echo(f"error: {problem}", err=True)
    for name, damaged in report.damaged.items():
        dropped = set(report.dropped.get(name, []))
        for path, message in damaged:
            typer.echo(
                f"dropped {name}/{path}" if path in dropped else f"error: {message}", err=True
            )
    if report.clean:
        typer.echo(f"{out}: every table reads whole")
    elif not report.problems and all(
        len(report.dropped.get(name, [])) == len(damaged)
        for name, damaged in report.damaged.items()
    ):
        typer.echo(f"{out}: damaged files dropped; the tables now read whole")
    else:
        raise typer.Exit(EXIT_FAILED)


@app.command(epilog=EXIT_CODES)
def migrate(
    out: DatasetArgument,
    wait: Annotated[
        float, typer.Option(min=0, help="Seconds to wait for a run writing the dataset.")
    ] = IngestSettings().lock_wait_s,
) -> None:
    """Convert a dataset of the earlier plain-Parquet layout (pressroom before schema 1.7) into
    Delta tables; the old files are kept in OUT/legacy-parquet/ (delete it once checked). Run
    it again to finish a migration that stopped."""
    from pressroom.dataset import Dataset
    from pressroom.dataset.migrate import MigrationFailed, MigrationRefused
    from pressroom.dataset.migrate import migrate as migrate_dataset

    dataset = Dataset(out)
    try:
        with _dataset_errors(out), dataset.lock("pressroom migrate", wait):
            report = migrate_dataset(dataset)
    except MigrationRefused as error:
        raise _fail(EXIT_USAGE, str(error)) from None
    except MigrationFailed as error:
        raise _fail(EXIT_FAILED, str(error)) from None
    typer.echo(report.summary())


def _open_dataset(out: str, storage_options: list[str] | None):
    """The dataset at ``out``; exit with a usage error if no run has written there."""
    from pressroom.dataset import Dataset
    from pressroom.dataset.maintenance import NotADataset, require_dataset

    dataset = Dataset(out, _storage_options(storage_options))
    try:
        require_dataset(dataset)
    except NotADataset as error:
        raise _fail(EXIT_USAGE, str(error)) from None
    return dataset


@contextmanager
def _dataset_errors(out: str) -> Iterator[None]:
    """Exit with one line for a damaged dataset, a lock held too long or a system error."""
    from pressroom.dataset import DatasetDamaged
    from pressroom.dataset.lock import DatasetLocked

    try:
        yield
    except DatasetLocked as error:
        raise _fail(EXIT_LOCKED, str(error)) from None
    except DatasetDamaged as error:
        raise _fail(EXIT_FAILED, str(error)) from None
    except OSError as error:
        raise _fail(EXIT_FAILED, _os_error(error, out)) from None


def _version(text: str | None) -> int | str | None:
    """A version option: a number, or a time as given."""
    if text is None:
        return None
    return int(text) if text.isdigit() else text


lexicon_app = typer.Typer(help="The spinner lexicon (pressroom/repair/data/spin_lexicon.tsv).")
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
    from pressroom.repair.lexicon import LEXICON_PATH, Lexicon, check_entries, read_entries

    entries = read_entries(lexicon or LEXICON_PATH)
    problems = check_entries(entries)
    if clean:
        from pressroom.sources import iter_input_files
        from pressroom.sources.encoding import decode

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
    """Read, extract and repair one page (the pipeline's stages up to repair, in this process),
    or exit with the reason it cannot be done."""
    from pressroom.pipeline import build_stages, run_chunk
    from pressroom.schemas import QuarantineRecord
    from pressroom.sources import read_file
    from pressroom.stages.extract import Extract

    items = list(read_file(file, ReadSettings().max_bytes))
    if len(items) != 1:
        raise typer.BadParameter("expected a single page; use `pressroom ingest` for WARC files")
    (item,) = items
    if not isinstance(item, QuarantineRecord):
        extract = Extract()
        try:
            doc = extract.process(item)
        except Exception as error:  # the reason, as an ingest run would quarantine it
            item = extract.quarantine(item, error)
        else:
            stages = build_stages()
            until_repair = stages[: [s.name for s in stages].index("repair") + 1]
            result = run_chunk([doc], until_repair)
            item = result.failures[0] if result.failures else result.docs[0]
    if isinstance(item, QuarantineRecord):
        typer.echo(f"error: {item.stage}: {item.error}", err=True)
        raise typer.Exit(1)
    return item
