"""ToolRL-DR+T on CPU: does a short DR+T run raise the retry-after-fault rate, and the right-tool
rate, under each of the six faults, more than the same number of DR-Full steps from the same start?
(issues 16 and 24)

    nice -n 10 env OMP_NUM_THREADS=1 python benchmarks/drt_retry.py --out runs/drt-evidence \\
        --seed 0 [--tools unseen|known]

1. Rows: the first ``--train-rows`` DR-Full rows (``make-train-data``, seed 0) with ``--min-calls``
   to ``--max-calls`` gold calls (1 and 1) whose prompt fits ``--max-prompt-tokens`` of the tiny
   tokenizer; held-out rows: validation rows (other rlla items) with a gold call, same length cap.
2. Start: the tiny model with fresh weights from ``--seed``, warm-started
   (``train.drt_experiment.warm_start``) to answer each training row in ToolRL's layout naming the
   row's tools and, after a fault, to retry that call or give up with equal weight.
   ``--tools known`` also teaches the held-out rows' first turn (never a fault on them): the model
   then can write a held-out row's tool, so a right retry there is possible; ``unseen`` does not.
3. Two arms from that start, same seed, same steps (``tiny_cpu.yaml`` with lr ``--lr``, entropy and
   weight decay off): DR-Full and DR+T (``tiny_cpu_dr_t.yaml``, ``transition_seed`` = ``--seed``).
   ``--seed`` also sets GRPO's data order and the warm start's draws.
4. Each checkpoint (and the start) answers every training and held-out row ``--samples`` times under
   each of the six faults at ``--temperature``, turn 1 fixed to the row's own call
   (``train.drt_experiment.retry_eval``): retry and right-tool rates per fault and split, 95%
   bootstrap intervals over rows, and the paired DR+T - DR-Full difference.

Prints a summary JSON (also ``OUT/drt_retry.json``) and writes every (checkpoint, row, fault)
record to ``OUT/episodes.json``.
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
    from train.build_data import (
        TRAIN_FILE,
        VALIDATION_FILE,
        TrainDataConfig,
        default_sources,
        make_train_data,
    )

    where = default_sources(sources)
    if where is None:
        raise SystemExit("no sources: pass --sources DIR or set RBTC_SOURCES")
    config = TrainDataConfig(
        train=str(where / TRAIN_FILE), validation=str(where / VALIDATION_FILE), variants=("dr_full",)
    )
    make_train_data(config, out, progress=False)
    return out


def pick_rows(data: Path, tokenizer_dir: Path, args: argparse.Namespace) -> tuple[list[dict], list[dict]]:
    from transformers import AutoTokenizer

    from train.build_data import load_train_data
    from train.rewards import gold_call_count

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    splits = load_train_data(data, "dr_full")

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
        argv += ["--transition_ratio", str(args.transition_ratio), "--transition_seed", str(args.seed)]
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


def _rate(per_row: dict[str, list[int]], args: argparse.Namespace) -> dict:
    from train.drt_experiment.retry_eval import rate_with_interval

    rate, lo, hi = rate_with_interval(per_row, n_boot=args.n_boot, seed=args.seed)
    episodes = sum(len(v) for v in per_row.values())
    return {"rate": round(rate, 4), "ci95": [round(lo, 4), round(hi, 4)], "episodes": episodes}


def evaluate_arms(
    checkpoints: dict[str, Path], splits: dict[str, list[dict]], args: argparse.Namespace
) -> tuple[dict, list[dict]]:
    from train.drt_experiment.retry_eval import MEASURES, evaluate_retry, paired_difference
    from train.drt_experiment.warm_start import CALL, named_turn
    from train.transition import FAULT_CODES

    first_turn = {"gold": lambda row: named_turn(row["ground_truth"]), "layout": CALL, "model": None}[
        args.first_turn
    ]
    rows = [r for split in splits.values() for r in split]
    ids = {name: {r["id"] for r in split} for name, split in splits.items()}
    evals: dict[str, dict] = {}
    results = {}
    raw: list[dict] = []
    for name, ckpt in checkpoints.items():
        t0 = time.perf_counter()
        result = evaluate_retry(
            ckpt, rows, samples=args.samples, seed=args.seed, max_new_tokens=args.eval_tokens,
            first_turn=first_turn, temperature=args.temperature,
        )  # fmt: skip
        results[name] = result
        raw += [{"checkpoint": name, "split": next(s for s, i in ids.items() if r["row"] in i), **r}
                for r in result.records]  # fmt: skip
        report: dict = {"episodes": result.episodes, "faults_injected": result.injected}
        for split, members in ids.items():
            for measure in MEASURES:
                report[f"{split}/{measure}"] = _rate(result.outcomes(measure, rows=members), args)
                for code in FAULT_CODES:
                    per_row = result.outcomes(measure, fault=code, rows=members)
                    report[f"{split}/{measure}/{code}"] = _rate(per_row, args)
        report["eval_s"] = round(time.perf_counter() - t0, 1)
        evals[name] = report
    for split, members in ids.items():
        for measure in MEASURES:
            diff, lo, hi = paired_difference(
                results["dr_full"].outcomes(measure, rows=members),
                results["dr_t"].outcomes(measure, rows=members),
                n_boot=args.n_boot, seed=args.seed,
            )  # fmt: skip
            evals[f"dr_t_minus_dr_full/{split}/{measure}"] = {"diff": round(diff, 4),
                                                              "ci95": [round(lo, 4), round(hi, 4)]}  # fmt: skip
    return evals, raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, help="a make-train-data folder (default: built into OUT/data)")
    parser.add_argument("--sources", default=None)
    parser.add_argument("--steps", type=int, default=24, help="optimizer steps per arm")
    parser.add_argument("--train-rows", type=int, default=9)
    parser.add_argument("--heldout", type=int, default=28)
    parser.add_argument("--samples", type=int, default=4, help="episodes per row and fault")
    parser.add_argument(
        "--tools", choices=("unseen", "known"), default="unseen",
        help="warm start: the held-out rows' tools unseen (as before), or their first turn taught too",
    )  # fmt: skip
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
        "--first-share", type=float, default=0.5,
        help="share of warm-start steps on first turns (the rest: the turn after a fault)",
    )  # fmt: skip
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
    from train.drt_experiment.warm_start import fresh_weights, warm_start, warm_start_after_fault
    from train.transition import draw_fault, prompt_key

    args.out.mkdir(parents=True, exist_ok=True)
    data = args.data or build_data(args.out / "data", args.sources)
    start = build_tiny_model(args.out / "start")  # the tokenizer is the same for every seed
    fresh_weights(start, args.seed)
    train_rows, heldout = pick_rows(data, start, args)
    subset = args.out / "subset"
    datasets.DatasetDict(
        train=datasets.Dataset.from_list(train_rows), validation=datasets.Dataset.from_list(heldout)
    ).save_to_disk(str(subset))
    t0 = time.perf_counter()
    if args.start == "after-fault":
        known = heldout if args.tools == "known" else []
        warm_start_after_fault(start, train_rows, steps=args.warm_steps, lr=args.warm_lr, seed=args.seed,
                               known_rows=known, first_share=args.first_share)  # fmt: skip
    else:
        warm_start(start, train_rows, seed=args.seed)
    warm_s = time.perf_counter() - t0

    arms = {
        "dr_full": train_arm("dr_full", "tiny_cpu", start, subset, args.out, args),
        "dr_t": train_arm("dr_t", "tiny_cpu_dr_t", start, subset, args.out, args),
    }
    checkpoints = {"start": start, **{n: Path(a["checkpoint"]) for n, a in arms.items()}}
    evals, raw = evaluate_arms(checkpoints, {"train": train_rows, "heldout": heldout}, args)
    report = {
        "heldout_rows": len(heldout),
        "train_rows": len(train_rows),
        "samples_per_row_and_fault": args.samples,
        "steps_per_arm": args.steps,
        "transition_ratio": args.transition_ratio,
        "transition_seed": args.seed,
        "train_fault_draws": {
            r["id"]: draw_fault(prompt_key(r["prompt"]), args.transition_ratio, seed=args.seed)
            for r in train_rows
        },  # fmt: skip
        "lr": args.lr,
        "temperature": args.temperature,
        "train_rows_calls": [args.min_calls, args.max_calls],
        "grpo_args": args.grpo_args,
        "reward_version": __import__("train.rewards", fromlist=["DRT_REWARD_VERSION"]).DRT_REWARD_VERSION,
        "seed": args.seed,
        "tools": args.tools,
        "start": args.start,
        "first_turn": args.first_turn,
        "torch_threads": __import__("torch").get_num_threads(),
        "warm_start_s": round(warm_s, 1),
        "warm_start": {"steps": args.warm_steps, "lr": args.warm_lr, "first_share": args.first_share},
        "train": arms,
        "retry_after_fault": evals,
        "load_avg": os.getloadavg(),
    }
    (args.out / "episodes.json").write_text(
        "[\n" + ",\n".join(json.dumps(r, separators=(",", ":")) for r in raw) + "\n]\n"
    )
    text = json.dumps(report, indent=2)
    print(text)
    (args.out / "drt_retry.json").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
