"""The stage interface: counts, reasons, the time limit and filters, on real documents."""

from __future__ import annotations

import time
from dataclasses import replace

from pressroom.pipeline import build_stages, extract_files, run_chunk
from pressroom.schemas import Document, StageError
from pressroom.settings import settings_with
from pressroom.stages.base import DocumentStage, Stage, StageOutput
from pressroom.stages.extract import Extract
from pressroom.stages.language import LanguageFilter
from tests.pages import document


class Upper(DocumentStage):
    """Upper-cases a document; fails on purpose for some texts."""

    name = "upper"
    noun = "upper-casing"

    def process(self, doc: Document) -> Document:
        if doc.text == "empty":
            raise StageError("upper", "nothing to upper-case")
        if doc.text == "slow":
            time.sleep(5)
        if doc.text == "bug":
            raise ValueError("a bug")
        return replace(doc, text=doc.text.upper())


class KeepFirst(Stage):
    name = "first"

    def process_batch(self, docs: list[Document]) -> StageOutput:
        self.count("dropped", len(docs) - 1)
        return StageOutput(docs[:1])


def test_a_document_stage_quarantines_each_failure_with_its_stage_and_reason():
    stage = Upper()
    output = stage.run([document("a", "text"), document("b", "empty"), document("c", "bug")])
    assert [d.text for d in output.docs] == ["TEXT"]
    reasons = [(f.item_id, f.stage, f.error) for f in output.failures]
    assert reasons == [
        ("b", "upper", "nothing to upper-case"),
        ("c", "upper", "ValueError: a bug"),
    ]
    assert stage.stats.as_dict() | {"seconds": 0} == {
        "received": 3,
        "passed": 1,
        "quarantined": 2,
        "seconds": 0,
    }


def test_a_document_over_the_time_limit_is_quarantined_and_the_rest_complete():
    stage = Upper()
    stage.timeout_s, stage.workers = 1.0, 2
    docs = [document(f"d{i}", "slow" if i == 1 else f"text {i}") for i in range(4)]
    output = stage.run(docs)
    assert sorted(d.doc_id for d in output.docs) == ["d0", "d2", "d3"]
    (failure,) = output.failures
    assert (failure.item_id, failure.stage, failure.reason) == ("d1", "upper", "timeout")
    assert failure.error.startswith("upper-casing timed out")


def test_a_batch_stage_keeps_its_own_counts_across_chunks():
    stage = KeepFirst()
    stage.run([document("a", "x"), document("b", "y")])
    stage.run([document("c", "z")] * 3)
    assert (stage.stats.received, stage.stats.passed, stage.stats.counts["dropped"]) == (5, 2, 3)


def test_a_filter_quarantines_what_it_drops_with_its_reason():
    german = replace(document("de", "Die Regierung teilte mit."), language="de")
    output = LanguageFilter(("en",)).run([document("en", "The ministry said."), german])
    assert [d.doc_id for d in output.docs] == ["en"]
    (dropped,) = output.failures
    assert (dropped.item_id, dropped.stage, dropped.error, dropped.reason) == (
        "de",
        "language",
        "language de is not one of en",
        "filtered",
    )


def test_the_language_filter_is_one_setting_away_and_runs_before_repair(samples):
    names = [stage.name for stage in build_stages()]
    assert "language" not in names  # off by default
    stages = build_stages(settings_with({"filters.language.languages": ["fr"]}))
    names = [stage.name for stage in stages]
    assert names.index("language") < names.index("repair")
    docs = extract_files([str(path) for path in sorted(samples.iterdir())], Extract()).documents
    result = run_chunk(docs, stages)
    assert result.docs == []
    assert {(f.stage, f.error) for f in result.failures} == {
        ("language", "language en is not one of fr")
    }
    repair = next(stage for stage in stages if stage.name == "repair")
    assert repair.stats.received == 0  # nothing was repaired for nothing
