import json
from datetime import UTC, datetime

import duckdb
import pytest
from typer.testing import CliRunner

from dataset import write_documents
from pressroom.cli import app
from tests.pages import document
from tests.runs import run_pressroom

runner = CliRunner()


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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "/no/such/folder"], "does not exist"),
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
def test_console_script_ingests_the_samples_in_ephemeral_mode(samples, tmp_path):
    out = tmp_path / "out"
    completed = run_pressroom("ingest", str(samples), "--out", str(out), prefect_home=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "5 extracted, 5 written, 0 quarantined" in completed.stdout
    count = duckdb.sql(f"select count(*) from '{out}/documents/**/*.parquet'").fetchall()
    assert count == [(5,)]


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


def test_export_and_compact_commands(tmp_path):
    out = tmp_path / "out"
    for run, names in (("run-1", ["a", "b"]), ("run-2", ["c"])):
        docs = [document(name, f"Text of release {name}.") for name in names]
        for doc in docs:
            doc.cluster_id = doc.doc_id
        write_documents(out, docs, run, datetime(2026, 11, 2, tzinfo=UTC))

    compacted = runner.invoke(app, ["compact", str(out)])
    assert compacted.exit_code == 0, compacted.output
    assert "documents: 2 files merged" in compacted.output
    exported = runner.invoke(
        app, ["export", str(out), "--canonical", "--to", str(tmp_path / "c.parquet")]
    )
    assert exported.exit_code == 0, exported.output
    assert duckdb.sql(f"select count(*) from '{tmp_path / 'c.parquet'}'").fetchall() == [(3,)]
