"""Data parallelism on CPU with the real wiring: `run --data-parallel-size 2` starts two rank
processes (each its own engine on its own core), and the merged file equals a one-process run's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eval_harness.parallel import rank_env, shard_path
from robustbench_tc.cli import main
from robustbench_tc.testing.mini_dataset import MINI_CONFIGS
from tests.eval_harness.test_transformers_e2e import comparable, run_args

REPO_ROOT = Path(__file__).resolve().parents[2]
EXTRA = ("--batch-size", "1", "--chunk-size", "2", "--max-tokens", "6")


def test_two_ranks_merge_to_the_one_process_file(
    mini_dataset: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    single, parallel = tmp_path / "single.jsonl", tmp_path / "dp.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1"}  # as each rank gets
    cmd = [sys.executable, "-m", "robustbench_tc", *run_args(mini_dataset, tiny_model_dir, single, *EXTRA)]
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=300)

    assert main(run_args(mini_dataset, tiny_model_dir, parallel, *EXTRA, "--data-parallel-size", "2")) == 0
    shards = [shard_path(parallel, r, 2) for r in range(2)]
    ids = [{json.loads(x)["id"] for x in p.read_text().splitlines()[1:]} for p in shards]
    assert ids[0] and ids[1] and not ids[0] & ids[1]  # samples split, every config of one on one rank
    assert comparable(parallel) == comparable(single)
    assert len(comparable(parallel)) == 1 + 3 * len(MINI_CONFIGS)

    # the same command again: nothing left to generate, the merge is redone identically
    assert main(run_args(mini_dataset, tiny_model_dir, parallel, *EXTRA, "--data-parallel-size", "2")) == 0
    assert comparable(parallel) == comparable(single)


@pytest.mark.parametrize(
    ("rank", "world", "tp", "gpus", "expected"),
    [
        (0, 4, 2, [str(i) for i in range(8)], {"CUDA_VISIBLE_DEVICES": "0,1"}),
        (3, 4, 2, [str(i) for i in range(8)], {"CUDA_VISIBLE_DEVICES": "6,7"}),
        (1, 2, 1, ["4", "5"], {"CUDA_VISIBLE_DEVICES": "5"}),
        (0, 2, 1, [], {"VLLM_CPU_OMP_THREADS_BIND": "0-0", "OMP_NUM_THREADS": "1"}),
    ],
)
def test_rank_devices(rank: int, world: int, tp: int, gpus: list[str], expected: dict[str, str]) -> None:
    assert rank_env(rank, world=world, tp=tp, gpus=gpus, cores=[0, 1]) == expected


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--data-parallel-size", "4", "--tensor-parallel-size", "2"], None),
        (["--shard", "2/2"], "--shard takes RANK/N"),
        (["--shard", "0/2", "--data-parallel-size", "2"], "either --data-parallel-size or --shard"),
    ],
)
def test_parallel_arguments_are_checked(
    mini_dataset: Path,
    tiny_model_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str | None,
) -> None:
    if message is None:  # 4 ranks x 2 GPUs on a machine with 2 cores and no GPU
        message = "needs at least 4 CPU cores" if len(os.sched_getaffinity(0)) < 4 else "GPUs"
        if len(os.sched_getaffinity(0)) >= 4:
            pytest.skip("this machine has enough cores for 4 CPU ranks")
    assert main(run_args(mini_dataset, tiny_model_dir, tmp_path / "p.jsonl", *extra)) == 2
    assert message in capsys.readouterr().err


def test_openai_backend_points_to_vllm_serve(tmp_path: Path, mini_dataset: Path, capsys) -> None:
    args = ["run", "--dataset", str(mini_dataset), "--model", "m", "--backend", "openai"]
    args += ["--base-url", "http://127.0.0.1:1/v1", "--out", str(tmp_path / "p.jsonl"), "--mode", "fc"]
    assert main([*args, "--data-parallel-size", "2"]) == 2
    assert "vllm serve MODEL --data-parallel-size N" in capsys.readouterr().err
