"""ToolRL-DR+T on CPU: does a short DR+T run raise the retry-after-fault rate on held-out rows more
than the same number of DR-Full steps from the same start? (issue 16, deliverable 4)

    nice -n 5 env OMP_NUM_THREADS=1 python benchmarks/drt_retry.py --out runs/drt-evidence [--seed 0]

1. Training rows: the first ``--train-rows`` DR-Full rows (``make-train-data``, seed 0) with
   ``--min-calls`` to ``--max-calls`` gold calls (1 and 1) whose prompt fits ``--max-prompt-tokens`` of the tiny tokenizer;
   held-out rows: validation rows (other rlla items) with a gold call, same length cap.
2. Start (``--start after-fault``): the tiny model of ``tests/train/test_grpo_cpu.py``, warm-started
   (``tests/support/warm_start.py``) to answer each training row in ToolRL's layout naming the row's
   tools, and, after a fault, to retry that call or give up with equal weight. A retry can then earn
   more than giving up (right tool names earn partial ToolRL correctness; a retry of a made-up call
   earns exactly what giving up earns, which is why the first attempts' ``--start layout`` warm start,
   whose only call was a made-up ``ok`` tool, gave DR+T nothing to learn from).
3. Two arms from that start, same seed, same steps, same hyperparameters (``tiny_cpu.yaml`` with lr
   ``--lr``, entropy and weight decay off): DR-Full (single turn, ToolRL reward) and DR+T
   (``tiny_cpu_dr_t.yaml``: transition rollouts at ``transition_ratio`` and the retry-aware reward).
4. Each checkpoint (and the start) answers every held-out row ``--samples`` times at ``--temperature``
   with every first call faulted. Turn 1 is fixed (``--first-turn gold``: the row's own tools in
   the warm start's layout), so every row gets its fault and the rate measures only the decision
   after it. ``retried``: a later turn made a call (the benchmark's rule); ``right_tool``: it called
   exactly the row's tools. Rates are pooled over rows with a 95% bootstrap interval that resamples
   rows, plus the paired DR+T − DR-Full difference.

Prints one JSON object (also written to ``OUT/drt_retry.json``), including each arm's optimizer
step times and the machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def build_data(out: Path, sources: str | None) -> Path:
    from train.build_data import TRAIN_FILE, VALIDATION_FILE, TrainDataConfig, make_train_data
    from train.grpo import default_sources

    where = default_sources(sources)
    if where is None:
        raise SystemExit("no sources: pass --sources DIR or set RBTC_SOURCES")
    config = TrainDataConfig(
        train=str(where / TRAIN_FILE), validation=str(where / VALIDATION_FILE), variants=("dr_full",)
    )
    make_train_data(config, out, progress=False)
    return out


def pick_rows(data: Path, tokenizer_dir: Path, args: argparse.Namespace) -> tuple[list[dict], list[dict]]:
    import datasets
    from transformers import AutoTokenizer

    from train.rewards import gold_call_count

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    splits = datasets.load_dataset(str(data), "dr_full")

    def short(row: dict) -> bool:
        ids = tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True, tokenize=True,
                                            return_dict=True)["input_ids"]  # fmt: skip
        return len(ids) <= args.max_prompt_tokens

    train = [r for r in splits["train"] if args.min_calls <= gold_call_count(r["ground_truth"]) <= args.max_calls
             and short(r)]  # fmt: skip
    train = train[: args.train_rows]
    heldout = [r for r in splits["validation"] if gold_call_count(r["ground_truth"]) > 0 and short(r)]
    return train, heldout[: args.heldout]


def train_arm(name: str, config: str, start: Path, subset: Path, out: Path, args: argparse.Namespace) -> dict:
    from train.grpo import main as grpo_main

    argv = [
        "--config", f"train/configs/{config}.yaml",
        "--model_name_or_path", str(start),
        "--dataset_name", str(subset),
        "--output_dir", str(out / name),
        "--max_train_samples", str(args.train_rows),
        "--max_steps", str(args.steps),
        "--learning_rate", str(args.lr),
        "--entropy_coef", "0",
        "--weight_decay", "0",
        "--max_completion_length", str(args.max_completion_length),
        "--seed", str(args.seed),
        "--temperature", str(args.temperature),
        # the evidence runs' batch: one forward of all 8 completions (the tiny model fits)
        "--per_device_train_batch_size", "8", "--gradient_accumulation_steps", "1",
    ]  # fmt: skip
    if name == "dr_t":
        argv += ["--transition_ratio", str(args.transition_ratio)]
    argv += args.grpo_args
    started = time.perf_counter()
    ckpt = grpo_main(argv)
    wall = time.perf_counter() - started
    history = json.loads((ckpt / "trainer_state.json").read_text())["log_history"]
    steps = [h for h in history if "step_time" in h]
    times = [h["step_time"] for h in steps]
    retry_log = [h.get("rewards/retry_after_fault/mean") for h in steps]
    return {
        "checkpoint": str(ckpt),
        "steps": len(steps),
        "wall_s": round(wall, 1),
        "step_time_s": {"min": round(min(times), 2), "median": round(statistics.median(times), 2)},
        "train_reward_first_last": [steps[0].get("reward"), steps[-1].get("reward")],
        "train_retry_after_fault_log": retry_log if name == "dr_t" else None,
    }


def evaluate_arms(checkpoints: dict[str, Path], heldout: list[dict], args: argparse.Namespace) -> dict:
    from tests.support.warm_start import CALL, named_turn
    from train.retry_eval import evaluate_retry, paired_difference, rate_with_interval

    first_turn = {"gold": lambda row: named_turn(row["ground_truth"]), "layout": CALL, "model": None}[
        args.first_turn
    ]
    evals: dict[str, dict] = {}
    outcomes: dict[str, dict[str, dict[str, list[int]]]] = {}
    for name, ckpt in checkpoints.items():
        t0 = time.perf_counter()
        result = evaluate_retry(
            ckpt, heldout, samples=args.samples, seed=args.seed, max_new_tokens=args.eval_tokens,
            first_turn=first_turn, temperature=args.temperature,
        )  # fmt: skip
        outcomes[name] = {"retried": result.retried, "right_tool": result.right_tool}
        evals[name] = {"episodes": result.episodes, "faults_injected": result.injected,
                       "rows_with_fault": sum(1 for r in result.retried.values() if r)}  # fmt: skip
        for measure, per_row in outcomes[name].items():
            rate, lo, hi = rate_with_interval(per_row, n_boot=args.n_boot, seed=args.seed)
            evals[name][measure] = {"rate": round(rate, 4), "ci95": [round(lo, 4), round(hi, 4)]}
        evals[name]["eval_s"] = round(time.perf_counter() - t0, 1)
    for measure in ("retried", "right_tool"):
        diff, lo, hi = paired_difference(
            outcomes["dr_full"][measure], outcomes["dr_t"][measure], n_boot=args.n_boot, seed=args.seed
        )
        evals[f"dr_t_minus_dr_full_{measure}"] = {
            "diff": round(diff, 4),
            "ci95": [round(lo, 4), round(hi, 4)],
        }
    return evals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, help="a make-train-data folder (default: built into OUT/data)")
    parser.add_argument("--sources", default=None)
    parser.add_argument("--steps", type=int, default=24, help="optimizer steps per arm")
    parser.add_argument("--train-rows", type=int, default=9)
    parser.add_argument("--heldout", type=int, default=28)
    parser.add_argument("--samples", type=int, default=8, help="episodes per held-out row")
    parser.add_argument("--max-prompt-tokens", type=int, default=1500)
    parser.add_argument("--max-completion-length", type=int, default=160)
    parser.add_argument("--eval-tokens", type=int, default=96, help="new tokens per evaluated turn")
    parser.add_argument("--transition-ratio", type=float, default=0.5)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-boot", type=int, default=5000)
    parser.add_argument(
        "--temperature", type=float, default=0.3,
        help="sampling temperature of both arms' rollouts and of the evaluation (at 1 the tiny model "
        "garbles the tool names it learned, so a retry rarely earns more than giving up)",
    )  # fmt: skip
    parser.add_argument(
        "--start", choices=("after-fault", "layout"), default="after-fault",
        help="warm start: gold answers plus a 50/50 retry-or-give-up after a fault (after-fault), or "
        "the two fixed layouts only (layout: the first attempts', whose made-up call earns the same "
        "after a retry as after giving up)",
    )  # fmt: skip
    parser.add_argument(
        "--min-calls", type=int, default=1,
        help="training rows: at least this many gold calls (1: no response-only rows, whose faults teach "
        "giving up, as answering in prose is right there)",
    )  # fmt: skip
    parser.add_argument("--warm-steps", type=int, default=1200)
    parser.add_argument("--warm-lr", type=float, default=2e-3)
    parser.add_argument(
        "--max-calls", type=int, default=1,
        help="training rows: at most this many gold calls (the tiny model learns one tool name per row; "
        "held-out rows are not filtered)",
    )  # fmt: skip
    parser.add_argument(
        "--first-turn", choices=("gold", "layout", "model"), default="gold",
        help="turn 1 of an evaluated episode: the row's gold call, the layout warm start's fixed call, "
        "or what the model writes",
    )  # fmt: skip
    args, args.grpo_args = parser.parse_known_args(argv)  # the rest goes to both arms' grpo.py

    os.chdir(ROOT)
    import datasets

    from robustbench_tc.testing.tiny_model import build_tiny_model
    from tests.support.warm_start import warm_start, warm_start_after_fault

    args.out.mkdir(parents=True, exist_ok=True)
    data = args.data or build_data(args.out / "data", args.sources)
    start = build_tiny_model(args.out / "start")
    train_rows, heldout = pick_rows(data, start, args)
    subset = args.out / "subset"
    datasets.DatasetDict(
        train=datasets.Dataset.from_list(train_rows), validation=datasets.Dataset.from_list(heldout)
    ).save_to_disk(str(subset))
    t0 = time.perf_counter()
    if args.start == "after-fault":
        warm_start_after_fault(start, train_rows, steps=args.warm_steps, lr=args.warm_lr, seed=args.seed)
    else:
        warm_start(start, train_rows, seed=args.seed)
    warm_s = time.perf_counter() - t0

    arms = {
        "dr_full": train_arm("dr_full", "tiny_cpu", start, subset, args.out, args),
        "dr_t": train_arm("dr_t", "tiny_cpu_dr_t", start, subset, args.out, args),
    }
    checkpoints = {"start": start, **{n: Path(a["checkpoint"]) for n, a in arms.items()}}
    report = {
        "heldout_rows": len(heldout),
        "train_rows": len(train_rows),
        "samples_per_row": args.samples,
        "steps_per_arm": args.steps,
        "transition_ratio": args.transition_ratio,
        "lr": args.lr,
        "temperature": args.temperature,
        "train_rows_calls": [args.min_calls, args.max_calls],
        "grpo_args": args.grpo_args,
        "reward_version": __import__("train.rewards", fromlist=["DRT_REWARD_VERSION"]).DRT_REWARD_VERSION,
        "seed": args.seed,
        "start": args.start,
        "first_turn": args.first_turn,
        "torch_threads": __import__("torch").get_num_threads(),
        "warm_start_s": round(warm_s, 1),
        "train": arms,
        "retry_after_fault": evaluate_arms(checkpoints, heldout, args),
        "load_avg": os.getloadavg(),
    }
    text = json.dumps(report, indent=2)
    print(text)
    (args.out / "drt_retry.json").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
