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
from robustbench_tc.testing.tiny_model import build_tiny_model
from train.drt_experiment.warm_start import layout_answers, warm_start

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # two GRPO runs of a tiny model on CPU


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
    argv = [
        "make-train-data",
        "--sources",
        str(sources_dir),
        "--out",
        str(out),
        "--variants",
        "dr_full",
        "--limit",
        "16",
        "--seed",
        "3",
        "--no-progress",
    ]
    assert rbtc(argv) == 0
    return out


@pytest.fixture(scope="module")
def trained(
    dr_full: Path, env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    base = build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")
    out = tmp_path_factory.mktemp("run") / "ckpt"
    run(
        [
            sys.executable,
            "train/grpo.py",
            "--config",
            "train/configs/tiny_cpu.yaml",
            "--model_name_or_path",
            str(base),
            "--dataset_name",
            str(dr_full),
            "--output_dir",
            str(out),
        ],
        env,
    )
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
    run(
        [
            *rbtc_cmd,
            "run",
            "--dataset",
            str(built_dataset),
            "--model",
            str(out),
            "--backend",
            "transformers",
            "--out",
            str(preds),
            "--configs",
            "clean",
            "--limit",
            "2",
            "--max-tokens",
            "32",
            "--no-progress",
        ],
        env,
    )
    records = [json.loads(line) for line in preds.read_text().splitlines() if line.strip()]
    assert records[0]["header"]["model"] == str(out)
    rows = [r for r in records if "header" not in r]
    assert len(rows) == 2 and all(r["error"] is None and r["perturbation"] == "clean" for r in rows)
    per_sample, report = tmp_path / "per_sample.jsonl", tmp_path / "report.json"
    run(
        [
            *rbtc_cmd,
            "score",
            str(preds),
            "--dataset",
            str(built_dataset),
            "--per-sample",
            str(per_sample),
            "--json",
            str(report),
            "--n-boot",
            "200",
        ],
        env,
    )
    scored = [json.loads(line) for line in per_sample.read_text().splitlines() if line.strip()]
    ours = {r["id"] for r in rows}
    assert ours <= {r["id"] for r in scored}
    # the two predictions were matched to their samples; every other clean sample is "missing"
    assert json.loads(report.read_text())["n_missing_records"] == len(scored) - len(ours)


# --- the reward, not only the entropy term, moves the policy -----------------------------------
# A random model earns one reward for every completion, so the test above would pass on the
# entropy bonus and weight decay alone. Here the model first learns to sample two layouts per
# prompt; with both terms off, only the advantages of differing rewards can change the weights.

TRAIN_ROWS = 8  # tiny_cpu.yaml's max_train_samples: the rows GRPO sees


def _train_rows(dr_full: Path) -> list[dict]:
    import datasets

    rows = datasets.Dataset.from_parquet(str(dr_full / "data" / "dr_full-train.parquet"))
    return rows.select(range(TRAIN_ROWS)).to_list()


def _layout_margin(model_dir: Path, rows: list[dict]) -> float:
    """Mean over rows of log p(right layout) - log p(wrong layout) under the model at ``model_dir``."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()

    def logp(prompt: list[int], answer: str) -> float:
        target = tokenizer(answer, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        ids = torch.tensor([prompt + target])
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0, len(prompt) - 1 : -1]
        return logits.log_softmax(-1).gather(1, torch.tensor(target)[:, None]).sum().item()

    margins = []
    for row in rows:
        prompt = tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True, tokenize=True,
                                               return_dict=True)["input_ids"]  # fmt: skip
        right, wrong = layout_answers(row["ground_truth"])
        margins.append(logp(prompt, right) - logp(prompt, wrong))
    return sum(margins) / len(margins)


@pytest.fixture(scope="module")
def reward_trained(
    dr_full: Path, env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    base = build_tiny_model(tmp_path_factory.mktemp("warm") / "model")
    warm_start(base, _train_rows(dr_full))
    out = tmp_path_factory.mktemp("reward-run") / "ckpt"
    run([sys.executable, "train/grpo.py", "--config", "train/configs/tiny_cpu.yaml",
         "--model_name_or_path", str(base), "--dataset_name", str(dr_full), "--output_dir", str(out),
         "--entropy_coef", "0", "--weight_decay", "0", "--learning_rate", "1e-3",
         "--max_completion_length", "64"], env)  # fmt: skip
    return base, out


def test_warm_start_gives_groups_with_differing_rewards(reward_trained: tuple[Path, Path]) -> None:
    _, out = reward_trained
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    steps = [h for h in history if "loss" in h]
    assert len(steps) == 2
    assert any(h["reward_std"] > 0 for h in steps), steps
    assert min(h["frac_reward_zero_std"] for h in steps) < 1.0, steps


def test_reward_alone_moves_the_policy_toward_the_right_layout(
    reward_trained: tuple[Path, Path], dr_full: Path
) -> None:
    from safetensors.torch import load_file

    base, out = reward_trained
    before, after = load_file(base / "model.safetensors"), load_file(out / "model.safetensors")
    assert any(not (before[k] == after[k]).all() for k in before), (
        "entropy and weight decay are off: no change"
    )
    rows = _train_rows(dr_full)
    assert _layout_margin(out, rows) > _layout_margin(base, rows)
