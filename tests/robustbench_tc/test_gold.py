"""The gold index: the same rows and verdicts as the data files, used only while it is current."""

from __future__ import annotations

import json
import random
import shutil

import pytest

from robustbench_tc.dataset import DatasetError, config_path, load_samples
from robustbench_tc.gold import GoldRow, gold_index_path, load_gold, read_gold_index
from robustbench_tc.predictions import PredictionsFile
from robustbench_tc.scoring import score_predictions
from robustbench_tc.scoring.oracle import oracle_records
from robustbench_tc.taxonomy import CLEAN


@pytest.fixture(scope="module")
def samples(built_dataset):
    return load_samples(built_dataset)


@pytest.fixture
def copied_dataset(built_dataset, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(built_dataset, out)
    return out


def _mixed_outputs(samples, seed: int) -> PredictionsFile:
    """The gold with a third of the outputs broken in several ways, some records left out."""
    rng = random.Random(seed)
    records = []
    for record in oracle_records(samples):
        roll = rng.random()
        if roll < 0.05:
            continue
        if roll < 0.35 and record.trajectory is None:  # a runtime record's output is its trajectory's
            raw = record.raw_output
            raw = ["", "No tool needed.", raw.replace('"', "'", 3), raw[: len(raw) // 2], raw + raw][
                rng.randrange(5)
            ]
            record = record.model_copy(update={"raw_output": raw})
        records.append(record)
    return PredictionsFile(records=records)


def test_index_rows_equal_rows_read_from_the_data_files(built_dataset, samples):
    from_index = load_gold(built_dataset)
    assert read_gold_index(built_dataset) is not None
    assert list(from_index) == list(samples)
    for config, rows in samples.items():
        assert from_index[config] == [GoldRow.from_sample(s) for s in rows], config


@pytest.mark.parametrize("seed", [0, 1])
def test_scoring_on_the_index_gives_the_same_report(built_dataset, samples, seed):
    predictions, reference = _mixed_outputs(samples, seed), _mixed_outputs(samples, seed + 10)
    full = score_predictions(samples, predictions, reference=reference, n_boot=200, seed=seed)
    fast = score_predictions(
        load_gold(built_dataset), predictions, reference=reference, n_boot=200, seed=seed
    )
    assert fast.rows == full.rows
    assert fast.model_dump() == full.model_dump()
    assert {r.error_mode for r in fast.rows} >= {
        "correct",
        "empty",
        "omitted",
        "parameter_mismatch",
        "missing",
    }


def test_an_edited_data_file_makes_the_index_stale(copied_dataset):
    path = config_path(copied_dataset, CLEAN)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    row = json.loads(lines[0])
    answers = json.loads(row["golden_answers"])
    answers[0]["calls"][0]["name"] = "edited_tool"
    row["golden_answers"] = json.dumps(answers)
    lines[0] = json.dumps(row, ensure_ascii=False) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    assert read_gold_index(copied_dataset) is None
    assert load_gold(copied_dataset, [CLEAN])[CLEAN][0].golden_answers[0].calls[0].name == "edited_tool"


@pytest.mark.parametrize("change", ["deleted", "garbled", "other format", "config removed"])
def test_a_missing_or_unusable_index_falls_back_to_the_data_files(copied_dataset, samples, change):
    index = gold_index_path(copied_dataset)
    if change == "deleted":
        index.unlink()
    elif change == "garbled":
        index.write_text("{not json", encoding="utf-8")
    elif change == "other format":
        doc = json.loads(index.read_bytes())
        index.write_text(json.dumps({**doc, "format": 999}), encoding="utf-8")
    else:
        config_path(copied_dataset, "CD").unlink()
    assert read_gold_index(copied_dataset) is None
    rows = load_gold(copied_dataset)
    assert rows[CLEAN] == [GoldRow.from_sample(s) for s in samples[CLEAN]]
    assert ("CD" in rows) == (change != "config removed")


def test_load_gold_errors_like_load_samples(copied_dataset, tmp_path):
    with pytest.raises(DatasetError, match="not a RobustBench-TC dataset folder"):
        load_gold(tmp_path / "nowhere")
    with pytest.raises(DatasetError, match="did you mean 'clean'"):
        load_gold(copied_dataset, ["claen"])
    config_path(copied_dataset, "CD").unlink()
    with pytest.raises(DatasetError, match="config 'CD' is missing"):
        load_gold(copied_dataset, ["CD"])
