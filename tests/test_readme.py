"""The README's examples of reading the dataset, run as written on a dataset made by real runs.

Each Python example runs in a process of its own, in the folder that holds ``out/``, followed by
a probe that prints what it read as JSON; the process must exit cleanly (delta-rs can abort a
process as it exits). The ``pressroom`` commands of the export and maintenance examples run as
written too.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pressroom.dataset import Dataset
from pressroom.dataset.maintenance import history
from tests.runs import run_pressroom

pytestmark = pytest.mark.prefect

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SAMPLES = ROOT / "data" / "samples"
ORIGINAL = ROOT / "tests" / "fixtures" / "us_mission_joint_statement_original.txt"
SPUN_SAMPLE = "001_"
"""The bundled sample that is a spun copy of ``ORIGINAL``."""

PROBES = {
    "DuckDB": """{
        "documents": documents.count("*").fetchall()[0][0],
        "canonical": [row[:2] for row in canonical.fetchall()],
        "per_site": sum(count for _, count in per_site.fetchall()),
    }""",
    "Polars": """{
        "canonical": canonical.select("doc_id", "cluster_id").rows(),
        "first_version": first_version.height,
        "first_canonical": first_version.filter(pl.col("is_canonical"))["doc_id"].to_list(),
        "changes": changes.select("previous_canonical", "canonical", "reason").rows(),
    }""",
    "pandas": """{
        "rows": len(frame),
        "canonical": frame[frame["is_canonical"]][["doc_id", "cluster_id"]].values.tolist(),
    }""",
}
"""For each tested Python example (named by the first word of its opening comment), an
expression over what it defines, printed as JSON after it runs."""


def readme_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.S)


def reading_examples() -> dict[str, str]:
    """The README's Python examples by name, except those it marks as not tested."""
    examples = {}
    for block in readme_blocks("python"):
        opening = block.splitlines()[0]
        if "not tested" not in opening:
            examples[opening.removeprefix("#").split()[0].rstrip(":")] = block
    return examples


def pressroom_commands(example: str) -> list[list[str]]:
    """The arguments of each ``pressroom`` command of the README's shell example that holds the
    command ``example``."""
    (block,) = [b for b in readme_blocks("sh") if example in b]
    lines = [line.split("#")[0] for line in block.splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("pressroom ")]


def run_example(code: str, probe: str, folder: Path) -> dict:
    """Run ``code`` as written in a process of its own in ``folder``, then print ``probe``."""
    script = f"{code}\nimport json\nprint(json.dumps({probe}))\n"
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "terminate called" not in completed.stderr
    return json.loads(completed.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A folder holding ``out/``: the samples ingested by one run, then by a second the clean
    original of the spun sample and a copy of another sample, each of which replaces its
    cluster's canonical."""
    folder = tmp_path_factory.mktemp("readme")
    later = folder / "later"
    later.mkdir()
    (later / "original.txt").write_text(ORIGINAL.read_text())
    (later / "copy-of-002.txt").write_bytes(next(SAMPLES.glob("002_*")).read_bytes())
    for inputs in (SAMPLES, later):
        completed = run_pressroom(
            "ingest", str(inputs), "--out", str(folder / "out"), prefect_home=folder / "prefect"
        )
        assert completed.returncode == 0, completed.stderr
    return folder


@pytest.fixture(scope="module")
def stored(folder) -> dict:
    """What the dataset holds, read by pressroom: the latest and the first version."""
    dataset = Dataset(folder / "out")
    columns = ["doc_id", "cluster_id", "is_canonical", "source_uri"]
    latest = dataset.read_documents(columns).to_pylist()
    first = dataset.read_documents(columns, version=1).to_pylist()  # 0: the empty table
    return {
        "documents": len(latest),
        "clusters": {row["cluster_id"] for row in latest},
        "canonical": sorted((r["doc_id"], r["cluster_id"]) for r in latest if r["is_canonical"]),
        "first_canonical": sorted(r["doc_id"] for r in first if r["is_canonical"]),
        "first_documents": len(first),
        "spun": next(r["doc_id"] for r in latest if Path(r["source_uri"]).name[:4] == SPUN_SAMPLE),
    }


def test_the_dataset_has_canonical_changes_to_read(stored):
    assert stored["documents"] == 7 and stored["first_documents"] == 5
    assert len(stored["clusters"]) == 5
    assert stored["spun"] in stored["first_canonical"]
    assert stored["spun"] not in {doc_id for doc_id, _ in stored["canonical"]}


def test_the_readme_marks_what_it_does_not_test():
    assert set(reading_examples()) == set(PROBES)
    untested = [block for block in readme_blocks("python") if "not tested" in block]
    assert [block.split()[1] for block in untested] == ["Spark"]


@pytest.mark.parametrize("name", sorted(PROBES))
def test_a_reading_example_reads_one_current_canonical_per_cluster(name, folder, stored):
    found = run_example(reading_examples()[name], PROBES[name], folder)

    canonical = sorted(tuple(pair) for pair in found["canonical"])
    assert canonical == stored["canonical"]
    assert {cluster for _, cluster in canonical} == stored["clusters"]  # one per cluster
    if name == "DuckDB":
        assert found["documents"] == stored["documents"]
        assert found["per_site"] == len(stored["clusters"])
    if name == "Polars":
        assert found["first_version"] == stored["first_documents"]
        assert sorted(found["first_canonical"]) == stored["first_canonical"]
        current = {doc_id for doc_id, _ in canonical}
        for previous, new, _ in found["changes"]:
            assert previous in stored["first_canonical"] and new in current
        assert "a clean document replaces a spun canonical" in {r for *_, r in found["changes"]}
    if name == "pandas":
        assert found["rows"] == stored["documents"]


def test_the_export_example_writes_plain_parquet_of_each_version(folder, stored, monkeypatch):
    monkeypatch.chdir(folder)
    printed = {}
    for arguments in pressroom_commands("pressroom export out --to"):
        completed = run_pressroom(*arguments, prefect_home=folder / "prefect")
        assert completed.returncode == 0, completed.stderr
        printed[arguments[0]] = completed.stdout

    runs = sorted(path.stem for path in (folder / "out" / "runs").glob("*.json"))
    versions = [line.split() for line in printed["history"].splitlines()]
    assert [(v[0], v[-1]) for v in versions[:2]] == [("2", runs[1]), ("1", runs[0])]
    assert versions[2][:1] + versions[2][2:] == ["0", "CREATE", "TABLE"]  # created empty
    snapshot = pq.read_table(folder / "snapshot.parquet")
    assert snapshot.num_rows == stored["documents"]
    canonical = pq.read_table(folder / "canonical.parquet", columns=["doc_id", "cluster_id"])
    assert sorted(zip(*canonical.to_pydict().values(), strict=True)) == stored["canonical"]
    first = pq.read_table(folder / "first-version.parquet", columns=["doc_id", "is_canonical"])
    assert first.num_rows == stored["first_documents"]
    first_canonical = [r["doc_id"] for r in first.to_pylist() if r["is_canonical"]]
    assert sorted(first_canonical) == stored["first_canonical"]


def test_the_maintenance_commands_change_nothing_readers_see(folder, stored, tmp_path, monkeypatch):
    shutil.copytree(folder / "out", tmp_path / "out")
    monkeypatch.chdir(tmp_path)
    for arguments in pressroom_commands("pressroom vacuum out"):
        if arguments[0] == "migrate":
            continue  # for a dataset of the old layout
        completed = run_pressroom(*arguments, prefect_home=folder / "prefect")
        assert completed.returncode == 0, (arguments, completed.stderr)

    operations = [entry["operation"] for entry in history(Dataset(tmp_path / "out"))]
    assert {"OPTIMIZE", "RESTORE"} <= set(operations)
    found = run_example(reading_examples()["Polars"], PROBES["Polars"], tmp_path)
    assert sorted(tuple(pair) for pair in found["canonical"]) == stored["canonical"]
    assert sorted(found["first_canonical"]) == stored["first_canonical"]  # still readable
