"""The committed seed: the paper's 21 models, consistent with the paper's own arithmetic."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from leaderboard_seed import SEED_PATH
from leaderboard_seed.build_seed import DEFAULT_PAPER_DIR, PaperTablesError, build_seed
from robustbench_tc.taxonomy import CODE_NAMES, Component, get_type, types_of
from space.seed import load_seed
from tests.support.requires import require_path

SEED = json.loads(SEED_PATH.read_text(encoding="utf-8"))
ROWS = {row["model"]: row for row in SEED["rows"]}


def test_21_models_with_provenance():
    assert len(ROWS) == 21
    for row in ROWS.values():
        assert row["provenance"]["paper"] == "arXiv:2605.11928"
        assert "table2_main.csv" in row["provenance"]["metrics"]
        assert "per_perturbation.csv" in row["provenance"]["per_type"]
        assert row["provenance"]["params_b"].startswith("models.csv")
        assert sorted(row["per_type"]) == sorted(CODE_NAMES)
    assert "ASSUMPTION" in ROWS["TL-CodeLLaMA-2"]["provenance"]["params_b"]
    assert ROWS["o4-mini (OpenAI)"]["params_b"] is None


@pytest.mark.parametrize("model", sorted(ROWS))
def test_pert_acc_is_the_sample_weighted_mean_of_the_types(model):
    row = ROWS[model]
    weighted = sum(row["per_type"][c]["acc"] * get_type(c).paper_n for c in CODE_NAMES)
    assert weighted / sum(get_type(c).paper_n for c in CODE_NAMES) == pytest.approx(row["pert_acc"], abs=6e-4)


@pytest.mark.parametrize("model", sorted(ROWS))
@pytest.mark.parametrize(
    "component,column",
    [
        (Component.OBSERVATION, "d_obs"),
        (Component.ACTION, "d_act"),
        (Component.REWARD, "d_rew"),
        (Component.TRANSITION, "d_trn"),
    ],
)
def test_deltas_are_sample_weighted(model, component, column):
    row = ROWS[model]
    types = types_of(component)
    acc = sum(row["per_type"][t.code_name]["acc"] * t.paper_n for t in types) / sum(t.paper_n for t in types)
    assert row["clean"] - acc == pytest.approx(row[column], abs=1.5e-3)


def test_committed_seed_is_what_build_seed_writes():
    require_path(DEFAULT_PAPER_DIR, "paper CSVs (shared/paper)")
    assert build_seed(DEFAULT_PAPER_DIR) == SEED


@pytest.mark.parametrize("missing", ["table2_main.csv", "per_perturbation.csv", "models.csv"])
def test_build_seed_names_a_missing_table(tmp_path: Path, missing: str):
    require_path(DEFAULT_PAPER_DIR, "paper CSVs (shared/paper)")
    for name in ("table2_main.csv", "per_perturbation.csv", "models.csv"):
        if name != missing:
            shutil.copy(DEFAULT_PAPER_DIR / name, tmp_path / name)
    with pytest.raises(PaperTablesError, match=missing):
        build_seed(tmp_path)


def test_load_seed_gives_paper_runs():
    runs, digest = load_seed(SEED_PATH)
    assert len(runs) == 21 and len(digest) == 64
    assert {r.origin for r in runs} == {"paper"}
    ours = [r.model for r in runs if r.details["ours"]]
    assert ours == ["ToolRL-DR-Full", "ToolRL-DR-Mixed"]
    assert all(r.per_type["CD_AB"]["n"] == 144 for r in runs)
