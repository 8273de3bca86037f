"""A damaged dataset, as a reliability engineer would damage it: every command that reads a
broken table exits 1 with one ``error:`` line naming what is broken and how to repair it, never
0; ``check --drop-damaged`` and ``restore`` bring the dataset back to a state that reads whole.

The dataset is made once per module by a real ``pressroom ingest`` of the bundled samples (plus
one empty page, so that the quarantine table exists too); each test damages its own copy."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pressroom.dataset import Dataset
from pressroom.schemas import DOCUMENTS
from tests.conftest import SAMPLES
from tests.pages import PARAGRAPHS, article_html
from tests.runs import rows, run_pressroom

pytestmark = pytest.mark.prefect

REPAIRS = ("pressroom restore", "pressroom check", "--drop-damaged")
"""The repair commands a damaged data file's error names."""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The inputs (samples, one empty page) and the dataset a real ingest made of them."""
    root = tmp_path_factory.mktemp("built")
    samples = root / "samples"
    shutil.copytree(SAMPLES, samples)
    bad = root / "bad"
    bad.mkdir()
    (bad / "empty.html").write_bytes(b"")
    out = root / "out"
    result = run_pressroom(
        "ingest", str(samples), str(bad), "--out", str(out), prefect_home=root / "prefect"
    )
    assert result.returncode == 0, result.stderr
    return samples, out


@pytest.fixture
def samples(built: tuple[Path, Path]) -> Path:
    """The bundled samples the dataset was made of (read only)."""
    return built[0]


@pytest.fixture
def out(built: tuple[Path, Path], tmp_path: Path) -> Path:
    """A private copy of the built dataset."""
    copy = tmp_path / "out"
    shutil.copytree(built[1], copy)
    return copy


@pytest.fixture
def pressroom(tmp_path: Path) -> Callable[..., CompletedProcess[str]]:
    """``pressroom ARGS...`` with this test's Prefect home."""
    return lambda *args: run_pressroom(*map(str, args), prefect_home=tmp_path / "prefect")


def data_files(out: Path, table: str) -> list[Path]:
    """The Parquet data files under ``OUT/table`` (the built tables have one each)."""
    return sorted((out / table).rglob("*.parquet"))


def document_count(out: Path) -> int:
    return rows(out, "select count(*) from DOCS")[0][0]


def error_line(result: CompletedProcess[str]) -> str:
    """The one ``error:`` line of a failed command (exit 1), checked to be the only one and
    printable (no message of a library split over lines)."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert errors[0].isprintable(), errors[0]
    return errors[0]


def assert_names_file_and_repairs(line: str, path: Path) -> None:
    assert path.name in line, line
    for command in REPAIRS:
        assert command in line, line


def largest_column_chunk(path: Path) -> pq.ColumnChunkMetaData:
    """The column chunk of ``path`` with the most bytes (the middle of the file)."""
    group = pq.ParquetFile(path).metadata.row_group(0)
    chunks = [group.column(index) for index in range(group.num_columns)]
    return max(chunks, key=lambda chunk: chunk.total_compressed_size)


def overwrite(path: Path, offset: int) -> None:
    """Overwrite 64 bytes of ``path`` at ``offset``, keeping its size."""
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.seek(offset)
        file.write(b"\xff" * 64)
    assert path.stat().st_size == size


def corrupt_middle(path: Path) -> None:
    """Overwrite bytes of the largest column's data page (its header), in the middle of the
    file: the bytes that say how to decode the column's values."""
    overwrite(path, largest_column_chunk(path).data_page_offset)


def truncate_half(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def truncate_empty(path: Path) -> None:
    path.write_bytes(b"")


def not_parquet(path: Path) -> None:
    path.write_bytes(b"this is not a Parquet file\n" * 100)


def assert_caught_and_repaired(
    out: Path, samples: Path, damaged: Path, pressroom: Callable[..., CompletedProcess[str]]
) -> None:
    """Ingest, export and check refuse the damaged documents file; dropping it leaves a table
    that reads whole, and a re-run adds back the documents it held."""
    assert_names_file_and_repairs(error_line(pressroom("ingest", samples, "--out", out)), damaged)
    export = pressroom("export", out, "--to", out.parent / "export.parquet")
    assert_names_file_and_repairs(error_line(export), damaged)
    assert not (out.parent / "export.parquet").exists()
    assert_names_file_and_repairs(error_line(pressroom("check", out)), damaged)

    dropped = pressroom("check", out, "--drop-damaged")
    assert dropped.returncode == 0, dropped.stderr
    relative = damaged.relative_to(out)
    assert (out / "damaged" / relative).exists() and not damaged.exists()
    assert pressroom("check", out).returncode == 0
    assert document_count(out) == 0  # the file held every document

    rerun = pressroom("ingest", samples, "--out", out)
    assert rerun.returncode == 0, rerun.stderr
    assert document_count(out) == len(list(samples.iterdir()))
    assert rows(out, "select count(*) - count(distinct doc_id) from DOCS") == [(0,)]


def test_corrupt_column_data_is_caught_and_dropped(out, samples, pressroom):
    [damaged] = data_files(out, "documents")
    corrupt_middle(damaged)
    assert_caught_and_repaired(out, samples, damaged, pressroom)


@pytest.mark.parametrize("damage", [truncate_half, truncate_empty, not_parquet])
def test_a_truncated_empty_or_foreign_data_file_is_caught_and_dropped(out, pressroom, damage):
    """As corrupt data (a run refuses it alike: the same check, tested above)."""
    [damaged] = data_files(out, "documents")
    damage(damaged)
    assert_names_file_and_repairs(error_line(pressroom("check", out)), damaged)
    assert pressroom("check", out, "--drop-damaged").returncode == 0
    assert pressroom("check", out).returncode == 0 and document_count(out) == 0


def as_documents_types(table: pa.Table) -> pa.Table:
    """``table`` (a documents data file) with the types of ``schemas/``: delta-rs may store
    strings as Arrow views, which pyarrow cannot write."""
    fields = [DOCUMENTS.field(name).with_nullable(True) for name in table.column_names]
    return table.cast(pa.schema(fields))


def rename_text(table: pa.Table) -> pa.Table:
    return table.rename_columns(["body" if n == "text" else n for n in table.column_names])


def retype_text_length(table: pa.Table) -> pa.Table:
    index = table.schema.get_field_index("text_length")
    as_text = pa.array([f"n{value}" for value in table["text_length"].to_pylist()])
    return table.set_column(index, "text_length", as_text)


@pytest.mark.parametrize("rewrite", [rename_text, retype_text_length])
def test_data_file_with_another_schema_is_refused(out, pressroom, rewrite):
    [damaged] = data_files(out, "documents")
    pq.write_table(rewrite(as_documents_types(pq.read_table(damaged))), damaged)
    export = pressroom("export", out, "--to", out.parent / "export.parquet")
    assert damaged.name in error_line(export)
    assert damaged.name in error_line(pressroom("check", out))


def test_changed_bytes_inside_column_values_are_detected(out, pressroom):
    """They still decode (to other values): the checksum recorded at the write finds them."""
    [damaged] = data_files(out, "documents")
    chunk = largest_column_chunk(damaged)
    original, before = damaged.read_bytes(), pq.read_table(damaged)
    middle, end = (
        chunk.data_page_offset + chunk.total_compressed_size // 2,
        chunk.data_page_offset + chunk.total_compressed_size - 64,
    )
    for offset in range(middle, end, 97):  # a place where the damage still decodes
        overwrite(damaged, offset)
        with contextlib.suppress(OSError, pa.ArrowInvalid):
            if not pq.read_table(damaged).equals(before):
                break  # the values changed, silently
        damaged.write_bytes(original)
    else:
        raise AssertionError("no overwrite in the column chunk decodes")
    assert damaged.name in error_line(pressroom("check", out))


def test_damaged_quarantine_stops_the_run_before_it_writes(out, samples, pressroom, tmp_path):
    version = Dataset(out).documents.version()
    [damaged] = data_files(out, "quarantine")
    corrupt_middle(damaged)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "new.html").write_text(article_html("A page the dataset lacks", PARAGRAPHS))
    result = pressroom("ingest", samples, extra, "--out", out)
    assert_names_file_and_repairs(error_line(result), damaged)
    assert "quarantine" in error_line(result)
    assert Dataset(out).documents.version() == version
    assert sorted((out / "documents" / "_delta_log").glob("*.json"))[-1].stem == f"{version:020d}"


def test_truncated_transaction_log_is_named(out, samples, pressroom):
    newest = sorted((out / "documents" / "_delta_log").glob("*.json"))[-1]
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])
    for result in (
        pressroom("ingest", samples, "--out", out),
        pressroom("export", out, "--to", out.parent / "export.parquet"),
        pressroom("check", out),
    ):
        line = error_line(result)
        assert "_delta_log" in line and "documents" in line, line


def test_restore_returns_readable_data_after_a_bad_write(out, samples, pressroom, tmp_path):
    before = set(Dataset(out).doc_ids)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "new.html").write_text(article_html("A page the dataset lacks", PARAGRAPHS))
    first = set(data_files(out, "documents"))
    assert pressroom("ingest", samples, extra, "--out", out).returncode == 0
    [added] = set(data_files(out, "documents")) - first
    corrupt_middle(added)
    assert added.name in error_line(pressroom("check", out))

    history = pressroom("history", out)
    assert history.returncode == 0, history.stderr
    runs = [int(line.split()[0]) for line in history.stdout.splitlines() if "  run " in line]
    good = min(runs)  # the first run's commit
    restored = pressroom("restore", out, "--version", good)
    assert restored.returncode == 0, restored.stderr
    assert pressroom("check", out).returncode == 0
    export = pressroom("export", out, "--to", tmp_path / "export.parquet")
    assert export.returncode == 0, export.stderr
    exported = pq.read_table(tmp_path / "export.parquet")
    assert set(exported["doc_id"].to_pylist()) == before
    assert exported["text"].null_count == 0


def test_stray_and_temporary_files_are_ignored_or_cleaned(out, samples, pressroom):
    [data] = data_files(out, "documents")
    stray = [
        out / "documents" / "notes.txt",
        out / "documents" / ".x.tmp",
        data.parent / "stray.bin",
        data.parent / f".{data.name}.0123.tmp",
    ]
    for path in stray:
        path.write_bytes(b"not part of the table")
    left = [out / "runs" / ".run.json.0123.tmp", out / "runs" / ".other.json.4567.tmp"]
    for path in left:
        path.write_bytes(b'{"half": ')
    count = document_count(out)

    assert pressroom("check", out).returncode == 0
    result = pressroom("ingest", samples, "--out", out)
    assert result.returncode == 0, result.stderr
    assert document_count(out) == count
    assert not any(path.exists() for path in left)
    manifests = list((out / "runs").glob("*.json"))
    assert manifests and all(json.loads(path.read_text()) for path in manifests)
