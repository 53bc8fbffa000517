"""2-GPU ZeRO-3 check of the DR+T recipe (issue 24): 2 optimizer steps and one evaluation of
``toolrl_dr_t.yaml`` under ``accelerate_2gpu_zero3.yaml``, on a random Qwen2.5-3B-shaped model, in
the worst fault pattern for collectives; prints step time, peak memory per GPU and whether any rank
waited on a collective.

    python train/multi_gpu_check.py --data DATA_DIR --out OUT_DIR           # 2 GPUs, DeepSpeed ZeRO-3
    python train/multi_gpu_check.py --data DATA_DIR --out OUT_DIR --cpu     # same code, 2 CPU processes

The launcher builds the model, prints a memory estimate per GPU, starts
``accelerate launch --config_file ... train/multi_gpu_check.py --worker ...`` and reads what each
rank wrote. Each worker builds the trainer with ``train.grpo.build_trainer`` (the recipe, its batch
check and its rollout) and then sets up the worst case for collectives:

- every turn 1 is replaced, after the model generated it, by a call (a random model never calls),
  so every episode whose row draws a fault goes on to turn 2;
- rank 0's rows always draw a fault, rank 1's never (``transition_ratio`` 1 and 0): before the fix,
  rank 0 generated turn 2 alone and under ZeRO-3 waited forever for rank 1;
- a probe all-gathers ``(call index, prompts)`` at every generation call, so a rank that enters a
  generation the other does not meet fails there instead of hanging, and each rank's time in that
  all-gather (how long it waited for the other) is summed;
- ``--ddp_timeout`` (default 120 s) bounds any other collective wait.

With ``--cpu`` the same worker runs as 2 gloo processes with plain data parallelism (DeepSpeed does
not run on this CPU), a tiny model shape and a small batch: it checks the code path, not memory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parents[1])

REPO = Path(__file__).resolve().parents[1]
FORCED_CALL = '<think>probe</think>\n<tool_call>\n{"name": "probe", "parameters": {}}\n</tool_call>'
"""What every turn 1 becomes: a call by the benchmark's rule, so a drawn fault is injected."""

GPU_FLAGS: tuple[str, ...] = (
    "--max_eval_samples", "8",  # one evaluation batch: 4 prompts x 4 samples per rank
    "--max_prompt_length", "2048",  # tiny-tokenizer tokens (~2.5x Qwen's): longer rows are dropped
)  # fmt: skip
"""The recipe as is (16 x 2 processes x 4 = 128 completions a step, 256 per rollout, 1,024-token
completions, bf16, activation checkpointing), transformers generation (vLLM is not on the lent
machines)."""

CPU_FLAGS: tuple[str, ...] = (
    "--use_cpu", "true",
    "--bf16", "false",
    "--activation_checkpointing", "false",
    "--max_completion_length", "192",  # room for turn 1, the fault and turn 2
    "--per_device_train_batch_size", "4",
    "--gradient_accumulation_steps", "1",
    "--generation_batch_size", "8",
    "--per_device_eval_batch_size", "4",
    "--max_eval_samples", "4",
    "--max_prompt_length", "1200",
    "--max_train_samples", "16",
    "--allow_batch_change", "true",  # 4 x 2 x 1 = 8 completions a step, not 128
)  # fmt: skip


# --- worker: one rank -----------------------------------------------------------------------------


def _probe(trainer: Any, record: dict[str, Any]) -> None:
    """Wrap the trainer's generation: force turn 1 to a call and all-gather each call's index."""
    from accelerate.utils import gather_object

    from train.parity import CollectiveMismatch

    engine = trainer._generate_single_turn
    tokenizer = trainer.processing_class
    forced = list(tokenizer(FORCED_CALL, add_special_tokens=False)["input_ids"]) + [tokenizer.eos_token_id]
    rank = trainer.accelerator.process_index

    def probed(prompt_ids: list, images: Any, fields: Any, num_generations: int, **kwargs: Any) -> Any:
        index = record["generation_calls"]
        started = time.perf_counter()
        seen = gather_object([(index, len(prompt_ids))])
        record["waited_s"] = record["waited_s"] + time.perf_counter() - started
        if any(s != seen[0] for s in seen):
            raise CollectiveMismatch(f"rank {rank}: generation calls out of step across ranks: {seen}")
        record["generation_calls"] = index + 1
        out, logprobs = engine(prompt_ids, images, fields, num_generations, **kwargs)
        if num_generations > 1:  # turn 1 (TRL groups it); later turns are 1 per episode
            out = [list(forced) for _ in out]
            logprobs = None if logprobs is None else [[0.0] * len(forced) for _ in out]
        return out, logprobs

    trainer._generate_single_turn = probed


def worker(args: argparse.Namespace, grpo_argv: list[str]) -> int:
    import torch

    from train.grpo import build_trainer
    from train.parity import check_parity, leave_process_group

    started = time.perf_counter()
    trainer, _, training_args, *_ = build_trainer(grpo_argv)
    rank = trainer.accelerator.process_index
    rollout = trainer.rollout_func
    rollout.config = replace(rollout.config, fault_probability=1.0 if rank == 0 else 0.0)
    record: dict[str, Any] = {"rank": rank, "generation_calls": 0, "waited_s": 0.0}
    _probe(trainer, record)
    cuda = torch.cuda.is_available() and not training_args.use_cpu
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    parity = check_parity(rollout.ledger, trainer.accelerator)
    history = trainer.state.log_history
    record.update(
        {
            "device": torch.cuda.get_device_name() if cuda else "cpu",
            "processes": trainer.accelerator.num_processes,
            "distributed_type": str(trainer.accelerator.distributed_type),
            "ledger": rollout.ledger.summary(),
            "parity": parity,
            "step_time_s": [round(h["step_time"], 2) for h in history if "step_time" in h],
            "fault_injected_frac": [h.get("transition/fault_injected_frac") for h in history if "loss" in h],
            "eval": [
                {
                    k: v
                    for k, v in h.items()
                    if k in ("step", "eval_loss", "eval_transition/fault_injected_frac")
                }
                for h in history
                if "eval_loss" in h
            ],
            "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
            "peak_rss_gib": round(_peak_rss_gib(), 2),
            "wall_s": round(time.perf_counter() - started, 1),
        }
    )
    (args.out / f"rank{rank}.json").write_text(json.dumps(record, indent=2) + "\n")
    leave_process_group(trainer.accelerator)
    return 0


def _peak_rss_gib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


# --- launcher -------------------------------------------------------------------------------------


def summary(ranks: list[dict[str, Any]]) -> list[str]:
    """The lines the check prints, from what each rank wrote.

    >>> lines = summary([{"rank": 0, "generation_calls": 4, "waited_s": 0.1, "step_time_s": [9.0, 3.0],
    ...     "ledger": {"train": {"calls": 2, "prompts": 16, "padding": 0}}, "parity": {"equal": True},
    ...     "eval": [{"step": 2}], "peak_memory_gib": 41.0, "device": "H100"},
    ...     {"rank": 1, "generation_calls": 4, "waited_s": 2.5, "ledger": {"train": {"calls": 2,
    ...     "prompts": 16, "padding": 8}}, "parity": {"equal": True}, "peak_memory_gib": 40.5}])
    >>> print("\\n".join(lines))
    step time (s): 9.0, 3.0 (min 3.0, median 6.0)
    peak GPU memory (GiB): rank 0 41.0, rank 1 40.5
    generation calls: rank 0 4 (train 2 calls, 16 prompts, 0 no-op), rank 1 4 (train 2 calls, 16 prompts, 8 no-op)
    no rank waited on a collective: equal generation calls on every rank; time in the per-call all-gather: rank 0 0.1 s, rank 1 2.5 s
    evaluation: ran at step 2
    """
    import statistics

    first = ranks[0]
    steps = first.get("step_time_s", [])
    lines = [
        f"step time (s): {', '.join(str(t) for t in steps)}"
        + (f" (min {min(steps)}, median {statistics.median(steps)})" if steps else "")
    ]
    memory = "GPU memory" if first.get("peak_memory_gib") is not None else "resident memory (CPU)"
    key = "peak_memory_gib" if first.get("peak_memory_gib") is not None else "peak_rss_gib"
    lines.append(f"peak {memory} (GiB): " + ", ".join(f"rank {r['rank']} {r.get(key)}" for r in ranks))

    def calls(r: dict[str, Any]) -> str:
        modes = ", ".join(
            f"{m} {c['calls']} calls, {c['prompts']} prompts, {c['padding']} no-op"
            for m, c in r["ledger"].items()
        )
        return f"rank {r['rank']} {r['generation_calls']} ({modes})"

    lines.append("generation calls: " + ", ".join(calls(r) for r in ranks))
    equal = len({r["generation_calls"] for r in ranks}) == 1 and all(r["parity"]["equal"] for r in ranks)
    waits = ", ".join(f"rank {r['rank']} {r['waited_s']:.1f} s" for r in ranks)
    lines.append(
        ("no rank waited on a collective: equal generation calls on every rank" if equal
         else "RANKS DIFFER: a rank waited on a collective") + f"; time in the per-call all-gather: {waits}"
    )  # fmt: skip
    evals = first.get("eval", [])
    lines.append(
        f"evaluation: ran at step {', '.join(str(e['step']) for e in evals)}"
        if evals
        else "evaluation: NOT RUN"
    )
    return lines


def free_port() -> int:
    """A TCP port free now on 127.0.0.1 (the rendezvous port; accelerate's default 29500 may be taken)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def launch(args: argparse.Namespace, extra: list[str]) -> int:
    from robustbench_tc.processes import descendants, kill_tree, stack_dumps
    from train.gpu_check import QWEN25_3B_SHAPE, SMOKE_SHAPE, build_random_model, estimate_memory

    args.out.mkdir(parents=True, exist_ok=True)
    for stale in args.out.glob("rank*.json"):
        stale.unlink()
    if not args.cpu:
        import importlib.util

        import torch

        if torch.cuda.device_count() < 2:
            raise SystemExit(
                f"error: this check needs 2 GPUs, found {torch.cuda.device_count()} (--cpu runs it on CPU)"
            )
        if importlib.util.find_spec("deepspeed") is None:
            raise SystemExit(
                "error: ZeRO-3 needs deepspeed: pip install deepspeed (docs/training.md, section 5)"
            )
        plan = estimate_memory(QWEN25_3B_SHAPE, per_device_batch=16, generation_per_rank=128, prompt_tokens=2048,
                               completion_tokens=1024, processes=2, zero3=True)  # fmt: skip
        parts = ", ".join(f"{k} {v}" for k, v in plan.items() if k != "peak")
        total = torch.cuda.get_device_properties(0).total_memory / 2**30
        print(
            f"memory estimate per GPU: {plan['peak']} GiB ({parts}); each GPU has {total:.1f} GiB", flush=True
        )
    model = build_random_model(args.out, SMOKE_SHAPE if args.cpu else QWEN25_3B_SHAPE)
    config = (
        REPO
        / "train"
        / "configs"
        / ("accelerate_2proc_cpu.yaml" if args.cpu else "accelerate_2gpu_zero3.yaml")
    )
    grpo = [
        "--config", "train/configs/toolrl_dr_t.yaml",
        "--model_name_or_path", str(model),
        "--dataset_name", str(args.data),
        "--output_dir", str(args.out / "run"),
        "--use_vllm", "false",
        "--max_steps", str(args.steps),
        "--eval_strategy", "steps",
        "--eval_steps", str(args.steps),  # one evaluation, after the last step
        "--save_strategy", "no",
        "--report_to", "none",
        "--ddp_timeout", str(args.collective_timeout),
        *(CPU_FLAGS if args.cpu else GPU_FLAGS),
        *[a for a in extra if a != "--"],
    ]  # fmt: skip
    command = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(config),
               "--main_process_port", str(free_port()),
               str(Path(__file__).resolve()), "--worker", "--out", str(args.out), "--", *grpo]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "TOKENIZERS_PARALLELISM": "false", "TRL_EXPERIMENTAL_SILENCE": "1"}  # fmt: skip
    started = time.perf_counter()
    log = (args.out / "launch.log").open("w")
    child = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        code = child.wait(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        stacks = stack_dumps(descendants(child.pid))  # where each rank waited, for the log
        kill_tree(child.pid)  # the ranks are in sessions of their own: killpg would miss them
        child.wait(timeout=30)
        log.write(f"\n== stacks when the launch was stopped after {args.timeout} s\n{stacks}\n")
        log.flush()
        code = None
    wall = time.perf_counter() - started
    ranks = [json.loads(p.read_text()) for p in sorted(args.out.glob("rank*.json"))]
    if code != 0 or len(ranks) != 2:
        tail = (args.out / "launch.log").read_text()[-4000:]
        why = f"timed out after {args.timeout} s" if code is None else f"exited {code}"
        print(tail, file=sys.stderr)
        raise SystemExit(
            f"error: the 2-process run {why} ({len(ranks)} of 2 ranks finished); log: {args.out / 'launch.log'}"
        )
    lines = [f"device: {ranks[0]['device']} x {ranks[0]['processes']} ({ranks[0]['distributed_type']})", *summary(ranks),
             f"wall time: {wall:.0f} s (launch to exit)"]  # fmt: skip
    print("\n".join(lines))
    (args.out / "multi_gpu_check.json").write_text(
        json.dumps({"lines": lines, "ranks": ranks, "wall_s": wall}, indent=2) + "\n"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="folder written by `robustbench-tc make-train-data`")
    parser.add_argument("--out", type=Path, required=True, help="work folder (model, logs, per-rank results)")
    parser.add_argument(
        "--cpu", action="store_true", help="2 CPU processes (gloo), tiny shape: the code path"
    )
    parser.add_argument(
        "--steps", type=int, default=2, help="optimizer steps (the evaluation runs at the last)"
    )
    parser.add_argument("--timeout", type=int, default=540, help="seconds before the launch is stopped")
    parser.add_argument("--collective-timeout", type=int, default=120, help="--ddp_timeout of the run (s)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args, extra = parser.parse_known_args(argv)
    if args.worker:
        return worker(args, [a for a in extra if a != "--"])
    if args.data is None:
        parser.error("--data is required")
    return launch(args, extra)


if __name__ == "__main__":
    raise SystemExit(main())
