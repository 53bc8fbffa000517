"""End to end on the full built dataset: the oracle scores 1.000 on every config, partial files,
the paired test, determinism, and the ``score`` / ``oracle`` commands."""

from __future__ import annotations

import json

import pytest

from robustbench_tc.cli import main
from robustbench_tc.dataset import load_samples
from robustbench_tc.predictions import PredictionRecord, PredictionsFile, read_predictions
from robustbench_tc.scoring import score_predictions, score_sample
from robustbench_tc.scoring.oracle import gold_arguments, oracle_records, write_oracle
from robustbench_tc.taxonomy import CONFIG_NAMES, config_names, is_transition

N_BOOT = 300


@pytest.fixture(scope="module")
def samples(built_dataset):
    """The paper's 23 configs (the runtime configs have their own tests: scoring/test_runtime.py)."""
    return load_samples(built_dataset, CONFIG_NAMES)


@pytest.fixture(scope="module")
def oracle(samples) -> PredictionsFile:
    return PredictionsFile(records=oracle_records(samples))


def _corrupt(oracle: PredictionsFile, every: int) -> PredictionsFile:
    records = [
        r.model_copy(update={"raw_output": "Sorry, the tool seems to have failed."}) if i % every == 0 else r
        for i, r in enumerate(oracle.records)
    ]
    return PredictionsFile(records=records)


def test_oracle_scores_one_on_every_config_of_the_full_dataset(built_dataset, tmp_path):
    samples = load_samples(built_dataset)  # the paper's configs and the runtime configs
    path = write_oracle(built_dataset, tmp_path / "oracle.jsonl")
    known = {s.key for rows in samples.values() for s in rows}
    predictions = read_predictions(path, known_keys=known)
    assert predictions.header.model == "oracle" and len(predictions.records) == len(known)
    report = score_predictions(samples, predictions, n_boot=N_BOOT)
    assert report.complete and report.configs_scored == config_names()
    assert not report.missing_configs and report.n_missing_records == 0 and report.n_unknown_records == 0
    bad = {c.config: c.acc.value for c in report.configs if c.acc.value != 1.0}
    assert not bad, bad
    assert report.clean.value == report.pert_acc.value == 1.0
    assert all(d.value == 0.0 for d in report.delta.values())
    assert report.error_modes["correct"] == len(known)
    assert report.runtime is not None and all(a.accuracy.value == 1.0 for a in report.runtime.axes)
    failing = [r.id for r in report.rows if r.correct != 1.0]
    assert not failing


def _openai(calls) -> str:
    return json.dumps(
        [
            {"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
            for i, (n, a) in enumerate(calls)
        ]
    )


def _hermes(calls) -> str:
    return "\n".join(f"<tool_call>{json.dumps({'name': n, 'arguments': a})}</tool_call>" for n, a in calls)


def _blob(calls) -> str:
    return "Here you go:\n```json\n" + json.dumps([{"tool": n, "args": a} for n, a in calls]) + "\n```"


@pytest.mark.parametrize("render", [_openai, _hermes, _blob], ids=["openai_fc", "hermes", "json_blob"])
def test_gold_in_other_output_formats_still_scores_one(samples, render):
    """Format tolerance on real gold: every clean sample's answer written in non-canonical formats."""
    failures = []
    for sample in samples["clean"]:
        calls = [(c.name, gold_arguments(c, sample.source)) for c in sample.golden_answers[0].calls]
        result = score_sample(sample, render(calls))
        if result.correct != 1.0:
            failures.append((sample.id, result.error_mode))
    assert not failures, failures[:5]


def test_partial_file_scores_covered_configs_and_reports_the_rest(samples, oracle):
    keep = [r for r in oracle.records if r.perturbation in ("clean", "CD")]
    dropped = [r.key for r in keep if r.perturbation == "CD"][:3]
    keep = [r for r in keep if r.key not in dropped]
    keep.append(PredictionRecord(id="nope__1", perturbation="clean", raw_output="x"))
    report = score_predictions(samples, PredictionsFile(records=keep), n_boot=N_BOOT)
    assert report.configs_scored == ["clean", "CD"] and not report.complete
    assert set(report.missing_configs) == set(CONFIG_NAMES) - {"clean", "CD"}
    cd = next(c for c in report.configs if c.config == "CD")
    assert cd.n_missing == 3 and cd.error_modes["missing"] == 3
    assert cd.acc.value == pytest.approx((cd.n - 3) / cd.n)
    assert [(k.id, k.perturbation) for k in report.missing_records] == dropped
    assert [(k.id, k.perturbation) for k in report.unknown_records] == [("nope__1", "clean")]
    assert report.pert_acc.value == cd.acc.value and set(report.delta) == {"reward"}


def test_paired_test_identical_and_very_different_runs(samples, oracle):
    same = score_predictions(samples, oracle, reference=oracle, n_boot=N_BOOT)
    assert same.paired and all(t.p_value == 1.0 and t.diff == 0.0 for t in same.paired)
    worse = _corrupt(oracle, every=2)
    diff = score_predictions(samples, oracle, reference=worse, n_boot=N_BOOT)
    tests = {t.metric: t for t in diff.paired}
    assert tests["pert_acc"].p_value < 0.05 and tests["pert_acc"].diff > 0.4 and tests["pert_acc"].stars
    assert tests["clean"].lo > 0


def test_reference_sharing_outputs_scores_each_file_as_alone(samples, oracle):
    """The run and its reference share one memo of (record, output) -> score: every row, mode and
    aggregate of each file is what scoring that file alone gives."""
    run, ref = _corrupt(oracle, every=2), _corrupt(oracle, every=3)
    paired = score_predictions(samples, run, reference=ref, n_boot=N_BOOT)
    for alone, file in ((paired, run), (score_predictions(samples, ref, reference=run, n_boot=N_BOOT), ref)):
        single = score_predictions(samples, file, n_boot=N_BOOT)
        assert [r.model_dump() for r in alone.rows] == [r.model_dump() for r in single.rows]
        assert alone.error_modes == single.error_modes and alone.pert_acc.value == single.pert_acc.value


def test_bootstrap_is_deterministic(samples, oracle):
    run = _corrupt(oracle, every=3)
    a = score_predictions(samples, run, n_boot=N_BOOT, seed=1)
    b = score_predictions(samples, run, n_boot=N_BOOT, seed=1)
    c = score_predictions(samples, run, n_boot=N_BOOT, seed=2)
    assert a.model_dump_json() == b.model_dump_json()
    assert a.pert_acc.value == c.pert_acc.value and (a.pert_acc.lo, a.pert_acc.hi) != (
        c.pert_acc.lo,
        c.pert_acc.hi,
    )
    clustered = score_predictions(samples, run, n_boot=N_BOOT, seed=1, cluster=True)
    assert clustered.cluster and clustered.pert_acc.value == a.pert_acc.value


def test_error_modes_and_transition_records(samples, oracle):
    run = _corrupt(oracle, every=3)
    report = score_predictions(samples, run, n_boot=50)
    assert report.error_modes["omitted"] == sum(1 for i in range(len(oracle.records)) if i % 3 == 0)
    assert sum(report.error_modes.values()) == report.n_records
    rows = {(r.id, r.perturbation): r for r in report.rows}
    for record in run.records:
        if is_transition(record.perturbation):
            assert record.transition_injected is True
        assert rows[record.key].correct == (0.0 if "failed" in record.raw_output else 1.0)
    json.loads(report.model_dump_json())  # serialisable
    assert "Pert. Acc." in report.table()


def test_cli_oracle_and_score(built_dataset, tmp_path, capsys):
    oracle_path = tmp_path / "oracle.jsonl"
    assert (
        main(
            ["oracle", "--dataset", str(built_dataset), "--out", str(oracle_path), "--configs", "clean", "CD"]
        )
        == 0
    )
    out_json, rows = tmp_path / "report.json", tmp_path / "rows.jsonl"
    code = main(
        [
            "score",
            str(oracle_path),
            "--dataset",
            str(built_dataset),
            "--reference",
            str(oracle_path),
            "--json",
            str(out_json),
            "--per-sample",
            str(rows),
            "--n-boot",
            "100",
            "--cluster",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "Clean" in printed and "missing configs" in printed and "paired bootstrap" in printed
    report = json.loads(out_json.read_text())
    assert report["clean"]["value"] == 1.0 and report["cluster"] is True
    lines = [json.loads(line) for line in rows.read_text().splitlines()]
    assert len(lines) == report["n_records"] and set(lines[0]) == {
        "id",
        "perturbation",
        "source",
        "correct",
        "error_mode",
        "n_calls",
        "ghost_calls",
    }
    assert report["n_calls"] > 0 and report["n_ghost_calls"] == 0 and report["ghost_rate"] == 0.0


def test_cli_errors_are_one_line(built_dataset, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"\x00binary")
    assert main(["score", str(bad), "--dataset", str(built_dataset)]) == 2
    assert "binary content" in capsys.readouterr().err
    assert main(["score", str(bad), "--dataset", str(tmp_path)]) == 2
    assert "not a RobustBench-TC dataset folder" in capsys.readouterr().err
