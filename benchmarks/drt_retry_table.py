"""Markdown tables of ``benchmarks/drt_retry.py`` runs: retry and right-tool rates per fault, per
seed and checkpoint, with 95% bootstrap intervals over rows (issue 24).

    python benchmarks/drt_retry_table.py docs/evidence/drt/seed0-unseen docs/evidence/drt/seed1-unseen ...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FAULTS = [
    "transient_timeout",
    "transient_rate_limit",
    "transient_auth_error",
    "transient_server_error",
    "transient_malformed_response",
    "transient_schema_drift",
]
ARMS = {"start": "start", "dr_full": "DR-Full", "dr_t": "DR+T"}


def cell(entry: dict) -> str:
    lo, hi = entry["ci95"]
    return f"{entry['rate']:.2f} [{lo:.2f}, {hi:.2f}]"


def table(runs: list[dict], split: str, measure: str) -> list[str]:
    head = ["fault"] + [f"s{r['seed']} {label}" for r in runs for label in ARMS.values()]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for fault in [*FAULTS, None]:
        key = f"{split}/{measure}" + (f"/{fault}" if fault else "")
        name = fault.removeprefix("transient_") if fault else "**all six**"
        cells = [cell(r["retry_after_fault"][arm][key]) for r in runs for arm in ARMS]
        lines.append("| " + " | ".join([name, *cells]) + " |")
    return lines


def main(argv: list[str]) -> int:
    runs = [json.loads((Path(d) / "drt_retry.json").read_text()) for d in argv]
    for split in ("heldout", "train"):
        for measure in ("retried", "right_tool"):
            episodes = runs[0]["retry_after_fault"]["start"][f"{split}/{measure}"]["episodes"]
            print(f"\n{split} rows, {measure} ({episodes} faulted episodes per checkpoint, "
                  f"{runs[0]['samples_per_row_and_fault']} per row and fault)\n")  # fmt: skip
            print("\n".join(table(runs, split, measure)))
    print("\nDR+T - DR-Full, paired over rows (all six faults):\n")
    print("| seed | tools | split | retried | right tool |\n|---|---|---|---|---|")
    for r in runs:
        for split in ("heldout", "train"):
            diffs = [
                r["retry_after_fault"][f"dr_t_minus_dr_full/{split}/{m}"] for m in ("retried", "right_tool")
            ]
            text = [f"{d['diff']:+.3f} [{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}]" for d in diffs]
            print(f"| {r['seed']} | {r['tools']} | {split} | {text[0]} | {text[1]} |")
    print("\nTraining fault draws (transition_ratio 0.5, transition_seed = seed) and run times:\n")
    for r in runs:
        draws = sorted(v.removeprefix("transient_") for v in r["train_fault_draws"].values() if v)
        train = r["train"]
        print(f"- seed {r['seed']} ({r['tools']}): {len(draws)} of {r['train_rows']} rows faulted: "
              f"{', '.join(draws) or 'none'}; DR+T retry log {train['dr_t']['train_retry_after_fault_log']}; "
              f"warm start {r['warm_start_s']} s, step time min/median DR-Full "
              f"{train['dr_full']['step_time_s']['min']}/{train['dr_full']['step_time_s']['median']} s, DR+T "
              f"{train['dr_t']['step_time_s']['min']}/{train['dr_t']['step_time_s']['median']} s, "
              f"load {', '.join(f'{x:.1f}' for x in r['load_avg'])}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
