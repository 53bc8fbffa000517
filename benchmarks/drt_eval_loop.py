"""Close the DR+T loop: each checkpoint through ``robustbench-tc run`` and ``score``, then the
Transition columns side by side (issue 16, deliverable 5).

    nice -n 5 python benchmarks/drt_eval_loop.py --dataset robustbench-tc \\
        --checkpoint dr_full=runs/drt-evidence/dr_full --checkpoint dr_t=runs/drt-evidence/dr_t \\
        --out runs/drt-eval [--limit 40] [--backend transformers]

Runs ``clean`` and the six Transition configs (the first ``--limit`` rows of each), scores each
predictions file with the leaderboard's scorer (the first checkpoint is the paired reference of the
others) and prints, per checkpoint: Clean and Transition accuracy, Δ_Trn, and the Appendix L error
modes over the Transition records (omitted = gave up after the fault; wrong = retried with a wrong
call), as in §6.4's comparison of ToolRL-Clean and DR-Full.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRANSITIONS = [
    "transient_timeout",
    "transient_rate_limit",
    "transient_auth_error",
    "transient_server_error",
    "transient_malformed_response",
    "transient_schema_drift",
]


def rbtc(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "robustbench_tc", *args], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"robustbench-tc {args[0]} failed:\n{done.stderr[-3000:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, help="a built RobustBench-TC folder")
    parser.add_argument(
        "--checkpoint", action="append", required=True, help="NAME=FOLDER (first = reference)"
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--backend", default="transformers")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--n-boot", type=int, default=2000)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    arms = [tuple(c.split("=", 1)) for c in args.checkpoint]
    preds = {}
    report: dict[str, dict] = {}
    for name, folder in arms:
        preds[name] = args.out / f"{name}.jsonl"
        started = time.perf_counter()
        rbtc("run", "--dataset", args.dataset, "--model", folder, "--backend", args.backend,
             "--out", str(preds[name]), "--configs", "clean", *TRANSITIONS, "--limit", str(args.limit),
             "--max-tokens", str(args.max_tokens), "--no-progress")  # fmt: skip
        run_s = time.perf_counter() - started
        reference = ["--reference", str(preds[arms[0][0]])] if name != arms[0][0] else []
        rows_file = args.out / f"{name}.rows.jsonl"
        rbtc("score", str(preds[name]), "--dataset", args.dataset, "--json", str(args.out / f"{name}.json"),
             "--n-boot", str(args.n_boot), "--per-sample", str(rows_file), *reference)  # fmt: skip
        scored = json.loads((args.out / f"{name}.json").read_text())
        modes: dict[str, int] = {}
        for config in scored["configs"]:
            if config["config"] in TRANSITIONS:
                for mode, count in config["error_modes"].items():
                    modes[mode] = modes.get(mode, 0) + count
        records = [json.loads(line) for line in preds[name].read_text().splitlines() if line.strip()]
        injected = [
            r for r in records if r.get("perturbation") in TRANSITIONS and r.get("transition_injected")
        ]
        injected_by_source: dict[str, int] = {}
        for r in injected:
            source = str(r["id"]).split("__", 1)[0]
            injected_by_source[source] = injected_by_source.get(source, 0) + 1
        failed = sum(count for mode, count in modes.items() if mode not in ("correct", "missing"))
        by_source: dict[str, dict[str, int]] = {}
        for line in rows_file.read_text().splitlines():
            row = json.loads(line)
            if row.get("perturbation") in TRANSITIONS and row.get("error_mode") != "missing":
                counts = by_source.setdefault(str(row.get("source")), {})
                counts[row["error_mode"]] = counts.get(row["error_mode"], 0) + 1
        report[name] = {
            "clean": scored["clean"],
            "transition": scored["component_acc"].get("transition"),
            "delta_trn": scored["delta"].get("transition"),
            "transition_error_modes": modes,
            "transition_error_modes_by_source": by_source,
            "omitted_share_of_failures": round(modes.get("omitted", 0) / failed, 4) if failed else None,
            "faults_injected": len(injected),
            "faults_injected_by_source": injected_by_source,
            "paired": scored.get("paired", []),
            "run_s": round(run_s, 1),
        }
    text = json.dumps({"limit_per_config": args.limit, "arms": report}, indent=2)
    print(text)
    (args.out / "drt_eval_loop.json").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
