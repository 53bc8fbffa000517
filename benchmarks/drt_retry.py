"""ToolRL-DR+T on CPU: does a short DR+T run raise the retry-after-fault rate on held-out rows more
than the same number of DR-Full steps from the same start? (issue 16, deliverable 4)

    nice -n 5 python benchmarks/drt_retry.py --out runs/drt-evidence [--steps 16] [--heldout 40]

1. Training rows: the first ``--train-rows`` DR-Full rows (``make-train-data``, seed 0) whose prompt
   fits ``--max-prompt-tokens`` of the tiny tokenizer; held-out rows: validation rows (other rlla
   items) with a gold call, same length cap.
2. Start: the tiny model of ``tests/train/test_grpo_cpu.py`` warm-started on both answer layouts
   (``tests/support/warm_start.py``), so groups have differing rewards.
3. Two arms from that start, same seed, same steps, same hyperparameters (``tiny_cpu.yaml`` with lr
   1e-3, entropy and weight decay off, as the reward test): DR-Full (single turn, ToolRL reward) and
   DR+T (``tiny_cpu_dr_t.yaml``: transition rollouts at ``transition_ratio`` and the retry-aware
   reward).
4. Each checkpoint (and the start) answers every held-out row ``--samples`` times at temperature 1
   with every first call faulted. Turn 1 is fixed to the call the warm-started model writes when it
   calls (``--own-first-turn``: the model writes it), so every row gets its fault; the retry rate is
   retried / injected, with a 95% bootstrap interval over rows, and the paired DR+T − DR-Full
   difference.

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

    train = [r for r in splits["train"] if short(r)][: args.train_rows]
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
    ]  # fmt: skip
    if name == "dr_t":
        argv += ["--transition_ratio", str(args.transition_ratio)]
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, help="a make-train-data folder (default: built into OUT/data)")
    parser.add_argument("--sources", default=None)
    parser.add_argument("--steps", type=int, default=16, help="optimizer steps per arm")
    parser.add_argument("--train-rows", type=int, default=16)
    parser.add_argument("--heldout", type=int, default=40)
    parser.add_argument("--samples", type=int, default=8, help="episodes per held-out row")
    parser.add_argument("--max-prompt-tokens", type=int, default=1500)
    parser.add_argument("--max-completion-length", type=int, default=160)
    parser.add_argument("--transition-ratio", type=float, default=0.5)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-boot", type=int, default=5000)
    parser.add_argument("--own-first-turn", action="store_true", help="the model writes turn 1 itself")
    args = parser.parse_args(argv)

    os.chdir(ROOT)
    import datasets

    from robustbench_tc.testing.tiny_model import build_tiny_model
    from tests.support.warm_start import CALL, warm_start
    from train.retry_eval import evaluate_retry, paired_difference, rate_with_interval

    args.out.mkdir(parents=True, exist_ok=True)
    data = args.data or build_data(args.out / "data", args.sources)
    start = build_tiny_model(args.out / "start")
    train_rows, heldout = pick_rows(data, start, args)
    subset = args.out / "subset"
    datasets.DatasetDict(
        train=datasets.Dataset.from_list(train_rows), validation=datasets.Dataset.from_list(heldout)
    ).save_to_disk(str(subset))
    t0 = time.perf_counter()
    warm_start(start, train_rows, seed=args.seed)
    warm_s = time.perf_counter() - t0

    arms = {
        "dr_full": train_arm("dr_full", "tiny_cpu", start, subset, args.out, args),
        "dr_t": train_arm("dr_t", "tiny_cpu_dr_t", start, subset, args.out, args),
    }
    # Turn 1 is the call the warm-started model writes when it calls (held-out prompts rarely get
    # one from a model warm-started on 16 others): every row gets its fault, and the rate measures
    # only what the model does after it. --own-first-turn lets the model write turn 1 itself.
    first_turn = None if args.own_first_turn else CALL
    evals = {}
    for name, ckpt in (("start", start), *((n, Path(a["checkpoint"])) for n, a in arms.items())):
        t0 = time.perf_counter()
        result = evaluate_retry(
            ckpt, heldout, samples=args.samples, seed=args.seed, max_new_tokens=64, first_turn=first_turn
        )
        rate, lo, hi = rate_with_interval(result.retried, n_boot=args.n_boot, seed=args.seed)
        evals[name] = {
            "retry_after_fault": round(rate, 4),
            "ci95": [round(lo, 4), round(hi, 4)],
            "rows_with_fault": sum(1 for r in result.retried.values() if r),
            "episodes": result.episodes,
            "faults_injected": result.injected,
            "eval_s": round(time.perf_counter() - t0, 1),
        }
        evals[name]["_retried"] = result.retried
    diff, lo, hi = paired_difference(
        evals["dr_full"]["_retried"], evals["dr_t"]["_retried"], n_boot=args.n_boot, seed=args.seed
    )
    for e in evals.values():
        e.pop("_retried")
    report = {
        "heldout_rows": len(heldout),
        "train_rows": len(train_rows),
        "samples_per_row": args.samples,
        "steps_per_arm": args.steps,
        "transition_ratio": args.transition_ratio,
        "first_turn": "model" if args.own_first_turn else "fixed: the warm start's call layout",
        "torch_threads": __import__("torch").get_num_threads(),
        "warm_start_s": round(warm_s, 1),
        "train": arms,
        "retry_after_fault": evals,
        "dr_t_minus_dr_full": {"diff": round(diff, 4), "ci95": [round(lo, 4), round(hi, 4)]},
        "load_avg": os.getloadavg(),
    }
    text = json.dumps(report, indent=2)
    print(text)
    (args.out / "drt_retry.json").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
