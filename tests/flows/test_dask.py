"""The ``ingest`` flow with extraction on a real Dask cluster (``distributed.LocalCluster``)."""

import sys
from pathlib import Path

import dask
import pytest
from distributed import Client, LocalCluster, get_task_stream
from prefect.flows import load_flow_from_entrypoint
from typer.testing import CliRunner

from pressroom.cli import app
from pressroom.flows.extraction import DAEMONIC_WORKER
from pressroom.flows.ingest import ingest
from pressroom.settings import IngestSettings
from pressroom.stages.extract import EMPTY_BODY
from tests.conftest import ROOT
from tests.runs import rows

pytestmark = pytest.mark.prefect

BATCHES_OF_5 = IngestSettings(batch_size=5)
DOCUMENTS = "select doc_id, cluster_id, is_canonical, dup_kind, title, text from DOCS order by 1"


def local_cluster(daemon: bool) -> LocalCluster:
    """Two worker processes (daemonic or not) of one thread each, started by nannies as
    ``dask worker`` starts them."""
    with dask.config.set({"distributed.worker.daemon": daemon}):  # read as the workers start
        return LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )


@pytest.fixture
def corpus(corpus: list[str]) -> list[str]:
    """The flow tests' corpus, plus a page without an article body."""
    no_body = Path(corpus[1]) / "no-body.html"
    no_body.write_bytes(b"<html><head><title>Nothing</title></head></html>")
    return corpus


def test_extraction_runs_on_the_dask_workers_with_the_same_outcome(
    prefect_api, corpus, tmp_path, monkeypatch
):
    local = ingest(paths=corpus, out=str(tmp_path / "local"), settings=BATCHES_OF_5)
    with local_cluster(daemon=False) as cluster, Client(cluster) as client:
        monkeypatch.setattr(sys, "path", list(sys.path))  # the loader adds flows/ to it
        # loaded as deployments load it: from its file, as a module the workers cannot import
        deployed = load_flow_from_entrypoint(f"{ROOT / 'flows' / 'ingest.py'}:ingest")
        assert deployed.fn.__module__ != "pressroom.flows.ingest"
        with get_task_stream(client) as stream:
            manifest = deployed(
                paths=corpus,
                out=str(tmp_path / "dask"),
                settings=BATCHES_OF_5,
                dask_address=cluster.scheduler_address,
            )
        workers = set(client.scheduler_info()["workers"])

    extracted = [task for task in stream.data if task["key"].startswith("extract_batch")]
    assert len(extracted) == 2  # 10 files in batches of 5, each run by a worker
    assert {task["worker"] for task in extracted} == workers  # both of them
    assert manifest["counts"] == local["counts"]
    assert manifest["counts"]["extracted"] == 8 and manifest["counts"]["quarantined"] == 2
    assert rows(tmp_path / "dask", DOCUMENTS) == rows(tmp_path / "local", DOCUMENTS)
    assert rows(tmp_path / "dask", "select dup_kind, count(*) from DOCS group by 1 order by 1") == [
        ("exact", 1),
        ("near", 1),
        (None, 6),
    ]
    quarantined = rows(
        tmp_path / "dask",
        "select split_part(source_uri, '/', -1), stage, error from QUARANTINE order by 1",
    )
    assert [(name, stage) for name, stage, _ in quarantined] == [
        ("broken.html", "read"),
        ("no-body.html", "extract"),  # failed in the sandbox of a worker
    ]
    assert quarantined[1][2].startswith(EMPTY_BODY)


def test_daemonic_dask_workers_stop_the_run_with_a_clear_error(prefect_api, samples, tmp_path):
    out = tmp_path / "out"
    with local_cluster(daemon=True) as cluster:
        address = cluster.scheduler_address
        result = CliRunner().invoke(
            app, ["ingest", str(samples), "--out", str(out), "--dask-address", address]
        )
    assert result.exit_code == 1
    assert f"error: {DAEMONIC_WORKER}" in result.output
    assert not (out / "documents").exists()
