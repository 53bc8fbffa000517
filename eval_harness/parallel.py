"""Data parallelism for large sweeps: one model, N engine replicas, one process per rank.

``robustbench-tc run --data-parallel-size N`` starts N rank processes (``multiprocessing``
spawn). Rank ``r`` runs the samples whose position in the dataset is ``r`` modulo ``N`` (every
config of a sample stays on one rank, so the clean row and its transition copies still share
pass 1) and writes its own resumable file ``OUT.rank<r>-of-<N>.jsonl``. On a GPU node rank ``r``
sees GPUs ``r*TP .. r*TP+TP-1`` (``CUDA_VISIBLE_DEVICES``, TP = ``--tensor-parallel-size``); on a
CPU each rank gets its own slice of the cores (``VLLM_CPU_OMP_THREADS_BIND`` /
``OMP_NUM_THREADS``) and 1/N of the memory budget. When every rank is done their records are
merged into ``--out``, which then equals a single-process run's file (the shard files stay, so
running the same command again resumes or re-merges). SIGTERM/SIGINT to the parent is passed to
every rank; each shuts its engine down and keeps its finished chunks.

>>> rank_env(1, world=2, tp=2, gpus=["0", "1", "2", "3"], cores=[0, 1, 2, 3])
{'CUDA_VISIBLE_DEVICES': '2,3'}
>>> rank_env(1, world=2, tp=1, gpus=[], cores=[0, 1, 2, 3])
{'VLLM_CPU_OMP_THREADS_BIND': '2-3', 'OMP_NUM_THREADS': '2'}
>>> shard_path(Path("runs/qwen.jsonl"), 0, 4).name
'qwen.rank0-of-4.jsonl'
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval_harness.manifest import ModelSettings
from eval_harness.shutdown import SHUTDOWN_TIMEOUT_S, RunInterrupted, signals_deferred, stop_on_signals
from robustbench_tc.errors import RobustBenchError

if TYPE_CHECKING:
    from eval_harness.runner import RunOptions


class ParallelError(RobustBenchError):
    """A rank failed or the devices do not fit the requested layout."""


def shard_path(out: Path, rank: int, world: int) -> Path:
    return out.with_name(f"{out.stem}.rank{rank}-of-{world}{out.suffix or '.jsonl'}")


def visible_gpus() -> list[str]:
    """GPU ids this process may use: ``CUDA_VISIBLE_DEVICES`` if set, else every GPU torch sees."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [g for g in env.split(",") if g.strip()]
    try:
        import torch

        return [str(i) for i in range(torch.cuda.device_count())]
    except ImportError:
        return []


def rank_env(rank: int, *, world: int, tp: int, gpus: Sequence[str], cores: Sequence[int]) -> dict[str, str]:
    """Environment of one rank: its TP group of GPUs, or (no GPU) its slice of the CPU cores."""
    if gpus:
        if len(gpus) < world * tp:
            raise ParallelError(
                f"--data-parallel-size {world} x --tensor-parallel-size {tp} needs {world * tp} GPUs; "
                f"{len(gpus)} visible ({','.join(gpus)})"
            )
        return {"CUDA_VISIBLE_DEVICES": ",".join(gpus[rank * tp : (rank + 1) * tp])}
    per = len(cores) // world
    if per < 1:
        raise ParallelError(
            f"--data-parallel-size {world} needs at least {world} CPU cores; {len(cores)} usable"
        )
    mine = sorted(cores)[rank * per : (rank + 1) * per]
    return {"VLLM_CPU_OMP_THREADS_BIND": f"{mine[0]}-{mine[-1]}", "OMP_NUM_THREADS": str(len(mine))}


def _rank_main(settings: ModelSettings, options: RunOptions, env: dict[str, str]) -> None:
    os.environ.update(env)
    from eval_harness.runner import run_eval

    try:
        with stop_on_signals():
            run_eval(settings, options)
    except RunInterrupted as exc:
        sys.exit(exc.exit_status)
    except RobustBenchError as exc:
        rank = options.shard[0] if options.shard else 0
        print(f"robustbench-tc run (rank {rank}): error: {exc}", file=sys.stderr)
        sys.exit(2)


def run_data_parallel(settings: ModelSettings, options: RunOptions, world: int) -> list[Path]:
    """Run ``world`` ranks to completion and merge their files into ``options.out``; returns the
    shard files. Raises ``RunInterrupted`` (after stopping every rank) on SIGTERM/SIGINT."""
    from eval_harness.runner import merge_shards

    tp = options.backend_options.tensor_parallel_size
    gpus = visible_gpus() if options.backend == "vllm" or options.backend == "transformers" else []
    cores = (
        sorted(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else list(range(os.cpu_count() or 1))
    )
    envs = [rank_env(r, world=world, tp=tp, gpus=gpus, cores=cores) for r in range(world)]
    paths = [shard_path(options.out, r, world) for r in range(world)]
    backend_options = dataclasses.replace(options.backend_options, memory_share=1.0 / world)
    context = multiprocessing.get_context("spawn")
    procs = []
    try:
        with stop_on_signals():
            for rank in range(world):
                rank_options = dataclasses.replace(
                    options,
                    out=paths[rank],
                    shard=(rank, world),
                    progress=options.progress and rank == 0,
                    backend_options=backend_options,
                )
                proc = context.Process(target=_rank_main, args=(settings, rank_options, envs[rank]))
                proc.start()
                procs.append(proc)
            for proc in procs:
                proc.join()
    except RunInterrupted:
        with signals_deferred():
            _stop(procs)
        raise
    failed = {r: p.exitcode for r, p in enumerate(procs) if p.exitcode != 0}
    if failed:
        raise ParallelError(
            f"rank(s) {', '.join(f'{r} (exit {c})' for r, c in failed.items())} failed; their finished "
            "chunks are kept: run the same command again to resume"
        )
    merge_shards(options, paths)
    return paths


def _stop(procs: list[Any]) -> None:
    import signal

    for proc in procs:
        if proc.is_alive() and proc.pid is not None:
            os.kill(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + SHUTDOWN_TIMEOUT_S + 10
    for proc in procs:
        proc.join(timeout=max(0.1, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join(5)
