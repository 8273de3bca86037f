"""The ``ingest`` flow run for real by Prefect (a temporary local API server)."""

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from deltalake import DeltaTable

from pressroom.dataset import Dataset
from pressroom.dataset.maintenance import canonical_documents
from pressroom.dedup.clusters import RELEASE_HEADER
from pressroom.flows.ingest import ingest
from pressroom.schemas import SCHEMA_VERSION
from tests.conftest import SAMPLES
from tests.runs import rows

pytestmark = pytest.mark.prefect
FIXTURES = Path(__file__).parents[1] / "fixtures"
ORIGINAL = FIXTURES / "us_mission_joint_statement_original.txt"

BOILERPLATE = [
    "Leave a Comment",
    "Must read",
    "More articles",
    "Latest article",
    "Skip navigation",
    "Hit : 300",
    "PHOTOS:",
    "All rights reserved",
    "상세보기",
    "Date : 2019",
]


def test_ingest_writes_a_clean_deduplicated_dataset_and_reruns_add_nothing(
    prefect_api, corpus, tmp_path
):
    out = tmp_path / "out"
    manifest = ingest(paths=corpus, out=str(out))

    counts = manifest["counts"]
    assert counts["files"] == 9 and counts["extracted"] == 8 and counts["quarantined"] == 1
    assert (counts["exact_duplicates"], counts["near_duplicates"]) == (1, 1)
    assert rows(out, "select count(*) from DOCS") == [(8,)]

    texts = [text for (text,) in rows(out, "select text from DOCS")]
    assert not [b for b in BOILERPLATE for text in texts if b in text]
    seeds = dict(
        rows(
            out,
            "select split_part(source_uri, '/', -1)[:3], title from DOCS "
            "where source_uri like '%/samples/%'",
        )
    )
    assert seeds["001"].startswith("Joint Statement on the use")  # the title is repaired too
    dates = rows(
        out,
        "select strftime(published_at, '%Y-%m-%d') from DOCS where "
        "published_at is not null and source_uri like '%/samples/%' order by 1",
    )
    assert dates == [("2019-10-08",), ("2024-06-20",), ("2024-06-20",)]

    for (source_uri,) in rows(out, "select source_uri from DOCS"):
        assert source_uri.startswith(str(tmp_path))  # every row traces back to its file
    assert rows(out, "select count(distinct cluster_id) from DOCS") == [(6,)]
    assert rows(
        out, "select dup_kind, count(*) from DOCS where not is_canonical group by 1 order by 1"
    ) == [("exact", 1), ("near", 1)]
    assert rows(out, "select stage, error from QUARANTINE") == [("read", "empty file (0 bytes)")]

    (manifest_file,) = (out / "runs").glob("*.json")
    assert json.loads(manifest_file.read_text())["counts"] == counts

    again = ingest(paths=corpus, out=str(out))
    assert again["counts"]["written"] == 0 and again["counts"]["already_present"] == 8
    assert rows(out, "select count(*) from DOCS") == [(8,)]
    assert rows(out, "select count(*) from QUARANTINE") == [(1,)]


def test_run_summary_and_sources_table_are_published_as_artifacts(prefect_api, samples, tmp_path):
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async def read_artifacts(key: str):
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
            )

    manifest = ingest(paths=[str(samples)], out=str(tmp_path / "out"))
    artifacts = asyncio.run(read_artifacts("ingest-summary"))
    summaries = [a.data for a in artifacts if manifest["run_id"] in a.data]
    assert len(summaries) == 1
    assert "| extracted | 5 |" in summaries[0] and "## New clusters by size" in summaries[0]
    assert "| 1 document | 5 | ██████████████████████████████ |" in summaries[0]
    assert "## Spin scores" in summaries[0]
    (table,) = [
        a
        for a in asyncio.run(read_artifacts("ingest-sources"))
        if manifest["run_id"] in (a.description or "")
    ]
    rows = json.loads(table.data) if isinstance(table.data, str) else table.data
    assert sum(row["documents"] for row in rows) == 5
    assert sum(row["spun"] for row in rows) == 1


def test_spun_seed_is_restored_and_joins_a_clean_original_from_an_earlier_run(
    prefect_api, samples, tmp_path
):
    originals = tmp_path / "originals"
    originals.mkdir()
    shutil.copy(ORIGINAL, originals / "statement.txt")
    out = tmp_path / "out"
    first = ingest(paths=[str(originals)], out=str(out))
    assert first["counts"]["spun"] == 0
    ((original_id,),) = rows(out, "select doc_id from DOCS")

    manifest = ingest(paths=[str(samples)], out=str(out))
    assert (manifest["counts"]["spun"], manifest["counts"]["spun_copies_clustered"]) == (1, 1)
    documents = Dataset(out).read_documents().to_pylist()
    seeds = {Path(d["source_uri"]).name[:3]: d for d in documents if "/samples/" in d["source_uri"]}

    spun = seeds.pop("001")
    assert spun["is_spun"] and spun["spin_score"] > 0.8
    assert (spun["cluster_id"], spun["duplicate_of"], spun["dup_kind"]) == (
        original_id,
        original_id,
        "spun",
    )
    assert "Safety Council" in spun["extracted_text"] and "Safety Council" not in spun["text"]
    assert "the Security Council has a key role to play" in spun["text"]
    assert len(spun["repairs"]) > 100
    for repair in spun["repairs"]:
        assert spun[repair["field"]][repair["start"] : repair["end"]] == repair["after"]
        assert repair["method"] in ("lexicon", "reference") and repair["before"]
    for name, doc in seeds.items():
        assert not doc["is_spun"] and doc["repairs"] == [], name
        assert doc["is_canonical"] and doc["extracted_text"], name


def test_a_large_input_is_ingested_chunk_by_chunk_with_the_same_result(
    prefect_api, corpus, tmp_path
):
    whole, chunked = tmp_path / "whole", tmp_path / "chunked"
    ingest(paths=corpus, out=str(whole))
    # settings as plain data, as a deployment's JSON parameters give them; 9 files: 3 chunks
    manifest = ingest(paths=corpus, out=str(chunked), settings={"chunk_size": 4})

    assert manifest["chunks"] == 3 and len(manifest["documents_versions"]) == 3
    assert manifest["counts"]["written"] == 8 and manifest["counts"]["quarantined"] == 1
    # the copy of a seed and the updated release met their originals in a later chunk: each
    # joined the earlier cluster, or replaced its canonical (the policy ranked it first)
    counts = manifest["counts"]
    assert counts["earlier_duplicates"] + counts["canonical_changes"] == 2
    commits = DeltaTable(str(chunked / "documents")).history()
    parts = [commit["pressroom.part"] for commit in commits if commit["operation"] == "MERGE"]
    assert sorted(parts) == ["0000", "0001", "0002"]  # one commit per chunk

    def clusters(out: Path) -> set[frozenset[str]]:
        """The documents of each cluster (a cluster keeps the id of its first canonical, which
        differs when a newcomer of a later chunk replaced it)."""
        groups = rows(out, "select list(doc_id) from DOCS group by cluster_id")
        return {frozenset(doc_ids) for (doc_ids,) in groups}

    def canonicals(out: Path) -> list[str]:
        return sorted(canonical_documents(Dataset(out)).column("doc_id").to_pylist())

    assert clusters(chunked) == clusters(whole)
    assert canonicals(chunked) == canonicals(whole)
    assert rows(chunked, "select stage, error from QUARANTINE") == [
        ("read", "empty file (0 bytes)")
    ]


def _documents(out: Path) -> dict[str, dict]:
    """The dataset's rows by input file name (without extension)."""
    table = Dataset(out).read_documents().to_pylist()
    return {Path(d["source_uri"]).stem: d for d in table}


def test_seed_001_beside_its_original_is_one_cluster_with_title_header_and_body_restored(
    prefect_api, tmp_path
):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(next(SAMPLES.glob("001_*")), inputs / "spun.txt")
    shutil.copy(ORIGINAL, inputs / "original.txt")
    out = tmp_path / "out"
    manifest = ingest(paths=[str(inputs)], out=str(out))
    assert manifest["counts"]["spun_copies_clustered"] == 1
    docs = _documents(out)
    spun, original = docs["spun"], docs["original"]

    assert original["is_canonical"] and original["repairs"] == []
    assert original["text"] == original["extracted_text"]
    assert (spun["cluster_id"], spun["duplicate_of"], spun["dup_kind"]) == (
        original["doc_id"],
        original["doc_id"],
        "spun",
    )
    assert spun["text"] == original["text"]
    for name in ("title", "issuer", "release_status"):
        assert spun[name] == original[name], name
    assert original["release_status"] == "For Immediate Release"
    for repair in spun["repairs"]:
        assert spun[repair["field"]][repair["start"] : repair["end"]] == repair["after"]


def test_a_clean_original_beside_its_paraphrases_is_never_edited_in_any_order(
    prefect_api, tmp_path
):
    originals, copies = tmp_path / "originals", tmp_path / "copies"
    originals.mkdir(), copies.mkdir()
    shutil.copy(FIXTURES / "sg_statement_original.txt", originals)
    for name in ("sg_statement_paraphrase.txt", "sg_statement_paraphrase_variant.txt"):
        shutil.copy(FIXTURES / name, copies)

    for order, runs in (
        ("one run", [[originals, copies]]),
        ("original first", [[originals], [copies]]),
        ("copies first", [[copies], [originals]]),
    ):
        out = tmp_path / order
        for paths in runs:
            manifest = ingest(paths=[str(path) for path in paths], out=str(out))
        docs = _documents(out)
        original = docs["sg_statement_original"]
        assert original["repairs"] == [] and original["text"] == original["extracted_text"]
        assert not original["spin_flags"], order
        assert len({d["cluster_id"] for d in docs.values()}) == 1, order
        canonicals = canonical_documents(Dataset(out)).column("doc_id").to_pylist()
        assert canonicals == [original["doc_id"]], order
        for name in ("sg_statement_paraphrase", "sg_statement_paraphrase_variant"):
            copy = docs[name]
            assert copy["text"] == copy["extracted_text"] and not copy["repairs"], order
        if order == "copies first":  # the earlier canonical is replaced, and why is recorded
            (change,) = Dataset(out).cluster_changes.read().to_pylist()
            assert change["canonical"] == original["doc_id"]
            assert change["reason"] == RELEASE_HEADER
        else:
            assert manifest["counts"]["paraphrases_clustered"] == 2, order
            kinds = {docs[n]["dup_kind"] for n in docs if n != "sg_statement_original"}
            assert kinds == {"paraphrase"}, order


def test_english_canonicals_carry_the_keys_later_runs_find_paraphrase_originals_by(
    prefect_api, tmp_path
):
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(FIXTURES / "sg_statement_original.txt", inbox)
    out = tmp_path / "out"
    ingest(paths=[str(inbox)], out=str(out))
    (row,) = Dataset(out).read_documents().to_pylist()
    assert row["schema_version"] == SCHEMA_VERSION
    assert 12 <= len(row["paraphrase_keys"]) <= 64
