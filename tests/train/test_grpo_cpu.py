"""End to end on CPU: DR-Full data from the real sources, 2 GRPO steps of a tiny model with the real
reward, then the checkpoint through the harness and the scorer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from robustbench_tc.cli import main as rbtc
from tests.support.tiny_model import build_tiny_model

REPO = Path(__file__).resolve().parents[2]


def run(cmd: list[str], env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return done


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    cache = tmp_path_factory.mktemp("hf-cache")
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_CACHE": str(cache / "datasets"),
        "TOKENIZERS_PARALLELISM": "false",
        "TRANSFORMERS_VERBOSITY": "error",
    }


@pytest.fixture(scope="module")
def dr_full(sources_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("toolrl-dr")
    argv = ["make-train-data", "--sources", str(sources_dir), "--out", str(out),
            "--variants", "dr_full", "--limit", "16", "--seed", "3", "--no-progress"]
    assert rbtc(argv) == 0
    return out


@pytest.fixture(scope="module")
def trained(dr_full: Path, env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")
    out = tmp_path_factory.mktemp("run") / "ckpt"
    run([sys.executable, "train/grpo.py", "--config", "train/configs/tiny_cpu.yaml",
         "--model_name_or_path", str(base), "--dataset_name", str(dr_full), "--output_dir", str(out)], env)
    return base, out


def test_training_data_is_all_perturbed(dr_full: Path) -> None:
    manifest = json.loads((dr_full / "manifest.json").read_text())
    from robustbench_tc.taxonomy import static_types

    static = {t.code_name for t in static_types()}
    for split in ("dr_full", "validation"):
        assert manifest["counts"][split] > 0
        assert set(manifest["perturbations"][split]) <= static


def test_two_steps_change_the_weights(trained: tuple[Path, Path]) -> None:
    from safetensors.torch import load_file

    base, out = trained
    before, after = load_file(base / "model.safetensors"), load_file(out / "model.safetensors")
    assert before.keys() == after.keys()
    changed = [k for k in before if not (before[k] == after[k]).all()]
    assert changed, "no parameter changed after 2 GRPO steps"


def test_each_reward_component_and_kl_are_logged(trained: tuple[Path, Path]) -> None:
    _, out = trained
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    steps = [h for h in history if "loss" in h]
    assert len(steps) == 2
    for entry in steps:
        assert 0.0 <= entry["rewards/toolrl_format_reward/mean"] <= 1.0
        assert -3.0 <= entry["rewards/toolrl_correctness_reward/mean"] <= 3.0
        assert "kl" in entry and entry["kl"] >= 0.0
    run_info = json.loads((out / "toolrl_dr_run.json").read_text())
    assert run_info["grpo_config"]["beta"] == 0.001 and run_info["train_rows"] == 8


def test_checkpoint_runs_in_the_harness_and_scores(
    trained: tuple[Path, Path], built_dataset: Path, env: dict[str, str], tmp_path: Path
) -> None:
    _, out = trained
    preds = tmp_path / "preds.jsonl"
    rbtc_cmd = [sys.executable, "-m", "robustbench_tc"]
    run([*rbtc_cmd, "run", "--dataset", str(built_dataset), "--model", str(out), "--backend", "transformers",
         "--out", str(preds), "--configs", "clean", "--limit", "2", "--max-tokens", "32", "--no-progress"], env)
    records = [json.loads(line) for line in preds.read_text().splitlines() if line.strip()]
    assert records[0]["header"]["model"] == str(out)
    rows = [r for r in records if "header" not in r]
    assert len(rows) == 2 and all(r["error"] is None and r["perturbation"] == "clean" for r in rows)
    per_sample, report = tmp_path / "per_sample.jsonl", tmp_path / "report.json"
    run([*rbtc_cmd, "score", str(preds), "--dataset", str(built_dataset), "--per-sample", str(per_sample),
         "--json", str(report), "--n-boot", "200"], env)
    scored = [json.loads(line) for line in per_sample.read_text().splitlines() if line.strip()]
    ours = {r["id"] for r in rows}
    assert ours <= {r["id"] for r in scored}
    # the two predictions were matched to their samples; every other clean sample is "missing"
    assert json.loads(report.read_text())["n_missing_records"] == len(scored) - len(ours)
