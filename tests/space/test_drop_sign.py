"""One sign for an accuracy drop everywhere: Clean − Acc, positive = worse.

A submission that fails every MisDesc-Abbr (CD_AB) record and nothing else has a drop of +1 on
that type and a positive Δ Rew. The same number, with the same sign, must come out of the board
table, the HTML table, the submit result, the detail view, the heatmap, the CSV and Parquet
downloads, the JSON API rows and the ``robustbench-tc score`` report; and the docs state the rule.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from robustbench_tc.scoring import DROP_DEFINITION
from space import detail, plots
from space.app import Board, board_download_handler, detail_handler, leaderboard_sections, submit_handler
from space.board import BoardFilter, board_frame
from space.columns import shown_groups
from space.table import render_board, render_rows_json

REPO = Path(__file__).resolve().parents[2]
LOCAL = SimpleNamespace(client=SimpleNamespace(host="127.0.0.1"))
CODE, NAME = "CD_AB", "MisDesc-Abbr"


def _fail_one_type(oracle: Path, out: Path) -> Path:
    lines = oracle.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        record = json.loads(line)
        if record.get("perturbation") == CODE:
            record["raw_output"] = "I will not call any tool."
            lines[i] = json.dumps(record)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def _number(text: str) -> float:
    """The first signed number in a display string ('+1.000 ± 0.000' -> 1.0)."""
    match = re.search(r"[+\-−]?\d+\.\d+", text)
    assert match, text
    return float(match.group(0).replace("−", "-"))


def test_every_view_shows_the_same_signed_drop(board: Board, oracle_file: Path, tmp_path: Path):
    path = _fail_one_type(oracle_file, tmp_path / "fails-cd-ab.jsonl")
    status, components, per_type, _ = submit_handler(
        board, str(path), "fails CD_AB", "", "3", "", LOCAL, None
    )
    assert status.startswith("Accepted"), status
    run_id = int(status.split("#")[1].split()[0])
    run = board.store.get_run(run_id)
    d_rew = run.d_rew
    assert run.clean == 1.0 and d_rew > 0 and run.per_type[CODE]["acc"] == 0.0

    views: dict[str, tuple[float, float]] = {}  # view -> (drop of CD_AB, Δ Rew)
    submit_row = per_type.set_index("Config").loc[CODE, "Drop (Clean − Acc)"]
    comp = components.set_index("Metric").loc["Δ reward (Clean − Acc)", "Value ± 95% half-width"]
    views["submit result"] = (_number(submit_row), _number(comp))

    _, _, types, _, _ = detail_handler(board, str(run_id))
    detail_row = types.set_index("Config").loc[CODE, "Drop (Clean − Acc)"]
    frame = board_frame(board.store.runs(), served_fingerprint=board.gold.fingerprint).set_index("Model")
    views["detail view"] = (_number(detail_row), _number(frame.loc["fails CD_AB", "Δ Rew"]))

    matrix = plots.drop_matrix([run])
    views["heatmap (pp / 100)"] = (matrix[0, plots.PERTURBATION_TYPES.index(next(
        t for t in plots.PERTURBATION_TYPES if t.code_name == CODE))] / 100, d_rew)  # fmt: skip

    csv = pd.read_csv(board_download_handler(board, "csv", BoardFilter()), keep_default_na=False)
    parquet = pd.read_parquet(board_download_handler(board, "parquet", BoardFilter()))
    for name, table in (("CSV", csv), ("Parquet", parquet)):
        mine = table[table["run_id"] == run_id].iloc[0]
        views[name] = (float(mine[f"drop.{CODE}"]), float(mine["d_rew"]))
        assert _number(str(mine["Δ Rew"])) == pytest.approx(float(mine["d_rew"]), abs=5e-4)

    groups = shown_groups(["Per type: Reward"])
    sections = leaderboard_sections(board, BoardFilter(), per_type=True)
    api = next(r for r in render_rows_json(sections, groups) if r["run_id"] == run_id)
    views["API"] = (api["clean"] - api[f"acc.{CODE}"], api["d_rew"])
    html = render_board(sections, groups)
    row = html[html.index(f"<tr data-row='{run_id}'") :].split("</tr>")[0]
    cells = re.findall(r"<td[^>]*data-v='([^']*)'([^>]*)>", row)  # rank, model, Clean, Pert., 4 Δ, types
    keys = ["rank", "model", *(c.key for g in groups for c in g.columns)]
    by_key = dict(zip(keys, cells, strict=True))
    assert "220,38,38" in by_key["d_rew"][1]  # shaded red: worse
    views["HTML table"] = (
        float(by_key["clean"][0]) - float(by_key[f"acc.{CODE}"][0]),
        float(by_key["d_rew"][0]),
    )

    done = subprocess.run(
        [sys.executable, "-m", "robustbench_tc", "score", str(path), "--dataset", str(board.config.dataset_dir),
         "--n-boot", "200"],
        capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = done.stdout
    assert DROP_DEFINITION in report
    type_line = next(line for line in report.splitlines() if line.strip().startswith(NAME + " "))
    rew_line = next(line for line in report.splitlines() if line.strip().startswith("ΔRew"))
    signed = re.search(r"[+\-]\d+\.\d+", type_line.split(CODE, 1)[1])  # the drop column is the signed one
    assert signed, type_line
    views["score CLI"] = (float(signed.group(0)), _number(rew_line.split("ΔRew", 1)[1]))

    for view, (type_drop, rew) in views.items():
        assert type_drop == pytest.approx(1.0, abs=5e-4), view
        assert rew == pytest.approx(d_rew, abs=5e-4) and rew > 0, view


@pytest.mark.parametrize("doc", ["docs/leaderboard.md", "docs/scoring.md"])
def test_the_docs_state_the_convention(doc):
    text = (REPO / doc).read_text(encoding="utf-8")
    assert DROP_DEFINITION in text


def test_paper_rows_follow_the_same_sign():
    from leaderboard_seed import SEED_PATH
    from space.seed import load_seed

    paper, _ = load_seed(SEED_PATH)
    row = paper[0]  # ToolRL-DR-Full: Table 12 prints MisDesc-Abbr as -0.525 (acc − clean)
    types = detail.types_frame(row).set_index("Config")
    assert _number(types.loc[CODE, "Drop (Clean − Acc)"]) == pytest.approx(0.525, abs=1e-3)
    assert plots.drop_matrix([row])[0, list(plots.PERTURBATION_TYPES).index(
        next(t for t in plots.PERTURBATION_TYPES if t.code_name == CODE))] == pytest.approx(52.5, abs=0.11)  # fmt: skip
