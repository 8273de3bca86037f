import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import pressroom
from pressroom.cli import app
from pressroom.dataset import Dataset
from pressroom.execution import progress
from pressroom.flows.ingest import ingest
from pressroom.report import NoDocumentProduced, reason_group
from pressroom.schemas import Document
from tests.hosts import closed_port_url
from tests.pages import document
from tests.runs import held_lock, rows, run_pressroom

runner = CliRunner()


def one_line_error(completed, message: str) -> None:
    """The command said what went wrong in one line on stderr, without a traceback."""
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert "Traceback" not in completed.stdout + completed.stderr


def test_help_documents_every_command_and_option():
    assert runner.invoke(app, ["--help"]).exit_code == 0
    result = runner.invoke(app, ["ingest", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in [
        "--out",
        "--batch-size",
        "--workers",
        "--extract-timeout",
        "--max-bytes",
        "--threshold",
        "--shingle-size",
        "--num-perm",
        "--boilerplate-min-docs",
        "--progress",
        "--sources",
        "--include",
        "--exclude",
        "--since",
        "--allow-private",
        "--per-host-concurrency",
        "--per-host-delay",
        "--fetch-retries",
        "--robots",
    ]:
        assert option in result.output


def test_help_documents_the_exit_codes_and_version():
    for args in (["--help"], ["ingest", "--help"]):
        result = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert result.exit_code == 0
        text = " ".join(result.output.replace("│", " ").split())
        assert "Exit status: 0 done; 1 the run failed" in text
        assert "2 a usage or argument error" in text and "3 the dataset is locked" in text
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output == f"pressroom {pressroom.__version__}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "/no/such/folder"], "input path does not exist: /no/such/folder"),
        (["ingest", "data/samples", "--threshold", "1.5"], "Invalid value for '--threshold'"),
        (["ingest"], "give at least one source, or --sources FILE"),
        (["ingest", "feed:not-a-url"], "feed:"),
        (["ingest", "--sources", "/no/such.yaml"], "does not exist"),
        (["extract", "/no/such/file.html"], "does not exist"),
        (["frobnicate"], "No such command"),
    ],
)
def test_bad_arguments_exit_non_zero_with_a_clear_message(args, message):
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_extract_prints_one_documents_extraction_as_json(samples):
    result = runner.invoke(app, ["extract", str(next(samples.glob("004_*")))])
    assert result.exit_code == 0, result.output
    extraction = json.loads(result.output)
    assert extraction["title"].startswith("2nd Vice Minister's Remarks")
    assert extraction["published_at"] == "2019-10-08 13:50:59"
    assert "Hit : 300" not in extraction["text"]


def test_extract_of_a_bad_file_says_why(tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["extract", str(empty)])
    assert result.exit_code == 1
    assert "read: empty file (0 bytes)" in result.output


@pytest.mark.prefect
def test_console_script_ingests_the_samples_then_finds_them_known(samples, tmp_path):
    out, walls = tmp_path / "out", []
    for written, present in ((5, 0), (0, 5)):
        started = time.perf_counter()
        completed = run_pressroom("ingest", str(samples), "--out", str(out), prefect_home=tmp_path)
        walls.append(time.perf_counter() - started)
        assert completed.returncode == 0, completed.stderr
        summary = " ".join(completed.stdout.split())
        assert f"documents 5: {written} written, {present} already in the dataset" in summary
        assert "quarantined 0" in summary
        assert completed.stdout.count(" -> ") == 1  # the summary, once
        assert "Starting temporary server" not in completed.stderr  # Prefect's INFO stays off
    assert rows(out, "select count(*) from DOCS") == [(5,)]
    manifests = [json.loads(path.read_text()) for path in sorted((out / "runs").glob("*.json"))]
    assert [m["counts"]["documents"] for m in manifests] == [5, 5]
    assert [m["failure"] for m in manifests] == [None, None]
    for manifest, wall in zip(manifests, walls, strict=True):  # the run from the process's start
        timings = manifest["timings_s"]
        assert list(timings)[:4] == ["start", "verify", "discover", "extract"]
        assert {"repair", "deduplicate", "history", "write", "publish"} <= set(timings)
        assert 0 < timings["start"] < sum(timings.values()) < wall


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """An existing folder this process cannot write in."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        (folder / "probe").touch()
    except PermissionError:
        yield folder
    else:  # root ignores permissions: a folder of sysfs, which nobody may write
        (folder / "probe").unlink()
        yield Path("/sys/kernel")
    folder.chmod(0o755)


def test_an_unwritable_out_is_an_argument_error(samples, read_only_folder, tmp_path):
    completed = run_pressroom(
        "ingest", str(samples), "--out", str(read_only_folder), prefect_home=tmp_path
    )
    assert completed.returncode == 2
    one_line_error(completed, f"--out {read_only_folder} is not writable")


def test_a_missing_input_path_is_an_argument_error(tmp_path):
    missing = tmp_path / "raw"
    completed = run_pressroom("ingest", str(missing), "--out", str(tmp_path), prefect_home=tmp_path)
    assert completed.returncode == 2
    one_line_error(completed, f"input path does not exist: {missing}")
    assert not (tmp_path / "runs").exists()


def test_a_locked_dataset_gives_up_after_the_wait_with_one_line(samples, tmp_path):
    out = tmp_path / "out"
    Dataset(out).write_chunk([clustered(document("a", "Text of release a."))], [], [], "run-1")
    with held_lock(out):
        started = time.monotonic()
        completed = run_pressroom(
            "ingest", str(samples), "--out", str(out), "--wait-for-lock", "1",
            prefect_home=tmp_path,
        )  # fmt: skip
        elapsed = time.monotonic() - started
        compacted = run_pressroom("compact", str(out), "--wait", "1", prefect_home=tmp_path)
    assert completed.returncode == 3
    one_line_error(completed, "is being written by another pressroom run (a test holding the")
    assert "gave up after waiting 1 s" in completed.stderr
    assert elapsed < 30  # gave up, without starting Prefect first
    assert compacted.returncode == 3
    one_line_error(compacted, "gave up after waiting 1 s")


@pytest.mark.parametrize(
    "command", [["export", "--to", "x.parquet"], ["compact"], ["history"], ["check"], ["vacuum"]]
)
def test_export_and_compact_refuse_a_folder_that_is_not_a_dataset(command, tmp_path):
    folder = tmp_path / "not-a-dataset"
    folder.mkdir()
    completed = run_pressroom(command[0], str(folder), *command[1:], prefect_home=tmp_path)
    assert completed.returncode == 2
    one_line_error(completed, f"{folder} is not a pressroom dataset")
    assert os.listdir(folder) == []  # no lock file left


@pytest.mark.prefect
def test_a_web_run_whose_every_url_is_refused_fails_with_the_reason_and_a_hint(tmp_path):
    out = tmp_path / "out"
    urls = [closed_port_url("/news/one"), closed_port_url("/news/two")]
    completed = run_pressroom("ingest", *urls, "--out", str(out), prefect_home=tmp_path)
    assert completed.returncode == 1, completed.stderr
    one_line_error(completed, "no document produced: 2 items quarantined, most often at fetch:")
    assert "refused: <address> is a loopback address" in completed.stderr
    summary = " ".join(completed.stdout.split())
    assert "2 fetch: refused: <address> is a loopback address" in summary
    assert "hint:" in summary and "--allow-private" in summary
    assert rows(out, "select count(*) from QUARANTINE") == [(2,)]  # recorded before it failed
    (manifest,) = [json.loads(path.read_text()) for path in (out / "runs").glob("*.json")]
    assert manifest["failure"].startswith("no document produced")


@pytest.mark.prefect
def test_the_flow_fails_on_a_missing_path_and_on_inputs_that_give_no_document(
    prefect_api, tmp_path
):
    missing = tmp_path / "out" / "raw"
    state = ingest(paths=[str(missing)], out=str(tmp_path / "out"), return_state=True)
    assert state.is_failed() and f"input path does not exist: {missing}" in state.message
    assert not (tmp_path / "out" / "runs").exists()  # stopped before any work

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "empty.html").write_bytes(b"")
    (inbox / "notes.pdf").write_bytes(b"%PDF-1.4")
    out = tmp_path / "dataset"
    state = ingest(paths=[str(inbox)], out=str(out), return_state=True)
    assert state.is_failed() and "no document produced: 2 items quarantined" in state.message
    with pytest.raises(NoDocumentProduced) as failed:
        ingest(paths=[str(inbox)], out=str(out))
    assert failed.value.manifest["counts"]["quarantined"] == 2
    assert rows(out, "select count(*) from QUARANTINE") == [(2,)]
    assert len(list((out / "runs").glob("*.json"))) == 2  # each failed run left its manifest


def test_repair_prints_the_restored_text_and_every_edit(samples):
    result = runner.invoke(app, ["repair", str(next(samples.glob("001_*")))])
    assert result.exit_code == 0, result.output
    text, _, report = result.output.partition("\n--- spin_score ")
    assert "the Security Council has a key role to play" in text
    assert report.startswith("0.93") and "is_spun True" in report
    assert "lexicon   0.95  'Safety Council' -> 'Security Council'" in report


def test_repair_leaves_a_clean_release_alone(samples):
    result = runner.invoke(app, ["repair", str(next(samples.glob("003_*")))])
    assert result.exit_code == 0, result.output
    assert "is_spun False" in result.output and "--- 0 edits" in result.output


def test_repair_shows_the_restored_title_and_header(samples):
    result = runner.invoke(app, ["repair", str(next(samples.glob("001_*")))])
    assert result.exit_code == 0, result.output
    header, _, _ = result.output.partition("\n\n")
    assert header.splitlines() == [
        "title: Joint Statement on the use of Information and Communications Technology in the "
        "context of International Peace and Security",
        "issuer: United States Mission to the United Nations; Office of Press and Public Diplomacy",
        "release_status: For Immediate Release",
        "published_at: 2024-06-20 00:00:00",
    ]
    assert "release_status      0-21     lexicon   0.95  'For Instant Launch' ->" in result.output


def test_repair_json_gives_scripts_text_metadata_edits_and_flags(samples):
    result = runner.invoke(app, ["repair", "--json", str(next(samples.glob("001_*")))])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {"text", "metadata", "spin_score", "is_spun", "edits", "flags"}
    metadata = report["metadata"]
    assert metadata["title"].startswith("Joint Statement on the use of Information")
    assert metadata["release_status"] == "For Immediate Release"
    assert (metadata["language"], metadata["published_at"]) == ("en", "2024-06-20 00:00:00")
    assert report["is_spun"] and report["spin_score"] > 0.5
    keys = ["field", "start", "end", "before", "after", "method", "confidence"]
    assert all(list(edit) == keys for edit in report["edits"])
    fields = {"text": report["text"], **metadata}
    for edit in report["edits"]:
        assert fields[edit["field"]][edit["start"] : edit["end"]] == edit["after"]
    assert {e["field"] for e in report["edits"]} == {"title", "issuer", "release_status", "text"}

    clean = runner.invoke(app, ["repair", "--json", str(next(samples.glob("003_*")))])
    assert clean.exit_code == 0 and json.loads(clean.output)["edits"] == []


def test_repair_exits_1_for_a_page_without_text_and_2_for_a_missing_file(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert runner.invoke(app, ["repair", "--json", str(empty)]).exit_code == 1
    assert runner.invoke(app, ["repair", "--json", str(tmp_path / "missing.txt")]).exit_code == 2


def test_lexicon_check_passes_on_the_bundled_lexicon_and_fails_on_a_bad_one(tmp_path):
    result = runner.invoke(app, ["lexicon", "check"])
    assert result.exit_code == 0 and ", 0 problems" in result.output

    bad = tmp_path / "lexicon.tsv"
    bad.write_text(
        "spun\toriginal\tkind\tinflect\n"
        "safety council\tSecurity Council\tsignature\t-\n"
        "safety council\tSafety Board\tswap\t-\n"
    )
    clean = tmp_path / "clean.txt"
    clean.write_text("The National Safety Council publishes road statistics.")
    result = runner.invoke(app, ["lexicon", "check", "--lexicon", str(bad), "--clean", str(clean)])
    assert result.exit_code == 1
    assert "'safety council' is also produced by line 2" in result.output
    assert "found in clean text" in result.output and "'Safety Council'" in result.output


def clustered(doc: Document) -> Document:
    """``doc`` as deduplication leaves a document of its own cluster."""
    doc.cluster_id, doc.is_canonical = doc.doc_id, True
    return doc


def test_maintenance_commands_keep_what_readers_see(tmp_path):
    out = tmp_path / "out"
    for run, names in (("run-1", ["a", "b"]), ("run-2", ["c"])):
        docs = [clustered(document(name, f"Text of release {name}.")) for name in names]
        Dataset(out).write_chunk(docs, [], [], run)

    compacted = runner.invoke(app, ["compact", str(out), "--z-order", "site"])
    assert compacted.exit_code == 0, compacted.output
    assert "documents: 2 files into 1" in compacted.output
    exported = runner.invoke(
        app, ["export", str(out), "--canonical", "--to", str(tmp_path / "c.parquet")]
    )
    assert exported.exit_code == 0, exported.output
    assert duckdb.sql(f"select count(*) from '{tmp_path / 'c.parquet'}'").fetchall() == [(3,)]
    first = str(tmp_path / "1.parquet")  # version 0 created the table, empty
    pinned = runner.invoke(app, ["export", str(out), "--as-of", "1", "--to", first])
    assert pinned.exit_code == 0, pinned.output
    assert duckdb.sql(f"select count(*) from '{first}'").fetchall() == [(2,)]
    listed = runner.invoke(app, ["history", str(out)])
    operations = [line.split()[2] for line in listed.output.splitlines()]
    assert operations == ["OPTIMIZE", "MERGE", "MERGE", "CREATE"]
    assert runner.invoke(app, ["vacuum", str(out), "--retention-hours", "1"]).exit_code == 2
    vacuumed = runner.invoke(app, ["vacuum", str(out), "--retention-hours", "0", "--force"])
    assert vacuumed.exit_code == 0 and "documents: deleted 2 files" in vacuumed.output
    assert rows(out, "select count(*), count(distinct doc_id) from DOCS") == [(3, 3)]
    checked = runner.invoke(app, ["check", str(out)])
    assert checked.exit_code == 0 and "every table reads whole" in checked.output


def test_quarantine_reasons_count_alike_failures_together():
    errors = [
        "refused: 127.0.0.1 is a loopback address (no HTTP response, 0 attempts)",
        "refused: 10.1.2.3 is a private address (no HTTP response, 0 attempts)",
        "refused: 127.0.0.2 is a loopback address (no HTTP response, 0 attempts)",
        "cannot resolve news.example: Name or service not known (no HTTP response, 1 attempt)",
        "HTTP 404 (HTTP status 404, 1 attempt)",
        "page too large: 25,000,000 bytes after decompression (limit 20,000,000)",
        "cannot read /data/inbox/a.html: permission denied",
        "application/pdf is not HTML or text",
    ]
    assert [reason_group(error) for error in errors] == [
        "refused: <address> is a loopback address (no HTTP response, 0 attempts)",
        "refused: <address> is a private address (no HTTP response, 0 attempts)",
        "refused: <address> is a loopback address (no HTTP response, 0 attempts)",
        "cannot resolve <host>: Name or service not known (no HTTP response, 1 attempt)",
        "HTTP 404 (HTTP status 404, 1 attempt)",
        "page too large: <n> bytes after decompression (limit <n>)",
        "cannot read <path>: permission denied",
        "application/pdf is not HTML or text",
    ]


@pytest.mark.prefect
def test_a_web_run_that_reached_no_host_hints_at_the_network(tmp_path):
    out = tmp_path / "out"
    urls = [closed_port_url("/news/one"), closed_port_url("/news/two")]
    options = ["--allow-private", "--fetch-retries", "0", "--no-progress"]
    completed = run_pressroom("ingest", *urls, "--out", str(out), *options, prefect_home=tmp_path)
    assert completed.returncode == 1, completed.stderr
    one_line_error(completed, "no document produced: 2 items quarantined, most often at fetch:")
    summary = " ".join(completed.stdout.split())
    assert "fetch: robots.txt unavailable (connection failed" in summary
    assert "hint: no page could be fetched (2 URLs unreachable): check the network" in summary
    assert "--allow-private" not in summary


def test_repair_reports_each_document_as_it_is_done(samples):
    from pressroom.pipeline import extract_files
    from pressroom.stages.extract import Extract
    from pressroom.stages.repair import Repair

    docs = extract_files([str(path) for path in sorted(samples.iterdir())], Extract()).documents
    for workers in (1, 2):  # here, then in worker processes, in batches
        events: list[tuple[str, int, int]] = []
        progress.set_listener(lambda *event: events.append(event))  # noqa: B023
        stage = Repair(workers=workers)
        stage.min_sandboxed = 2
        try:
            output = stage.run(docs)
        finally:
            progress.set_listener(None)
        assert len(output.docs) == 5 and not output.failures
        assert events == [("repair", 0, 5)] + [("repair", 1, 0)] * 5
