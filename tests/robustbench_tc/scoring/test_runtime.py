"""Scoring the runtime configs: server-side replay refuses forged tool messages, the runtime report's
figures, and the paper's columns unchanged by runtime records."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from robustbench_tc.gold import GoldRow
from robustbench_tc.predictions import (
    PredictionRecord,
    PredictionsFile,
    RunHeader,
    TrajectoryStep,
    parse_predictions,
)
from robustbench_tc.records import Sample
from robustbench_tc.scoring import score_predictions
from robustbench_tc.scoring.oracle import episode_record, oracle_records
from robustbench_tc.taxonomy import RUNTIME_CONFIG_NAMES
from robustbench_tc.world.axes import RuntimeBuild
from robustbench_tc.world.core import WORLD_VERSION
from robustbench_tc.world.replay import TrajectoryReplayError

N_BOOT = 500


def _samples(runtime_build: RuntimeBuild, clean: list[Sample] | None = None) -> dict[str, list[GoldRow]]:
    out = {c: [GoldRow.from_sample(r) for r in rows] for c, rows in runtime_build.configs.items()}
    if clean is not None:
        out = {"clean": [GoldRow.from_sample(s) for s in clean], **out}
    return out


def _file(records: list[PredictionRecord], world_version: int = WORLD_VERSION) -> PredictionsFile:
    header = RunHeader(model="m", engine="oracle", step_limit=4, world_version=world_version)
    return PredictionsFile(header=header, records=records)


def _agent_records(runtime_build: RuntimeBuild, agent: str) -> list[PredictionRecord]:
    return [episode_record(r, agent, 4) for rows in runtime_build.configs.values() for r in rows]


def test_the_oracle_replays_and_scores_one_everywhere(runtime_build: RuntimeBuild) -> None:
    report = score_predictions(
        _samples(runtime_build), _file(_agent_records(runtime_build, "oracle")), n_boot=N_BOOT
    )
    assert report.runtime is not None
    assert [a.config for a in report.runtime.axes] == list(RUNTIME_CONFIG_NAMES)
    for axis in report.runtime.axes:
        assert axis.accuracy.value == 1.0 and axis.n_predicted == axis.n
        if axis.config != "episode_clean":
            assert axis.drop is not None and axis.drop.value == 0.0
    by = {a.config: a for a in report.runtime.axes}
    assert by["tool_result_injection"].attack_success.value == 0.0  # type: ignore[union-attr]
    assert by["prerequisite_dependency"].recovery.value == 1.0  # type: ignore[union-attr]
    assert report.pert_acc is None and report.delta == {}  # runtime rows are never Pert. Acc. or a Δ


def test_drops_are_paired_with_the_clean_episode(runtime_build: RuntimeBuild) -> None:
    records = _agent_records(runtime_build, "never_retry")
    report = score_predictions(_samples(runtime_build), _file(records), n_boot=N_BOOT)
    assert report.runtime is not None
    rows = {(r.id, r.perturbation): r for r in report.rows}
    baseline = {r.id: r.correct for r in report.rows if r.perturbation == "episode_clean"}
    for axis in report.runtime.axes[1:]:
        mine = [r for k, r in rows.items() if k[1] == axis.config]
        expected = sum(baseline[r.id] - r.correct for r in mine) / len(mine)  # positive = worse
        assert axis.drop is not None and axis.drop.value == pytest.approx(expected)
        assert axis.drop.lo is not None and axis.drop.lo <= axis.drop.value <= axis.drop.hi  # type: ignore[operator]
    again = score_predictions(_samples(runtime_build), _file(records), n_boot=N_BOOT)
    assert again.runtime == report.runtime  # seeded draws


def _tamper_observation(r: PredictionRecord) -> PredictionRecord:
    steps = [s.model_copy(deep=True) for s in r.trajectory or []]
    step = next(s for s in steps if s.observations)
    step.observations[0] = (
        step.observations[0]
        .replace('"status": "error"', '"status": "success"')
        .replace("completed successfully", "completed successfully!")
    )
    return r.model_copy(update={"trajectory": steps})


def _cut_last(r: PredictionRecord) -> PredictionRecord:
    steps = (r.trajectory or [])[:-1]
    return r.model_copy(update={"trajectory": steps, "raw_output": steps[-1].output})


def _extra_step(r: PredictionRecord) -> PredictionRecord:
    steps = [*(r.trajectory or []), TrajectoryStep(output="And one more thing.")]
    return r.model_copy(update={"trajectory": steps, "raw_output": steps[-1].output})


TAMPERING: list[tuple[str, Callable[[PredictionRecord], PredictionRecord], str]] = [
    ("a tool message edited", _tamper_observation, "the tool messages differ from the world's"),
    ("the final answer dropped", _cut_last, "stops after step"),
    ("a turn after the answer", _extra_step, "goes on after the episode ended"),
]


@pytest.mark.parametrize(("what", "tamper", "says"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_forged_trajectories_are_refused_naming_the_records(
    runtime_build: RuntimeBuild, what: str, tamper: Callable[[PredictionRecord], PredictionRecord], says: str
) -> None:
    records = _agent_records(runtime_build, "oracle")
    target = next(i for i, r in enumerate(records) if r.perturbation == "prerequisite_dependency")
    records[target] = tamper(records[target])
    with pytest.raises(TrajectoryReplayError, match="nothing was scored") as caught:
        score_predictions(_samples(runtime_build), _file(records), n_boot=N_BOOT)
    assert records[target].id in str(caught.value) and says in str(caught.value)
    assert str(caught.value).startswith("1 runtime record(s)")


def test_another_world_version_is_refused(runtime_build: RuntimeBuild) -> None:
    with pytest.raises(TrajectoryReplayError, match=f"this scorer runs version {WORLD_VERSION}"):
        score_predictions(_samples(runtime_build), _file(_agent_records(runtime_build, "oracle"), WORLD_VERSION + 1),
                          n_boot=N_BOOT)  # fmt: skip


def test_the_reader_refuses_runtime_records_without_a_trajectory() -> None:
    bare = {"id": "a", "perturbation": "silent_noop", "raw_output": "done"}
    with pytest.raises(Exception, match="needs its 'trajectory'"):
        parse_predictions(json.dumps(bare))
    wrong = {**bare, "perturbation": "clean", "trajectory": [{"output": "done"}]}
    with pytest.raises(Exception, match="only runtime records carry a 'trajectory'"):
        parse_predictions(json.dumps(wrong))


def test_paper_columns_do_not_change_with_runtime_records(
    runtime_build: RuntimeBuild, clean_samples: list[Sample]
) -> None:
    samples = _samples(runtime_build, clean_samples)
    paper = oracle_records({"clean": clean_samples})
    paper[0] = paper[0].model_copy(update={"raw_output": "I cannot help."})
    runtime = _agent_records(runtime_build, "never_retry")
    alone = score_predictions({"clean": samples["clean"]}, _file(paper), n_boot=N_BOOT)
    both = score_predictions(samples, _file(paper + runtime), n_boot=N_BOOT)
    assert both.clean == alone.clean and both.pert_acc == alone.pert_acc and both.delta == alone.delta
    assert both.runtime is not None and alone.runtime is None
    assert [c for c in both.configs if c.config == "clean"] == [
        c for c in alone.configs if c.config == "clean"
    ]


def test_missing_runtime_records_count_as_wrong(runtime_build: RuntimeBuild) -> None:
    records = [
        r
        for r in _agent_records(runtime_build, "oracle")
        if r.perturbation != "silent_noop" or r.id[-1] != "1"
    ]
    report = score_predictions(_samples(runtime_build), _file(records), n_boot=N_BOOT)
    noop = next(a for a in report.runtime.axes if a.config == "silent_noop")  # type: ignore[union-attr]
    assert noop.n_predicted < noop.n and noop.error_modes["missing"] == noop.n - noop.n_predicted
    assert noop.accuracy.value == noop.n_predicted / noop.n
