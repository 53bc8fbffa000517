"""Our aggregation code recomputes the paper's Table 2 (Pert. Acc. and the four Δ columns) from its
per-type accuracies (Tables 7–14), for all 21 models: the aggregates are sample-weighted."""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from pathlib import Path

import pytest

from robustbench_tc.scoring import aggregate
from robustbench_tc.taxonomy import CLEAN, CLEAN_N, PERTURBATION_TYPES, get_type

REPO_ROOT = Path(__file__).resolve().parents[3]
TOLERANCE = 0.0011
"""Table cells are rounded to 3 decimals (±0.0005 each); the recomputed value adds its own rounding."""


@pytest.fixture(scope="module")
def paper_dir() -> Path:
    env = os.environ.get("RBTC_PAPER_DIR")
    path = Path(env) if env else REPO_ROOT.parent / "shared" / "paper"
    if not (path / "table2_main.csv").is_file():
        pytest.fail(
            f"paper tables not found in {path}: set RBTC_PAPER_DIR to the folder with table2_main.csv"
        )
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _counts(acc: float, n: int) -> int:
    """The number of correct samples behind a printed accuracy (unique for n <= 199 at 3 dp)."""
    k = round(acc * n)
    assert abs(k / n - acc) <= 0.0005 + 1e-9, f"{acc} is not k/{n}"
    return k


@pytest.fixture(scope="module")
def recomputed(paper_dir: Path) -> dict[str, object]:
    per_model: dict[str, dict[str, float]] = defaultdict(dict)
    clean: dict[str, float] = {}
    for row in _rows(paper_dir / "per_perturbation.csv"):
        per_model[row["model"]][row["code_name"]] = float(row["acc"])
        clean[row["model"]] = float(row["clean"])
    out = {}
    for model, accs in per_model.items():
        assert set(accs) == {t.code_name for t in PERTURBATION_TYPES}, model
        sums = {c: _counts(a, get_type(c).paper_n) for c, a in accs.items()}
        counts = {c: get_type(c).paper_n for c in accs}
        sums[CLEAN], counts[CLEAN] = _counts(clean[model], CLEAN_N), CLEAN_N
        out[model] = aggregate(sums, counts)
    return out


def test_all_21_models_are_recomputed(paper_dir, recomputed):
    assert len(recomputed) == 21
    assert {r["model"] for r in _rows(paper_dir / "table2_main.csv")} == set(recomputed)


@pytest.mark.parametrize(
    "column, get",
    [
        ("clean", lambda a: a.clean),
        ("pert_acc", lambda a: a.pert_acc),
        ("d_obs", lambda a: a.delta["observation"]),
        ("d_act", lambda a: a.delta["action"]),
        ("d_rew", lambda a: a.delta["reward"]),
        ("d_trn", lambda a: a.delta["transition"]),
    ],
)
def test_table2_column_matches(paper_dir, recomputed, column, get):
    off = {}
    for row in _rows(paper_dir / "table2_main.csv"):
        value = get(recomputed[row["model"]])
        if abs(value - float(row[column])) > TOLERANCE:
            off[row["model"]] = (round(value, 4), row[column])
    assert not off, f"{column}: {off}"


def test_an_unweighted_mean_would_not_match(paper_dir, recomputed):
    """The check has teeth: a plain mean over types misses the Reward column for most models."""
    per_model: dict[str, dict[str, float]] = defaultdict(dict)
    for row in _rows(paper_dir / "per_perturbation.csv"):
        if row["component"] == "Reward":
            per_model[row["model"]][row["code_name"]] = float(row["acc"])
    misses = 0
    for row in _rows(paper_dir / "table2_main.csv"):
        accs = per_model[row["model"]]
        plain = float(row["clean"]) - sum(accs.values()) / len(accs)
        misses += abs(plain - float(row["d_rew"])) > TOLERANCE
    assert misses >= 15
