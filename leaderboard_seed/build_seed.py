"""Build ``leaderboard_seed/seed.json``: the paper's 21 models, from its tables as CSV.

Usage::

    python leaderboard_seed/build_seed.py --paper-dir ../shared/paper [--out leaderboard_seed/seed.json]

Inputs (the paper's tables, see the paper folder's README): ``table2_main.csv`` (Table 2),
``per_perturbation.csv`` (Tables 7-14, long format) and ``models.csv`` (Table 15 plus the
``params_b`` column and its notes). Table values are facts; every row records where each of its
numbers came from.

>>> family_of("MUA-RL-14B"), family_of("Qwen3-8B"), family_of("Qwen3.5-9B")
('MUA-RL', 'Qwen3', 'Qwen3.5')
>>> parse_float(""), parse_float("0.643")
(None, 0.643)
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.taxonomy import METRIC_KEYS

PAPER_ARXIV = "2605.11928"
PAPER_TITLE = (
    "When Simulation Lies: A Sim-to-Real Benchmark and Domain-Randomized RL Recipe for Tool-Use Agents"
)
SEED_VERSION = 1

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PAPER_DIR = REPO_ROOT.parent / "shared" / "paper"
DEFAULT_OUT = Path(__file__).resolve().parent / "seed.json"

METRICS = METRIC_KEYS

# Model families (name prefix -> family). Figure 3 plots ToolRL (Qwen2.5 1.5B/3B), MUA-RL,
# LoopTool and Qwen3; the others get their own family so that Figure 2 can colour them.
_FAMILY_PREFIXES: tuple[tuple[str, str], ...] = (
    ("ToolRL-DR-", "ToolRL-DR (ours)"),
    ("ToolRL-Qwen2.5-", "ToolRL"),
    ("ToolRL-Llama3.2-", "ToolRL-Llama"),
    ("SFT-Clean-", "ToolRL-SFT"),
    ("TL-CodeLLaMA", "TL-CodeLLaMA"),
    ("LoopTool-", "LoopTool"),
    ("MUA-RL-", "MUA-RL"),
    ("Qwen3.5-", "Qwen3.5"),
    ("Qwen3-", "Qwen3"),
    ("Qwen2.5-", "Qwen2.5-Instruct"),
    ("Llama-3.2-", "Llama-3.2-Instruct"),
    ("DeepSeek-R1-Distill-", "DeepSeek-R1-Distill"),
    ("o4-mini", "o4-mini"),
)


class PaperTablesError(RobustBenchError, ValueError):
    """The paper CSVs are missing or inconsistent; the message names the file and the row."""


def family_of(model: str) -> str:
    """The model family used to colour and group points in the plots."""
    for prefix, family in _FAMILY_PREFIXES:
        if model.startswith(prefix):
            return family
    return model


def parse_float(cell: str) -> float | None:
    """A table cell as a float; empty cells are ``None``."""
    cell = cell.strip()
    return float(cell) if cell else None


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise PaperTablesError(f"{path} not found: --paper-dir must hold the paper's CSV tables")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_seed(paper_dir: Path) -> dict[str, Any]:
    """The seed document: one row per Table 2 model, in Table 2 order."""
    paper_dir = Path(paper_dir)
    files = {name: paper_dir / name for name in ("table2_main.csv", "per_perturbation.csv", "models.csv")}
    table2 = _read_csv(files["table2_main.csv"])
    per_type = _read_csv(files["per_perturbation.csv"])
    models = {row["model"]: row for row in _read_csv(files["models.csv"])}

    types_by_model: dict[str, dict[str, dict[str, Any]]] = {}
    for row in per_type:
        entry = {
            "display_name": row["display_name"],
            "component": row["component"].lower(),
            "acc": float(row["acc"]),
            "acc_ci": float(row["acc_ci"]),
            "drop": float(row["drop"]),
            "drop_ci": float(row["drop_ci"]),
            "source_table": row["source_table"],
        }
        types_by_model.setdefault(row["model"], {})[row["code_name"]] = entry

    rows: list[dict[str, Any]] = []
    for order, row in enumerate(table2):
        name = row["model"]
        if name not in models:
            raise PaperTablesError(f"models.csv has no row for Table 2 model {name!r}")
        if name not in types_by_model:
            raise PaperTablesError(f"per_perturbation.csv has no rows for Table 2 model {name!r}")
        meta = models[name]
        metrics = {m: float(row[m]) for m in METRICS}
        metrics |= {f"{m}_ci": float(row[f"{m}_ci"]) for m in METRICS}
        stars = {k: row[k] for k in ("stars_pert_acc", "stars_rew", "stars_trn") if row[k]}
        rows.append(
            {
                "model": name,
                "model_as_printed": row["model_as_printed"],
                "group": row["group"],
                "table2_order": order,
                "ours": row["ours"] == "1",
                "family": family_of(name),
                "hf_id": meta["hf_id"],
                "params_b": parse_float(meta["params_b"]),
                "mode": meta["mode"] or None,
                **metrics,
                "significance_vs_toolrl_3b": stars,
                "per_type": types_by_model[name],
                "provenance": {
                    "paper": f"arXiv:{PAPER_ARXIV}",
                    "metrics": "Table 2 (table2_main.csv)",
                    "per_type": "Tables 7-14 (per_perturbation.csv; source_table per entry)",
                    "params_b": f"models.csv: {meta['params_note']}",
                    "serving": "Table 15 (models.csv)" if meta["in_table15"] == "1" else meta["notes"],
                },
            }
        )
    if len(rows) != 21:
        raise PaperTablesError(f"table2_main.csv has {len(rows)} models; the paper evaluates 21")
    for row in rows:
        if len(row["per_type"]) != 22:
            raise PaperTablesError(f"{row['model']}: {len(row['per_type'])} per-type rows, expected 22")
    return {
        "seed_version": SEED_VERSION,
        "paper": {"arxiv": PAPER_ARXIV, "title": PAPER_TITLE, "url": f"https://arxiv.org/abs/{PAPER_ARXIV}"},
        "notes": [
            "Values are the printed 3-decimal table cells; CIs are 95% percentile-bootstrap half-widths.",
            "Delta = clean - accuracy (positive = worse), sample-weighted over a component's types.",
            "Per-type 'drop' is acc - clean (negative = worse), as printed in Tables 7-14.",
            "No per-sample results were published, so paired tests cannot include these rows.",
        ],
        "inputs": {name: {"sha256": _sha256(path)} for name, path in files.items()},
        "rows": rows,
    }


def write_seed(paper_dir: Path, out: Path) -> dict[str, Any]:
    seed = build_seed(paper_dir)
    out.write_text(json.dumps(seed, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return seed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--paper-dir", type=Path, default=DEFAULT_PAPER_DIR, help="folder with the paper's CSVs"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write seed.json")
    args = parser.parse_args(argv)
    try:
        seed = write_seed(args.paper_dir, args.out)
    except PaperTablesError as exc:
        print(f"build_seed: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(seed['rows'])} models to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
