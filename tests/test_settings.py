"""One settings model: ``IngestSettings``, as the flow's ``settings`` parameter, the
deployments' form and the command line's options and ``--set`` give it."""

import json

import pytest
from prefect.exceptions import ParameterTypeError
from prefect.utilities.callables import parameter_schema
from pydantic import ValidationError
from typer.testing import CliRunner

from pressroom.cli import SETTING_OPTIONS, app
from pressroom.flows.ingest import ingest
from pressroom.settings import (
    DedupSettings,
    FetchSettings,
    IngestSettings,
    ReadSettings,
    setting_paths,
    settings_with,
)
from tests.runs import run_pressroom

runner = CliRunner()


def test_settings_validate_from_nested_plain_data_and_refuse_unknown_names():
    settings = IngestSettings.model_validate(
        {"dedup": {"threshold": "0.5"}, "spin": {"context_words": 0}, "workers": 2}
    )
    assert settings.dedup == DedupSettings(threshold=0.5)
    assert settings.spin.context_words == 0 and settings.workers == 2
    assert settings.as_dict()["dedup"]["threshold"] == 0.5  # the manifest keeps the nesting
    for wrong in ({"dedup": {"treshold": 0.5}}, {"dedupe": {}}, {"workers": 0}):
        with pytest.raises(ValidationError):
            IngestSettings.model_validate(wrong)


def test_fetch_max_bytes_follows_read_max_bytes_unless_given():
    assert IngestSettings(read=ReadSettings(max_bytes=1000)).fetch.max_bytes == 1000
    assert settings_with({"read.max_bytes": 1000}).fetch.max_bytes == 1000
    both = settings_with({"read.max_bytes": 1000, "fetch.max_bytes": 5000})
    assert (both.read.max_bytes, both.fetch.max_bytes) == (1000, 5000)
    given = IngestSettings(read=ReadSettings(max_bytes=1000), fetch=FetchSettings())
    assert given.fetch.max_bytes == FetchSettings().max_bytes


def test_every_setting_has_a_dotted_path_and_unknown_paths_are_refused():
    paths = setting_paths()
    assert {"dedup.threshold", "spin.context_words", "fetch.retries", "workers"} <= set(paths)
    assert "filters.language.languages" in paths  # a filter's settings, two sections deep
    assert settings_with({"filters.language.languages": ["en"]}).filters.language.languages == (
        "en",
    )
    assert set(SETTING_OPTIONS.values()) <= set(paths)
    with pytest.raises(KeyError):
        settings_with({"dedup.nope": 1})


def resolve(schema: dict, node: dict) -> dict:
    """``node`` with its ``$ref`` (or its ``allOf``'s single ``$ref``) followed."""
    if "allOf" in node:
        node = node["allOf"][0]
    if "$ref" in node:
        return schema["definitions"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def test_the_deployment_form_shows_settings_as_a_nested_object():
    schema = parameter_schema(ingest).model_dump()
    properties = schema["properties"]
    assert {"paths", "out", "settings", "sources_file", "dask_address"} <= set(properties)
    assert "dedup_threshold" not in properties and "workers" not in properties
    settings = resolve(schema, properties["settings"])
    dedup = resolve(schema, settings["properties"]["dedup"])
    spin = resolve(schema, settings["properties"]["spin"])
    assert dedup["properties"]["threshold"]["default"] == DedupSettings().threshold
    assert spin["properties"]["context_words"]["type"] == "integer"
    assert "adapted" in spin["properties"]["context_words"]["description"]


def test_a_flow_run_validates_settings_given_as_plain_data():
    given = {"paths": ["data/samples"], "settings": {"dedup": {"threshold": 0.5}}}
    parameters = ingest.validate_parameters(json.loads(json.dumps(given)))
    assert isinstance(parameters["settings"], IngestSettings)
    assert parameters["settings"].dedup.threshold == 0.5
    with pytest.raises(ParameterTypeError, match="treshold"):
        ingest.validate_parameters({"paths": [], "settings": {"dedup": {"treshold": 0.5}}})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "dedup.nope=1"], "--set dedup.nope: no such setting"),
        (["--set", "dedup.threshold=high"], "invalid setting dedup.threshold='high'"),
        (["--set", "workers=0"], "invalid setting workers=0"),
        (["--set", "spin.context_words"], "expected SECTION.FIELD=VALUE"),
    ],
)
def test_a_bad_set_is_a_one_line_usage_error(args, message):
    result = runner.invoke(app, ["ingest", "data/samples", *args])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines


@pytest.mark.prefect
def test_options_and_set_reach_the_runs_parameters(samples, tmp_path):
    out = tmp_path / "out"
    args = ["--threshold", "0.6", "--max-bytes", "9000000", "--workers", "2", "--no-progress"]
    args += ["--set", "spin.context_words=0", "--set", "fetch.user_agent=tester"]
    args += ["--set", "dedup.threshold=0.7"]  # after the options: it wins
    args += ["--set", 'filters.language.languages=["en"]']
    completed = run_pressroom(
        "ingest", str(samples), "--out", str(out), *args, prefect_home=tmp_path
    )
    assert completed.returncode == 0, completed.stderr
    (manifest_path,) = (out / "runs").glob("*.json")
    manifest = json.loads(manifest_path.read_text())
    parameters = manifest["parameters"]
    assert parameters["spin"]["context_words"] == 0
    assert parameters["filters"]["language"]["languages"] == ["en"]
    assert manifest["stages"]["language"]["quarantined"] == 0  # the samples are English
    assert parameters["dedup"]["threshold"] == 0.7
    assert parameters["read"]["max_bytes"] == parameters["fetch"]["max_bytes"] == 9_000_000
    assert parameters["fetch"]["user_agent"] == "tester" and parameters["workers"] == 2
