"""The figures: what they plot, hover texts and legends, label placement, sizeless rows, hostile names."""

from __future__ import annotations

import json
import math

import pytest

from leaderboard_seed import SEED_PATH
from robustbench_tc.taxonomy import CODE_NAMES
from space import plots
from space.seed import load_seed
from space.store import Run

PAPER, _ = load_seed(SEED_PATH)


def submission(name: str, size: float | None, run_id: int = 99) -> Run:
    values = {m: 0.2 for m in ("clean", "d_obs", "d_act", "d_rew", "d_trn")}
    cis = {f"{m}_ci": 0.01 for m in ("clean", "pert_acc", "d_obs", "d_act", "d_rew", "d_trn")}
    per_type = {c: {"acc": 0.1, "n": 10} for c in CODE_NAMES}
    return Run(run_id=run_id, origin="submission", model=name, group="Community submissions", params_b=size,
               pert_acc=0.1, **values, **cis, per_type=per_type)  # fmt: skip


def test_drop_matrix_matches_tables_7_to_14():
    data = plots.drop_matrix(PAPER)
    assert data.shape == (21, 22)
    row = PAPER[0]  # ToolRL-DR-Full: MisDesc-Abbr printed as -0.525 (acc − clean); our drop is +52.5 pp
    j = CODE_NAMES.index("CD_AB")
    assert data[0, j] == pytest.approx(100 * (row.clean - row.per_type["CD_AB"]["acc"]))
    assert data[0, j] == pytest.approx(52.5, abs=0.11)


def test_trend_is_fit_over_the_18_paper_baselines():
    sized = [r for r in PAPER if r.params_b and not r.details["ours"]]
    assert len(sized) == 18
    fig = plots.retention_figure(PAPER)
    (line,) = [t for t in fig.data if t.mode == "lines"]
    assert "18 paper models" in line.name


def test_every_point_hovers_with_its_model_and_value():
    fig = plots.retention_figure(PAPER)
    points = [t for t in fig.data if t.mode == "markers"]
    names = [n for t in points for n in t.customdata]
    assert sorted(names) == sorted(r.model for r in PAPER if r.params_b)  # o4-mini has no size
    assert all("%{customdata}" in t.hovertemplate and "%{y:.3f}" in t.hovertemplate for t in points)
    assert all(t.name and t.showlegend is not False for t in points)  # each colour/marker is in the legend


def test_labels_never_overlap():
    boxes = []
    for dx, dy, side, text, (x, y) in _placed(plots.retention_figure(PAPER)):
        width = 6.6 * len(text)
        x0 = x + dx if side == "left" else x + dx - width
        boxes.append(plots.Box(x0, y + dy - 7.5, x0 + width, y + dy + 7.5))
    assert len(boxes) >= 12  # most paper models keep a visible name
    assert not any(a.hits(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def _placed(fig):
    """(dx, dy, side, text, point in px) of every point label, in the same pixel frame as placement."""
    x_range = tuple(10**v for v in fig.layout.xaxis.range)
    y_range = tuple(fig.layout.yaxis.range)
    height = fig.layout.height - plots.MARGIN["t"] - plots.MARGIN["b"]
    out = []
    for a in fig.layout.annotations:
        (px,) = plots._to_px([10**a.x], [a.y], x_range, y_range, height)
        side = "left" if a.xanchor == "left" else "right"
        out.append((a.xshift, -a.yshift, side, plots._plain(a.text), px))
    return out


@pytest.mark.parametrize(
    "points,labels",
    [
        ([(0, 0), (5, 0), (10, 0), (0, 8)], ["Qwen3-8B", "MUA-RL-8B", "LoopTool-8B", "Qwen3.5-9B"]),
        ([(i * 3.0, 0.0) for i in range(12)], [f"model-{i}" for i in range(12)]),
    ],
)
def test_place_labels_leaves_no_overlap(points, labels):
    spots = plots.place_labels(points, labels)
    boxes = []
    for (x, y), text, spot in zip(points, labels, spots, strict=True):
        if spot is None:
            continue
        dx, dy, side = spot
        width = 6.6 * len(text)
        x0 = x + dx if side == "left" else x + dx - width
        boxes.append(plots.Box(x0, y + dy - 7.5, x0 + width, y + dy + 7.5))
    assert not any(a.hits(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_figure3_dodges_families_at_the_same_size():
    fig = plots.delta_figure(PAPER)
    xs = {}
    for trace in fig.data:
        if trace.xaxis in (None, "x") and trace.name in plots.FIGURE3_FAMILIES:
            xs[trace.name] = list(trace.x)
    at_8b = {name: x for name, values in xs.items() for x in values if 6.5 < x < 10}
    assert set(at_8b) == {"MUA-RL", "LoopTool", "Qwen3"} and len(set(at_8b.values())) == 3
    legend = [t.name for t in fig.data if t.showlegend]
    assert legend == list(plots.FIGURE3_FAMILIES)


def test_rows_without_a_size_are_named_under_the_plots():
    runs = [*PAPER, submission("mine (no size)", None), submission("sized", 3.0, run_id=100)]
    caption = plots.retention_caption(runs, "paper")
    assert "o4-mini (OpenAI)" in caption and "#99 mine (no size)" in caption and "sized" not in caption
    assert "#99 mine (no size)" in plots.delta_caption(runs)
    assert "Not on this plot" not in plots.retention_caption([PAPER[0]], "paper")


@pytest.mark.parametrize("kind", ["paper", "pert"])
@pytest.mark.parametrize(
    "name", ["$\\frac{1}{0}$", "<script>alert(1)</script>", "<a href='javascript:alert(1)'>x</a>", "a" * 300,
             "ünï€ødé 模型"],
)  # fmt: skip
def test_figures_take_hostile_names_as_text(kind, name):
    runs = [*PAPER, submission(name, 3.0), submission(name, None, run_id=100)]
    for fig in (plots.heatmap_figure(runs), plots.retention_figure(runs, kind), plots.delta_figure(runs)):
        text = json.dumps(fig.to_plotly_json(), default=str)
        assert "<script" not in text and "<a href" not in text  # Plotly renders some HTML in text: escaped


def test_heatmap_hover_and_component_headers():
    fig = plots.heatmap_figure([*PAPER, submission("s", 3.0)])
    (heat,) = fig.data
    assert "drop %{z:+.1f} pp (Clean − Acc)" in heat.hovertemplate and heat.zmid == 0
    assert [a.text for a in fig.layout.annotations] == [
        "<b>Observation</b>", "<b>Action</b>", "<b>Reward</b>", "<b>Transition</b>"
    ]  # fmt: skip
    assert not fig.layout.title.text  # the page's heading names the plot: nothing for a badge to cover
    assert heat.y[-1] == "#99 s"


def test_retention_formulas():
    r = PAPER[0]
    assert plots.retention(clean=r.clean, d_obs=r.d_obs, d_act=r.d_act, d_rew=r.d_rew, pert_acc=r.pert_acc,
                           kind="paper") == pytest.approx(1 - (0.009 + 0.147 + 0.331) / 3 / 0.643)  # fmt: skip
    assert math.isnan(plots.retention(clean=0.0, d_obs=0, d_act=0, d_rew=0, pert_acc=0, kind="pert"))
