"""DR+T on 2 processes (gloo on CPU): every rank makes the same generation calls whatever its faults,
and a 2-process `accelerate launch` of the tiny DR+T config finishes its evaluation (issue 24).

Before the fix a rank without a faulted episode skipped turn 2 while the other generated it; under
ZeRO-3 that is a hang. ``train/multi_gpu_check.py --cpu`` runs the real rollout in the worst case
(rank 0's rows always fault, rank 1's never) with an all-gather at every generation call, as ZeRO-3's
weight gather does, so a skipped generation fails the run instead of passing unseen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # multi-process runs on CPU


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    cache = tmp_path_factory.mktemp("hf-cache")
    return {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_CACHE": str(cache), "OMP_NUM_THREADS": "1",
            "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(REPO)}  # fmt: skip


@pytest.fixture(scope="module")
def data(sources_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from train.build_data import TRAIN_FILE, VALIDATION_FILE, TrainDataConfig, make_train_data

    out = tmp_path_factory.mktemp("toolrl-dr")
    config = TrainDataConfig(train=str(sources_dir / TRAIN_FILE), validation=str(sources_dir / VALIDATION_FILE),
                             variants=("dr_full",), limit=16)  # fmt: skip
    make_train_data(config, out, progress=False)
    return out


def run(cmd: list[str], env: dict[str, str], timeout: int = 400) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; past ``timeout`` keep the stacks of every process under it, kill them all (the
    ranks run in sessions of their own and hold our pipes, so killing the launcher's group is not
    enough) and fail with what they printed and where they waited."""
    from robustbench_tc.processes import descendants, kill_tree, stack_dumps

    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stacks = stack_dumps(descendants(proc.pid))
        kill_tree(proc.pid)
        out, err = proc.communicate(timeout=60)
        pytest.fail(f"{' '.join(cmd[:4])} ... ran past {timeout} s:\n{out[-3000:]}\n{err[-6000:]}\n{stacks}")
    finally:  # also when pytest-timeout or Ctrl-C interrupts the wait
        if proc.poll() is None:
            kill_tree(proc.pid)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def test_two_ranks_with_different_faults_make_the_same_generation_calls(
    data: Path, env: dict[str, str], tmp_path: Path
) -> None:
    done = run([sys.executable, "train/multi_gpu_check.py", "--cpu", "--data", str(data), "--out", str(tmp_path),
                "--collective-timeout", "60", "--timeout", "300"], env)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["processes"] for r in ranks] == [2, 2] and "MULTI_CPU" in ranks[0]["distributed_type"]
    assert ranks[0]["generation_calls"] == ranks[1]["generation_calls"] > 0
    faulted, clean = ranks[0]["ledger"], ranks[1]["ledger"]
    for mode in ("train", "eval"):
        # rank 0's faulted episodes took a second turn; rank 1 met each one with no-op prompts
        assert faulted[mode]["calls"] == clean[mode]["calls"] == 2 * (faulted[mode]["calls"] // 2) > 0
        assert faulted[mode]["prompts"] == clean[mode]["prompts"]
        assert faulted[mode]["padding"] == 0 and clean[mode]["padding"] == clean[mode]["prompts"] // 2
    assert all(r["parity"]["equal"] for r in ranks)
    assert ranks[0]["eval"] and ranks[0]["eval"][0]["step"] == 2
    assert "no rank waited on a collective" in done.stdout and "evaluation: ran at step 2" in done.stdout


def test_accelerate_launch_of_the_tiny_dr_t_config_finishes_its_evaluation(
    data: Path, env: dict[str, str], tmp_path: Path
) -> None:
    from robustbench_tc.testing.tiny_model import build_tiny_model

    model = build_tiny_model(tmp_path / "model")
    # --ddp_timeout: a rank left waiting on a collective fails the run with a traceback, not a hang
    grpo = ["train/grpo.py", "--config", "train/configs/tiny_cpu_dr_t.yaml", "--model_name_or_path", str(model),
            "--dataset_name", str(data), "--output_dir", str(tmp_path / "run"), "--max_prompt_length", "2048",
            "--eval_strategy", "steps", "--eval_steps", "2", "--max_eval_samples", "8",
            "--ddp_timeout", "120"]  # fmt: skip
    from train.multi_gpu_check import free_port

    launch = [sys.executable, "-m", "accelerate.commands.launch", "--main_process_port", str(free_port())]
    # the literal `--cpu --num_processes 2` starts one process (accelerate needs an MPI hostfile for
    # more); with the config's own accumulation the batch check passes, so only check_cpu_launch stops it
    # before it trains on one process without a word
    single = run([*launch, "--cpu", "--num_processes", "2", *grpo], env)
    assert single.returncode != 0
    said = single.stdout + single.stderr
    stopped = "error: accelerate launch --cpu started 1 process although more were asked for"
    assert stopped in said, said[-3000:]
    assert "accelerate_2proc_cpu.yaml" in said  # (accelerate itself then prints a traceback)
    two = run([*launch, "--config_file", "train/configs/accelerate_2proc_cpu.yaml", *grpo,
               "--gradient_accumulation_steps", "2"], env)  # fmt: skip
    assert two.returncode == 0, two.stdout[-3000:] + two.stderr[-6000:]
    history = json.loads((tmp_path / "run" / "trainer_state.json").read_text())["log_history"]
    assert [h["step"] for h in history if "eval_loss" in h] == [2]
    assert any("eval_rewards/drt_correctness_reward/mean" in h for h in history)
    parity = json.loads((tmp_path / "run" / "generation_parity.json").read_text())
    assert parity["equal"] and len(parity["ranks"]) == 2
