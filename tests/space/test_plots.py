"""The figures: what they plot, and that hostile names cannot break them."""

from __future__ import annotations

import io

import pytest

from leaderboard_seed import SEED_PATH
from robustbench_tc.taxonomy import CODE_NAMES
from space import plots
from space.seed import load_seed
from space.store import Run

PAPER, _ = load_seed(SEED_PATH)


def submission(name: str, size: float | None) -> Run:
    values = {m: 0.2 for m in ("clean", "d_obs", "d_act", "d_rew", "d_trn")}
    cis = {f"{m}_ci": 0.01 for m in ("clean", "pert_acc", "d_obs", "d_act", "d_rew", "d_trn")}
    per_type = {c: {"acc": 0.1, "n": 10} for c in CODE_NAMES}
    return Run(run_id=99, origin="submission", model=name, group="Community submissions", params_b=size,
               pert_acc=0.1, **values, **cis, per_type=per_type)  # fmt: skip


def test_drop_matrix_matches_tables_7_to_14():
    data = plots.drop_matrix(PAPER)
    assert data.shape == (21, 22)
    row = PAPER[0]  # ToolRL-DR-Full: MisDesc-Abbr drop printed as -0.525
    j = CODE_NAMES.index("CD_AB")
    assert data[0, j] == pytest.approx(100 * (row.clean - row.per_type["CD_AB"]["acc"]))
    assert data[0, j] == pytest.approx(52.5, abs=0.11)


def test_trend_is_fit_over_the_18_paper_baselines():
    sized = [r for r in PAPER if r.params_b and not r.details["ours"]]
    assert len(sized) == 18
    fig = plots.retention_figure(PAPER)
    (line,) = [ln for ln in fig.axes[0].get_lines() if ln.get_linestyle() == "--"]
    assert "18 paper models" in line.get_label()


@pytest.mark.parametrize("kind", ["paper", "pert"])
@pytest.mark.filterwarnings("ignore:Glyph")
@pytest.mark.parametrize(
    "name", ["$\\frac{1}{0}$", "$\\frac{1}{$", "<script>alert(1)</script>", "a" * 300, "$$$", "ünï€ødé 模型"]
)
def test_figures_render_with_hostile_names(kind, name):
    runs = [*PAPER, submission(name, 3.0), submission(name, None)]
    for fig in (plots.heatmap_figure(runs), plots.retention_figure(runs, kind), plots.delta_figure(runs)):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=40)  # what gr.Plot does; raises on a mathtext error
        assert buffer.getvalue().startswith(b"\x89PNG")


def test_retention_formulas():
    r = PAPER[0]
    assert plots.retention(clean=r.clean, d_obs=r.d_obs, d_act=r.d_act, d_rew=r.d_rew, pert_acc=r.pert_acc,
                           kind="paper") == pytest.approx(1 - (0.009 + 0.147 + 0.331) / 3 / 0.643)  # fmt: skip
    assert plots.retention(clean=0.0, d_obs=0, d_act=0, d_rew=0, pert_acc=0, kind="pert") != 0  # NaN


def test_figure3_families():
    fig = plots.delta_figure(PAPER)
    (legend,) = fig.legends  # one figure legend above the four panels
    assert [t.get_text() for t in legend.get_texts()] == list(plots.FIGURE3_FAMILIES)


def test_figure3_legend_covers_no_panel_or_title():
    """The legend used to sit inside the ΔObservation panel, over its title and data."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = plots.delta_figure(PAPER)
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    (legend,) = fig.legends
    box = legend.get_window_extent(renderer)
    for ax in fig.axes:
        assert not box.overlaps(ax.title.get_window_extent(renderer)), ax.title.get_text()
        assert not box.overlaps(ax.get_window_extent(renderer)), ax.title.get_text()
    assert all(ax.get_legend() is None for ax in fig.axes)
