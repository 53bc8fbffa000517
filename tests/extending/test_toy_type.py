"""A perturbation type defined only here (one taxonomy row, one transform, its audit) is built,
audited, scored and reported with no other change (docs/ARCHITECTURE.md, "Adding a perturbation
type")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from robustbench_tc.perturbations import TRANSFORMS, perturb
from robustbench_tc.perturbations.audit import audit_row
from robustbench_tc.perturbations.base import Context, always, register
from robustbench_tc.perturbations.text import query_text, with_query
from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample, Tool
from robustbench_tc.taxonomy import (
    Component,
    Method,
    PerturbationType,
    config_names,
    get_type,
    register_type,
    unregister_type,
)

CODE = "greeting"
GREETING = "Hi there! "
ROW = PerturbationType(
    CODE,
    "Greet",
    Component.OBSERVATION,
    Method.RULE,
    0,
    False,
    "user query (a greeting before it)",
    edits=frozenset({"query"}),
)


def _greeting_checks(clean: Sample, row: Sample, meta: dict[str, Any]) -> list[str]:
    v = (
        []
        if query_text(row) == GREETING + query_text(clean)
        else ["the query is not the greeting + the query"]
    )
    return v + (["the tools changed"] if row.tools != clean.tools else [])


def _greet(ctx: Context) -> Sample:
    row = with_query(ctx.sample, GREETING + query_text(ctx.sample))
    return ctx.finish(row, {"greeting": GREETING}, generated=False)


@pytest.fixture
def toy_type():
    register_type(ROW)
    register(CODE, always, _greeting_checks)(_greet)
    yield ROW
    TRANSFORMS.unregister(CODE)
    unregister_type(CODE)


def _sample() -> Sample:
    tool = Tool(name="get_weather", description="Current weather of a city.")
    return Sample(
        id="bfcl_v3__toy_1",
        source="bfcl_v3",
        messages=[Message(role="user", content="Weather in Oslo?")],
        tools=[tool],
        output_format="bfcl_ast",
        golden_answers=[GoldAnswer(calls=[GoldCall(name="get_weather", arguments={"city": ["Oslo"]})])],
    )


def test_one_row_one_transform_and_its_audit_make_a_type(toy_type):
    assert get_type("Greet") is ROW and CODE in config_names() and ROW.short == "Obs"
    clean = _sample()
    row = perturb(clean, CODE, seed=0)
    assert row is not None and row.messages[0].content == "Hi there! Weather in Oslo?"
    assert audit_row(clean, row) == []
    # the shared audit (driven by the row) and the type's own checks both catch a bad row
    unchanged = row.model_copy(deep=True)
    unchanged.messages[0].content = clean.messages[0].content
    assert "the query is unchanged" in audit_row(clean, unchanged)
    assert "the query is not the greeting + the query" in audit_row(clean, unchanged)
    extra = row.model_copy(deep=True)
    extra.tools.append(Tool(name="other"))
    assert "the tools changed" in audit_row(clean, extra)


def test_the_row_must_name_known_edit_targets():
    with pytest.raises(ValueError, match="unknown edit targets"):
        register_type(
            PerturbationType("x", "X", Component.OBSERVATION, Method.RULE, 0, False, "", frozenset({"qeury"}))
        )
    with pytest.raises(ValueError, match="already defined"):
        register_type(get_type("CD"))
    assert CODE not in config_names()


@pytest.mark.slow
def test_a_toy_type_is_built_scored_and_reported(toy_type, sources_dir, tmp_path: Path):
    from dataset_builder.build import build_dataset
    from robustbench_tc.gold import load_gold
    from robustbench_tc.predictions import read_predictions
    from robustbench_tc.scoring import score_predictions
    from robustbench_tc.scoring.oracle import write_oracle

    out = tmp_path / "dataset"
    build_dataset(sources_dir, out, configs=["clean", CODE], progress=False)
    assert len((out / "data" / f"{CODE}.jsonl").read_text(encoding="utf-8").splitlines()) == 199
    assert f"`{CODE}` | Greet | observation" in (out / "README.md").read_text(encoding="utf-8")
    report = score_predictions(
        load_gold(out), read_predictions(write_oracle(out, tmp_path / "o.jsonl")), n_boot=20
    )
    assert report.configs_scored == ["clean", CODE]
    assert report.delta["observation"].value == 0.0 and "Greet" in report.table()
