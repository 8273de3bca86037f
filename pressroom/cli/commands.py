"""The ``pressroom`` command line."""

from __future__ import annotations

import json
import os
import sys
import tempfile
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
    typer.echo(f"error: {message}", err=True)
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
    web = _check_sources(sources) or sources_file is not None
    _check_out(out)
    settings = _settings(ctx.params, assignments or [])
    parameters = dict(
        settings=settings,
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
            # the flow, run in this thread, finds it held
            with dataset_lock(out, "pressroom ingest", settings.lock_wait_s):
                manifest, failure = _run(
                    sources, out, parameters, web, progress_bar, verbose, server
                )
        except DatasetLocked as error:
            raise _fail(EXIT_LOCKED, str(error)) from None
    from pressroom.report import summary_lines

    for line in summary_lines(manifest):
        typer.echo(line)
    if failure:
        raise _fail(EXIT_FAILED, failure)


def _run(
    sources: list[str],
    out: Path,
    parameters: dict,
    web: bool,
    live: bool,
    verbose: bool,
    server: TemporaryServer | None,
) -> tuple[dict, str | None]:
    """Run the ingest flow with the terminal display (on ``server``, or the Prefect server that
    PREFECT_API_URL names); return its manifest and, for a run that produced no document, why.
    Expected failures exit with one line."""
    from pressroom.pipeline import start_extraction_server

    if not parameters["dask_address"]:
        start_extraction_server()  # in the background, like the Prefect server
    from pressroom.cli.local_api import LocalAPIError, connected
    from pressroom.cli.terminal import run_display, send_logs_to
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
                return run_ingest(sources, str(out), **parameters), None
    except NoDocumentProduced as error:
        return error.manifest, str(error)
    except SandboxStartError as error:  # a broken installation, or daemonic Dask workers
        raise _fail(EXIT_FAILED, str(error)) from None
    except LocalAPIError as error:
        raise _fail(EXIT_FAILED, str(error)) from None
    except OSError as error:  # a full disk, a permission or a read-only folder
        if verbose:
            raise
        raise _fail(EXIT_FAILED, _os_error(error, out)) from None


def _os_error(error: OSError, where: Path) -> str:
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


Dataset = Annotated[
    Path, typer.Argument(help="The dataset folder (OUT).", exists=True, file_okay=False)
]


@app.command(epilog=EXIT_CODES)
def export(
    out: Dataset,
    to: Annotated[Path, typer.Option("--to", help="Parquet file to write.", dir_okay=False)],
    canonical: Annotated[
        bool, typer.Option("--canonical", help="One row per cluster: its current canonical.")
    ] = False,
) -> None:
    """Export the dataset as one Parquet file: every document once, or (--canonical) the
    canonicals, with later canonical changes applied."""
    from pressroom.dataset.maintenance import canonical_documents, read_table
    from pressroom.dataset.writer import write_table_atomic

    _check_dataset(out)
    table = canonical_documents(out) if canonical else read_table(out, "documents")
    try:
        write_table_atomic(table, to)
    except OSError as error:
        raise _fail(EXIT_FAILED, _os_error(error, to)) from None
    typer.echo(f"{table.num_rows} documents -> {to}")


@app.command(epilog=EXIT_CODES)
def compact(
    out: Dataset,
    wait: Annotated[
        float, typer.Option(min=0, help="Seconds to wait for a run writing the dataset.")
    ] = IngestSettings().lock_wait_s,
) -> None:
    """Merge each partition's small Parquet files into one (holds the dataset's lock); the run
    manifests are updated to name the merged files."""
    from pressroom.dataset.lock import DatasetLocked
    from pressroom.dataset.maintenance import compact as compact_dataset

    _check_dataset(out)
    try:
        removed = compact_dataset(out, wait)
    except DatasetLocked as error:
        raise _fail(EXIT_LOCKED, str(error)) from None
    except OSError as error:
        raise _fail(EXIT_FAILED, _os_error(error, out)) from None
    typer.echo(", ".join(f"{table}: {n} files merged" for table, n in removed.items()))


def _check_dataset(out: Path) -> None:
    from pressroom.dataset.maintenance import NotADataset, require_dataset

    try:
        require_dataset(out)
    except NotADataset as error:
        raise _fail(EXIT_USAGE, str(error)) from None


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
