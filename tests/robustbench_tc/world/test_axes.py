"""The runtime rows: sizes and sources, determinism, and an audit that catches broken rows."""

from __future__ import annotations

from collections import Counter

import pytest

from robustbench_tc.records import Message, Sample, Tool
from robustbench_tc.taxonomy import RUNTIME_CONFIG_NAMES, get_type
from robustbench_tc.world.axes import (
    BUILDERS,
    MIN_ROWS,
    MIN_SOURCES,
    RuntimeBuild,
    build_runtime_configs,
    meets_bar,
)
from robustbench_tc.world.axes.base import shared_checks
from robustbench_tc.world.spec import parse_spec

BELOW_THE_BAR = {"stale_resource", "silent_noop"}
"""Where the sources' tools do not allow 100 rows (the card and docs say why)."""


def test_every_runtime_row_has_a_builder_and_every_row_meets_the_bar(runtime_build: RuntimeBuild) -> None:
    assert list(runtime_build.configs) == list(RUNTIME_CONFIG_NAMES) == list(BUILDERS)
    for config, rows in runtime_build.configs.items():
        sources = Counter(r.source for r in rows)
        assert len(sources) >= MIN_SOURCES, (config, sources)
        assert meets_bar(rows) is (config not in BELOW_THE_BAR), (config, len(rows))
        assert all(r.perturbation == config and r.generator == "runtime" for r in rows)
        if config in BELOW_THE_BAR:
            assert 0 < len(rows) < MIN_ROWS


def test_rows_pair_with_the_clean_episode_baseline(runtime_build: RuntimeBuild) -> None:
    baseline = {r.base_id for r in runtime_build.configs["episode_clean"]}
    for config, rows in runtime_build.configs.items():
        assert {r.base_id for r in rows} <= baseline, config


def test_build_is_deterministic_and_seeded(clean_samples: list[Sample], runtime_build: RuntimeBuild) -> None:
    again = build_runtime_configs(clean_samples, seed=0, audit=False)
    assert {c: [r.to_row() for r in rows] for c, rows in again.configs.items()} == {
        c: [r.to_row() for r in rows] for c, rows in runtime_build.configs.items()
    }
    other = build_runtime_configs(clean_samples, seed=1, configs=["tool_result_injection"], audit=False)
    first = [r.perturbation_metadata for r in runtime_build.configs["tool_result_injection"]]
    assert [r.perturbation_metadata for r in other.configs["tool_result_injection"]] != first


def _break(row: Sample, how: str) -> Sample:
    broken = row.model_copy(deep=True)
    if how == "gold":
        broken.golden_answers[0].calls[0].name = "something_else"
    elif how == "messages":
        broken.messages = [Message(role="user", content="another query")]
    elif how == "tools":
        broken.tools = [*broken.tools, Tool(name="extra")]
    elif how == "spec":
        broken.perturbation_metadata = {**broken.perturbation_metadata, "world": None}
    return broken


@pytest.mark.parametrize(
    ("config", "how", "says"),
    [
        ("tool_result_injection", "gold", "golden_answers differs"),
        ("tool_result_injection", "messages", "messages differ"),
        ("fabricated_observation", "tools", "tools or system prompt differ"),
        ("stale_resource", "spec", "world fault None"),
    ],
)
def test_shared_audit_catches_broken_rows(runtime_build: RuntimeBuild, clean_samples: list[Sample],
                                           config: str, how: str, says: str) -> None:  # fmt: skip
    row = runtime_build.configs[config][0]
    clean = next(s for s in clean_samples if s.id == row.id)
    assert shared_checks(clean, row) == []
    assert any(says in p for p in shared_checks(clean, _break(row, how)))


@pytest.mark.parametrize("config", RUNTIME_CONFIG_NAMES)
def test_axis_checks_pass_on_built_rows_and_specs_parse(runtime_build: RuntimeBuild, clean_samples: list[Sample],
                                                        config: str) -> None:  # fmt: skip
    by_id = {s.id: s for s in clean_samples}
    fault = get_type(config).axis.fault  # type: ignore[union-attr]
    for row in runtime_build.configs[config]:
        assert BUILDERS.get(config).checks(by_id[row.id], row) == []
        spec = parse_spec(row.perturbation_metadata.get("world"))
        assert (spec.kind if spec else "") == fault


def test_axis_checks_catch_what_only_they_promise(
    runtime_build: RuntimeBuild, clean_samples: list[Sample]
) -> None:
    by_id = {s.id: s for s in clean_samples}
    row = runtime_build.configs["fabricated_observation"][0]
    world = dict(row.perturbation_metadata["world"])
    world["value"] = (
        row.golden_answers[0].calls[0].arguments[world["parameter"]][0]
    )  # not a fabrication at all
    bad = row.model_copy(update={"perturbation_metadata": {**row.perturbation_metadata, "world": world}})
    assert any(
        "acceptable gold value" in p
        for p in BUILDERS.get("fabricated_observation").checks(by_id[row.id], bad)
    )
    row = runtime_build.configs["context_pressure"][0]
    bad = row.model_copy(update={"perturbation_metadata": {**row.perturbation_metadata, "history_chars": 1}})
    assert any("history_chars" in p for p in BUILDERS.get("context_pressure").checks(by_id[row.id], bad))


def test_context_pressure_sizes_are_recorded(runtime_build: RuntimeBuild) -> None:
    from robustbench_tc.world.axes.context_pressure import SIZES_CHARS

    rows = runtime_build.configs["context_pressure"]
    targets = Counter(r.perturbation_metadata["target_chars"] for r in rows)
    assert set(targets) == set(SIZES_CHARS)
    for row in rows:
        meta = row.perturbation_metadata
        assert meta["history_chars"] >= meta["target_chars"] or meta["exchanges"] >= 1
        assert meta["history_tokens_approx"] == meta["history_chars"] // 4
