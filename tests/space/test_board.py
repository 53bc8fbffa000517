"""The leaderboard table: order, filters, CI formatting and the paired-test column."""

from __future__ import annotations

import pytest

from leaderboard_seed import SEED_PATH
from space.board import PAPER_PAIRED_NOTE, BoardFilter, board_frame, groups_in
from space.seed import load_seed
from space.store import PairedResult, Run

PAPER, _ = load_seed(SEED_PATH)
for i, run in enumerate(PAPER, 1):
    run.run_id = i


def sub(run_id: int, name: str, pert: float, size: float | None = None) -> Run:
    values = {m: 0.2 for m in ("clean", "d_obs", "d_act", "d_rew", "d_trn")}
    cis = {f"{m}_ci": 0.01 for m in ("clean", "pert_acc", "d_obs", "d_act", "d_rew", "d_trn")}
    return Run(run_id=run_id, origin="submission", model=name, group="Community submissions", params_b=size,
               pert_acc=pert, **values, **cis, per_type={})  # fmt: skip


def test_paper_rows_sorted_by_pert_acc_with_cis():
    frame = board_frame(PAPER)
    assert len(frame) == 21
    assert frame["Model"].tolist()[:3] == ["Qwen3-14B", "MUA-RL-32B", "Qwen3-32B"]
    assert frame["Model"].tolist()[-1] == "SFT-Clean-4k-3B"
    top = frame.iloc[0]
    assert (top["Clean"], top["Pert. Acc."], top["Δ Rew"]) == (
        "0.749 ± 0.060",
        "0.529 ± 0.016",
        "0.464 ± 0.070",
    )
    assert set(frame["Not sig. different from (paired, p ≥ 0.05)"]) == {PAPER_PAIRED_NOTE}
    assert frame.loc[frame["Model"] == "o4-mini (OpenAI)", "Size (B)"].item() == "—"


@pytest.mark.parametrize(
    "flt,expected",
    [
        (BoardFilter(search="qwen3-"), {"Qwen3-14B", "Qwen3-32B", "Qwen3-8B"}),
        (BoardFilter(search="DEEPSEEK"), {"DeepSeek-R1-Distill-14B"}),
        (BoardFilter(search="zzwkk/MUA-RL-8B"), {"MUA-RL-8B"}),
        (
            BoardFilter(groups=("Closed-source frontier", "ToolRL SFT version")),
            {"o4-mini (OpenAI)", "SFT-Clean-4k-3B"},
        ),
        (BoardFilter(min_size_b=20), {"MUA-RL-32B", "LoopTool-32B", "Qwen3-32B", "o4-mini (OpenAI)"}),
        (BoardFilter(min_size_b=20, include_unknown_size=False), {"MUA-RL-32B", "LoopTool-32B", "Qwen3-32B"}),
        (
            BoardFilter(max_size_b=1.5, include_unknown_size=False),
            {"ToolRL-Qwen2.5-1.5B", "Qwen2.5-1.5B-Instruct"},
        ),
        (BoardFilter(search="nothing matches"), set()),
    ],
)
def test_filters(flt, expected):
    assert set(board_frame(PAPER, flt=flt)["Model"]) == expected


def test_rank_is_kept_when_filtering():
    frame = board_frame(PAPER, flt=BoardFilter(search="SFT"))
    assert frame["#"].tolist() == ["21"]


def test_not_significant_column_lists_peers_both_ways():
    subs = [sub(30, "a", 0.60), sub(31, "b", 0.59), sub(32, "c", 0.30)]
    tests = [
        PairedResult(run_a=30, run_b=31, metric="pert_acc", diff=0.01, p_value=0.40),
        PairedResult(run_a=30, run_b=32, metric="pert_acc", diff=0.30, p_value=0.0001),
        PairedResult(run_a=31, run_b=32, metric="pert_acc", diff=0.29, p_value=0.0001),
    ]
    frame = board_frame([*PAPER, *subs], tests).set_index("Model")
    column = "Not sig. different from (paired, p ≥ 0.05)"
    assert frame.loc["a", column] == "#31 b"
    assert frame.loc["b", column] == "#30 a"
    assert frame.loc["c", column].startswith("none")
    assert frame.loc["a", "#"] == "1" and frame.loc["a", "Source"] == "submission #30"


def test_groups_in_order_with_submissions_last():
    groups = groups_in(PAPER)
    assert groups[0] == "Our 3B trained checkpoints" and groups[-1] == "Community submissions"
    assert len(groups) == 9
