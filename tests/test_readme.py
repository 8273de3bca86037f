"""The README's examples of reading the dataset, run as written on a dataset with history."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from pressroom.dataset import write_cluster_changes, write_documents
from pressroom.dataset.maintenance import canonical_documents
from pressroom.schemas import ClusterChange
from tests.pages import document

README = Path(__file__).resolve().parent.parent / "README.md"
NOVEMBER = datetime(2026, 11, 2, tzinfo=UTC)


def readme_python() -> str:
    (block,) = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    return block


def test_the_readme_reading_examples_work_on_a_dataset_with_a_canonical_change(
    tmp_path, monkeypatch
):
    out = tmp_path / "out"
    spun = document("spun", "Joint Assertion on Worldwide Peace and Safety")
    spun.is_spun, spun.cluster_id = True, "spun"
    other = document("other", "A different release about debt.")
    other.cluster_id = "other"
    write_documents(out, [spun, other], "run-1", NOVEMBER)
    original = document("original", "Joint Statement on International Peace and Security")
    original.cluster_id, original.is_canonical = spun.cluster_id, True
    write_documents(out, [original], "run-2", NOVEMBER)
    change = ClusterChange("c1", spun.cluster_id, "spun", "original", "clean over spun")
    write_cluster_changes(out, [change], "run-2", NOVEMBER)

    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(readme_python(), namespace)

    assert namespace["docs"].count("*").fetchall() == [(3,)]
    canonical = sorted(row[0] for row in namespace["canonical"].select("doc_id").fetchall())
    assert canonical == ["original", "other"]
    assert canonical == sorted(canonical_documents(out).column("doc_id").to_pylist())
    assert namespace["this_month"].height == 3
    assert sorted(namespace["frame"]["doc_id"]) == ["original", "other", "spun"]
