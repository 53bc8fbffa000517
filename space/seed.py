"""The paper's 21 models as store rows, read from ``leaderboard_seed/seed.json``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.taxonomy import CODE_NAMES, get_type
from space.store import METRICS, Run

PAPER_CREATED_AT = 1778544000.0  # 2026-05-12, the paper's arXiv date
"""Timestamp given to paper rows (so they sort before any submission)."""


SEED_ROWS_VERSION = b"rows-v2\0"
"""Mixed into the seed digest: bump when the rows made from the same seed.json change (v2: metadata),
so every store re-seeds its paper rows."""


class BoardSeedError(RobustBenchError, ValueError):
    """seed.json is missing or malformed; rebuild it with leaderboard_seed/build_seed.py."""


def load_seed(path: str | Path) -> tuple[list[Run], str]:
    """(paper rows in Table 2 order, sha256 of the seed file)."""
    path = Path(path)
    if not path.is_file():
        raise BoardSeedError(f"{path} not found; build it with `python leaderboard_seed/build_seed.py`")
    raw = path.read_bytes()
    doc = json.loads(raw)
    runs = []
    for row in doc["rows"]:
        missing = [c for c in CODE_NAMES if c not in row["per_type"]]
        if missing:
            raise BoardSeedError(f"{path}: {row['model']} lacks per-type rows {missing[:3]}")
        per_type = {code: {**row["per_type"][code], "n": get_type(code).paper_n} for code in CODE_NAMES}
        runs.append(
            Run(
                origin="paper",
                model=row["model"],
                group=row["group"],
                family=row["family"],
                params_b=row["params_b"],
                hf_id=row["hf_id"] or None,
                created_at=PAPER_CREATED_AT,
                **{m: row[m] for m in METRICS},
                **{f"{m}_ci": row[f"{m}_ci"] for m in METRICS},
                per_type=per_type,
                scorer_version=None,
                metadata={
                    "mode": {"prompt": "prompt", "fc": "fc"}.get(
                        str(row.get("mode") or "").lower(), "not stated"
                    ),
                    # ToolRL-DR is trained on domain-randomised data made by this benchmark's generators
                    "trained_on_derived": "yes" if row["model"].startswith("ToolRL-DR") else "no",
                    "source": "paper Table 15 (mode); the paper (training data)",
                },
                details={
                    "ours": row["ours"],
                    "table2_order": row["table2_order"],
                    "provenance": row["provenance"],
                    "significance_vs_toolrl_3b": row["significance_vs_toolrl_3b"],
                },
            )
        )
    return runs, hashlib.sha256(SEED_ROWS_VERSION + raw).hexdigest()
