"""The leaderboard's rows: order, sections per data version, rank ranges, filters, the HTML table."""

from __future__ import annotations

import re

import pytest

from leaderboard_seed import SEED_PATH
from space.board import (
    PAPER_DATA,
    BoardFilter,
    board_frame,
    groups_in,
    matches_gold_everywhere,
    ranked_sections,
    status_of,
)
from space.columns import COLUMN_GROUPS, HEADLINE, shown_groups
from space.seed import load_seed
from space.store import PairedResult, Run
from space.table import EMPTY_SERVED, NO_MATCH, render_board

PAPER, _ = load_seed(SEED_PATH)
for i, run in enumerate(PAPER, 1):
    run.run_id = i

SERVED = "f" * 64


def sub(run_id: int, name: str, pert: float, size: float | None = None, *, clean: float = 0.2,
        ci: float = 0.01, verified: bool = False) -> Run:  # fmt: skip
    values = {m: 0.2 for m in ("d_obs", "d_act", "d_rew", "d_trn")}
    cis = {f"{m}_ci": ci for m in ("clean", "pert_acc", "d_obs", "d_act", "d_rew", "d_trn")}
    metadata = {"verified": {"request_id": 1}} if verified else {}
    return Run(run_id=run_id, origin="submission", model=name, group="Community submissions", params_b=size,
               pert_acc=pert, clean=clean, **values, **cis, per_type={}, dataset_fingerprint=SERVED,
               details={"n_records": 4005}, metadata=metadata)  # fmt: skip


def test_paper_rows_sorted_by_pert_acc_with_cis_and_signed_drops():
    frame = board_frame(PAPER)
    assert len(frame) == 21
    assert frame["Model"].tolist()[:3] == ["Qwen3-14B", "MUA-RL-32B", "Qwen3-32B"]
    assert frame["Model"].tolist()[-1] == "SFT-Clean-4k-3B"
    top = frame.iloc[0]
    assert (top["Clean"], top["Pert. Acc."], top["Δ Rew"]) == (
        "0.749 ± 0.060",
        "0.529 ± 0.016",
        "+0.464 ± 0.070",
    )
    assert frame.loc[frame["Model"] == "MUA-RL-32B", "Δ Act"].item() == "-0.010 ± 0.071"  # a gain
    assert set(frame["Data version"]) == {PAPER_DATA} and set(frame["Status"]) == {"paper"}
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
        (BoardFilter(verified_only=True), set()),
    ],
)
def test_filters(flt, expected):
    assert set(board_frame(PAPER, flt=flt)["Model"]) == expected


def test_rank_is_kept_when_filtering():
    full = board_frame(PAPER).set_index("Model")["Rank"]
    frame = board_frame(PAPER, flt=BoardFilter(search="SFT"))
    assert frame["Rank"].tolist() == [full["SFT-Clean-4k-3B"]]


def test_paper_ranks_come_from_non_overlapping_intervals():
    ranks = board_frame(PAPER, hidden=True).set_index("Model")
    # Qwen3-14B (0.529 ± 0.016) is not separable from MUA-RL-32B (0.527 ± 0.016): both 1–k
    assert ranks.loc["Qwen3-14B", "rank_best"] == ranks.loc["MUA-RL-32B", "rank_best"] == 1
    # the last row is below everything it is separated from; its best rank is > 1
    assert ranks.loc["SFT-Clean-4k-3B", "rank_worst"] == 21 and ranks.loc["SFT-Clean-4k-3B", "rank_best"] > 15
    assert all(b <= w for b, w in zip(ranks["rank_best"], ranks["rank_worst"], strict=True))


@pytest.mark.parametrize(
    "p_ab,expected",
    [
        (0.40, {"a": "1–2", "b": "1–2", "c": "3"}),  # a and b not separable; both above c
        (0.001, {"a": "1", "b": "2", "c": "3"}),  # the paired test separates a from b
    ],
)
def test_rank_ranges_from_paired_tests(p_ab, expected):
    subs = [sub(30, "a", 0.60), sub(31, "b", 0.59), sub(32, "c", 0.30)]
    tests = [
        PairedResult(run_a=30, run_b=31, metric="pert_acc", diff=0.01, p_value=p_ab),
        PairedResult(run_a=30, run_b=32, metric="pert_acc", diff=0.30, p_value=0.0001),
        PairedResult(run_a=31, run_b=32, metric="pert_acc", diff=0.29, p_value=0.0001),
    ]
    frame = board_frame([*PAPER, *subs], tests, served_fingerprint=SERVED).set_index("Model")
    assert {m: frame.loc[m, "Rank"] for m in "abc"} == expected
    assert frame.loc["Qwen3-14B", "Rank"].startswith("1")  # the paper's best is #1 of its own group


def test_sections_keep_paper_rows_and_submissions_apart():
    subs = [sub(30, "a", 0.99), sub(31, "b", 0.10)]
    sections = ranked_sections([*PAPER, *subs], [], None, 0.05, SERVED)
    assert [s.kind for s in sections] == ["served", "paper"]
    assert [r.run.model for r in sections[0].rows] == ["a", "b"]
    assert len(sections[1].rows) == 21 and sections[1].rows[0].best == 1


def test_served_section_is_shown_before_its_first_submission():
    sections = ranked_sections(PAPER, [], None, 0.05, SERVED, "build ffffffffffff (4,005 rows)")
    assert [(s.kind, s.total) for s in sections] == [("served", 0), ("paper", 21)]
    html = render_board(sections, shown_groups(None))
    assert EMPTY_SERVED.split(":")[0] in html and html.count("<tr data-row=") == 21


@pytest.mark.parametrize(
    "run,status,gold",
    [
        (PAPER[0], "paper", False),
        (sub(40, "x", 0.5), "self-reported", False),
        (sub(41, "oracle", 1.0, clean=1.0), "self-reported", True),
        (sub(42, "maintainers' run", 1.0, clean=1.0, verified=True), "verified", False),
    ],
)
def test_status_and_the_gold_flag(run, status, gold):
    assert status_of(run) == status and matches_gold_everywhere(run) is gold
    html = render_board(ranked_sections([run], [], None, 0.05, SERVED), shown_groups(None))
    assert ("class='badge gold'" in html) is gold
    assert ("class='badge verified'" in html) is (status == "verified")


def test_table_html_escapes_names_and_carries_numeric_sort_keys():
    hostile = sub(50, "<img src=x onerror=alert(1)>", 0.5)
    html = render_board(ranked_sections([*PAPER, hostile], [], None, 0.05, SERVED), shown_groups(None))
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    # every number cell sorts by its value, not its text (-0.005 after -0.010 ascending)
    keys = re.findall(r"data-col='d_act'", html)
    assert len(keys) == 1
    assert "data-v='-0.01'" in html and "data-v='0.464'" in html
    assert html.count("<tbody") == 2  # one body per data version: sorting never mixes them


def test_no_rows_match_says_so():
    html = render_board(ranked_sections(PAPER, [], BoardFilter(search="zzz"), 0.05), shown_groups(None))
    assert NO_MATCH in html and "<table" not in html


def test_column_groups_are_one_table():
    names = [g.name for g in COLUMN_GROUPS]
    assert len(names) == len(set(names)) and COLUMN_GROUPS[0] is HEADLINE and HEADLINE.fixed
    keys = [c.key for g in COLUMN_GROUPS for c in g.columns]
    assert len(keys) == len(set(keys))
    assert [g.name for g in shown_groups([])] == ["Headline"]
    per_type = shown_groups(["Per type: Observation"])
    assert per_type[-1].reads == frozenset({"per_type"}) and len(per_type[-1].columns) == 4


def test_groups_in_order_with_submissions_last():
    groups = groups_in(PAPER)
    assert groups[0] == "Our 3B trained checkpoints" and groups[-1] == "Community submissions"
    assert len(groups) == 10


def test_a_long_section_shows_its_first_rows_and_a_show_all_button():
    from space.table import PAGE_ROWS

    subs = [sub(1000 + i, f"m{i}", 0.9 - i / 1000) for i in range(PAGE_ROWS + 5)]
    html = render_board(ranked_sections([*PAPER, *subs], [], None, 0.05, SERVED), shown_groups(None))
    served = html.split("<tbody data-section='served'>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr data-row='(\d+)' data-order='(\d+)'( class='more')?>", served)
    assert len(rows) == PAGE_ROWS + 5  # every row is in the page: sorting sees them all
    assert [bool(hidden) for _, _, hidden in rows] == [False] * PAGE_ROWS + [True] * 5
    assert "Show all 105 rows of this group (5 more)" in served and "data-more" in served
    paper = html.split("<tbody data-section='paper'>")[1]
    assert "class='more'" not in paper and "data-more" not in paper  # 21 rows: nothing held back
