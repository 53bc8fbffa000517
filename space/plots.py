"""The board's figures (Plotly: hover shows model and value; legends say what colours and markers
mean): robustness retention vs size (paper Fig. 2), the per-component drop vs size by family
(Fig. 3) and the per-perturbation drop heatmap (Fig. 4); beyond the paper, the runtime axes' drops
from the clean episode with their paired intervals.

Every drop is ``Clean − Acc`` (positive = worse), as everywhere on the board. Names from
submitters are HTML-escaped (Plotly renders a subset of HTML in text) and shortened. Point labels
are placed by ``place_labels`` so that no two overlap; a point whose label finds no free place
keeps only its hover text. Rows without a size cannot sit on a size axis: ``unsized`` lists them
and the captions name them.

>>> retention(clean=0.8, d_obs=0.02, d_act=0.1, d_rew=0.3, pert_acc=0.5, kind="paper")
0.825
>>> retention(clean=0.8, d_obs=0.02, d_act=0.1, d_rew=0.3, pert_acc=0.5, kind="pert")
0.625
>>> safe_label("<b>x</b> & y")
'&lt;b&gt;x&lt;/b&gt; &amp; y'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Literal

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from robustbench_tc.scoring import DROP_DEFINITION
from robustbench_tc.taxonomy import (
    COMPONENT_INFO,
    COMPONENTS,
    EPISODE_CLEAN,
    PERTURBATION_TYPES,
    RUNTIME_TYPES,
    types_of,
)
from space.store import Run

RetentionKind = Literal["paper", "pert"]

FIGURE3_FAMILIES: tuple[str, ...] = ("ToolRL", "MUA-RL", "LoopTool", "Qwen3")
"""The four families of paper Fig. 3 (ToolRL = the Qwen2.5 1.5B/3B checkpoints)."""

HEATMAP_CAPTION = (
    f"Cell = drop in percentage points from the model's own clean accuracy, `100 × (Clean − Acc_type)` "
    f"({DROP_DEFINITION}): red = lost accuracy, blue = the perturbation helped. Columns: the 22 types "
    "grouped by POMDP component; rows: the paper's models as in Table 2, then submissions (best 30 by "
    "Pert. Acc.). Hover a cell for the model, type, drop and accuracy."
)
RETENTION_CAPTION = {
    "paper": (
        "`Retention = 1 − mean(ΔObs, ΔAct, ΔRew) / Clean` (higher = better; Transition excluded as in "
        "the paper). Dashed line: least-squares fit `Retention = a + b·log10(size)` over the paper's models "
        "with a known size, our two ToolRL-DR checkpoints excluded (18 models). Hover a point for its model."
    ),
    "pert": (
        "`Retention = Pert. Acc. / Clean` (all 22 types, sample-weighted; higher = better). Dashed line: "
        "least-squares fit `Retention = a + b·log10(size)` over the paper's models with a known size, "
        "ToolRL-DR excluded. Hover a point for its model."
    ),
}
DELTA_CAPTION = (
    f"`ΔX = Clean − Acc(X)` ({DROP_DEFINITION}), where Acc(X) is the sample-weighted accuracy over component "
    "X's types; error bars: 95% bootstrap half-width. Families: ToolRL (Qwen2.5 1.5B/3B), MUA-RL, LoopTool, "
    "Qwen3 base, each nudged sideways so that bars at the same size stay apart; submissions with a stated "
    "size as diamonds."
)

_SIZE_TICKS = (1, 1.5, 3, 7, 14, 32, 70, 200, 700)
_FAMILY_COLORS = {"ToolRL": "#1f77b4", "MUA-RL": "#ff7f0e", "LoopTool": "#2ca02c", "Qwen3": "#9467bd"}
_GROUP_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")
_FONT = {"size": 12}
PLOT_WIDTH = 760
"""Plot-area width (px) the label placement assumes: the page keeps the retention plot at least
860 px wide (``PLOT_MIN_WIDTH``); a wider plot only moves labels further apart."""
PLOT_MIN_WIDTH = 860


def safe_label(text: str, limit: int = 40) -> str:
    """A submitter-provided name made safe for Plotly text (escaped), shortened."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return escape(text, quote=False)


def retention(
    *, clean: float, d_obs: float, d_act: float, d_rew: float, pert_acc: float, kind: RetentionKind
) -> float:
    """Fig. 2's retention (``paper``) or the plain ratio Pert. Acc. / Clean (``pert``)."""
    if clean <= 0:
        return math.nan
    if kind == "paper":
        return round(1 - (d_obs + d_act + d_rew) / 3 / clean, 12)
    return round(pert_acc / clean, 12)


def _is_ours(run: Run) -> bool:
    return bool(run.details.get("ours"))


def _name(run: Run) -> str:
    return run.model if run.origin == "paper" else f"#{run.run_id} {run.model}"


def _status(run: Run) -> str:
    if run.origin == "paper":
        return "paper"
    return "verified" if run.metadata.get("verified") else "self-reported"


def unsized(runs: Iterable[Run]) -> list[str]:
    """Names of the rows a size axis cannot show (no declared size)."""
    return [_name(r) for r in runs if not r.params_b]


def _unsized_note(runs: Iterable[Run]) -> str:
    names = unsized(runs)
    if not names:
        return ""
    return "\n\n**Not on this plot (no declared size):** " + ", ".join(
        "`" + n.replace("`", "'")[:60] + "`" for n in names
    )


def retention_caption(runs: Iterable[Run], kind: RetentionKind = "paper") -> str:
    return RETENTION_CAPTION[kind] + _unsized_note(runs)


def delta_caption(runs: Iterable[Run]) -> str:
    runs = list(runs)
    shown = [r for r in runs if r.origin == "paper" and r.family in FIGURE3_FAMILIES or r.origin != "paper"]
    return DELTA_CAPTION + _unsized_note(shown)


def _heatmap_order(runs: Sequence[Run]) -> list[Run]:
    paper = sorted((r for r in runs if r.origin == "paper"), key=lambda r: r.details.get("table2_order", 0))
    subs = sorted((r for r in runs if r.origin != "paper"), key=lambda r: -r.pert_acc)
    return paper + subs


def drop_matrix(runs: Sequence[Run]) -> np.ndarray:
    """Rows = runs, columns = the 22 types in taxonomy order: 100 × (clean − acc); NaN if absent."""
    out = np.full((len(runs), len(PERTURBATION_TYPES)), np.nan)
    for i, run in enumerate(runs):
        for j, t in enumerate(PERTURBATION_TYPES):
            cell = run.per_type.get(t.code_name)
            if cell is not None and cell.get("acc") is not None:
                out[i, j] = 100 * (run.clean - float(cell["acc"]))
    return out


# -- label placement ------------------------------------------------------------------------
@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def hits(self, other: Box) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1


_OFFSETS = ((8, 0), (-8, 0), (8, 12), (8, -12), (-8, 12), (-8, -12), (8, 24), (8, -24))
"""Candidate label anchors (px from the point): right, left, then above/below on either side."""


def place_labels(
    points: Sequence[tuple[float, float]], labels: Sequence[str], *, char_px: float = 6.6, line_px: float = 15
) -> list[tuple[float, float, str] | None]:
    """For points in pixel space, a label anchor ``(dx, dy, side)`` per point (``side`` = "left" or
    "right": where the text starts) such that no two label boxes overlap and no box covers a point;
    None where every candidate collides. Greedy, in the given order (put important points first).

    >>> place_labels([(0, 0), (5, 0)], ["aaaa", "bbbb"])
    [(-8, 0, 'right'), (8, 0, 'left')]
    """
    taken: list[Box] = []
    dots = [Box(x - 6, y - 6, x + 6, y + 6) for x, y in points]
    out: list[tuple[float, float, str] | None] = []
    for i, ((x, y), text) in enumerate(zip(points, labels, strict=True)):
        width = char_px * len(text)
        chosen = None
        for dx, dy in _OFFSETS:
            x0 = x + dx if dx >= 0 else x + dx - width
            box = Box(x0, y + dy - line_px / 2, x0 + width, y + dy + line_px / 2)
            if any(box.hits(b) for b in taken) or any(box.hits(d) for j, d in enumerate(dots) if j != i):
                continue
            chosen = (dx, dy, "left" if dx >= 0 else "right")
            taken.append(box)
            break
        out.append(chosen)
    return out


def _to_px(xs: Sequence[float], ys: Sequence[float], x_range: tuple[float, float],
           y_range: tuple[float, float], height: float) -> list[tuple[float, float]]:  # fmt: skip
    lx0, lx1 = (math.log10(v) for v in x_range)
    y0, y1 = y_range
    return [
        ((math.log10(x) - lx0) / (lx1 - lx0) * PLOT_WIDTH, (y1 - y) / ((y1 - y0) or 1) * height)
        for x, y in zip(xs, ys, strict=True)
    ]


def _size_axis(fig: go.Figure, xs: Sequence[float], **where: Any) -> tuple[float, float]:
    lo = min(xs) * 0.75 if xs else 1.0
    hi = max(xs) * 1.35 if xs else 40.0
    ticks = [t for t in _SIZE_TICKS if lo <= t <= hi]
    fig.update_xaxes(type="log", range=[math.log10(lo), math.log10(hi)], tickvals=ticks,
                     ticktext=[f"{t:g}" for t in ticks], title_text="model size (B parameters, log scale)",
                     **where)  # fmt: skip
    return lo, hi


def trend_fit(sizes: Sequence[float], values: Sequence[float]) -> tuple[float, float] | None:
    """Least-squares (a, b) of ``value = a + b·log10(size)``; None with fewer than 2 sizes.

    >>> a, b = trend_fit([1, 10, 100], [0.5, 0.6, 0.7])
    >>> round(a, 6), round(b, 6)
    (0.5, 0.1)
    """
    points = [
        (math.log10(s), v) for s, v in zip(sizes, values, strict=True) if s and s > 0 and math.isfinite(v)
    ]
    if len({x for x, _ in points}) < 2:
        return None
    x, y = np.array(points).T
    b, a = np.polyfit(x, y, 1)
    return float(a), float(b)


MARGIN = {"l": 70, "r": 20, "t": 24, "b": 170}
"""Fixed margins (no automargin guesses): the legend sits below the x axis, inside the bottom margin,
so the plot area, and with it the label placement, has a known height."""


def _layout(fig: go.Figure, height: int, margin: dict[str, int] | None = None) -> go.Figure:
    """Common look: no figure title (the page's heading names the plot), the legend under the axes."""
    fig.update_layout(
        height=height,
        margin=margin or MARGIN,
        font=_FONT,
        hoverlabel={"font_size": 13},
        legend={"orientation": "h", "yanchor": "top", "y": -0.16, "x": 0, "font": {"size": 12}},
        template="plotly_white",
    )
    return fig


def retention_figure(runs: Iterable[Run], kind: RetentionKind = "paper") -> go.Figure:
    """Paper Fig. 2 (or the Pert. Acc./Clean variant): one legend entry per Table 2 group, ToolRL-DR
    as stars, submissions as diamonds (verified / self-reported), the log-linear trend."""
    runs = [r for r in runs if r.params_b]
    height = 640

    def value(r: Run) -> float:
        return retention(
            clean=r.clean, d_obs=r.d_obs, d_act=r.d_act, d_rew=r.d_rew, pert_acc=r.pert_acc, kind=kind
        )

    fig = go.Figure()
    ylabel = "1 − mean(ΔObs, ΔAct, ΔRew) / Clean" if kind == "paper" else "Pert. Acc. / Clean"
    hover = "<b>%{customdata}</b><br>size %{x:g} B<br>retention %{y:.3f}<extra></extra>"
    traces: dict[str, list[Run]] = {}
    for r in runs:
        if r.origin != "paper":
            key = f"Submission ({_status(r)})"
        elif _is_ours(r):
            key = "ToolRL-DR (the paper's)"
        else:
            key = r.group
        traces.setdefault(key, []).append(r)
    colors = iter(_GROUP_COLORS)
    for key, members in traces.items():
        if key.startswith("Submission"):
            marker = {"symbol": "diamond", "size": 11, "color": "#15803d" if "verified" in key else "#111827"}
        elif key.startswith("ToolRL-DR"):
            marker = {"symbol": "star", "size": 17, "color": "#dc2626"}
        else:
            marker = {"symbol": "circle", "size": 10, "color": next(colors, "#7f7f7f")}
        fig.add_trace(go.Scatter(
            x=[r.params_b for r in members], y=[value(r) for r in members], mode="markers", name=escape(key),
            marker=marker, customdata=[safe_label(_name(r), 60) for r in members], hovertemplate=hover,
        ))  # fmt: skip
    baseline = [r for r in runs if r.origin == "paper" and not _is_ours(r)]
    fit = trend_fit([r.params_b or 0 for r in baseline], [value(r) for r in baseline])
    xs = [r.params_b or 1.0 for r in runs]
    lo, hi = _size_axis(fig, xs)
    if fit:
        line = np.geomspace(lo, hi, 50)
        fig.add_trace(go.Scatter(x=line, y=fit[0] + fit[1] * np.log10(line), mode="lines",
                                 line={"dash": "dash", "color": "gray"}, hoverinfo="skip",
                                 name=f"log-linear trend over {len(baseline)} paper models"))  # fmt: skip
    ys = [value(r) for r in runs]
    finite = [y for y in ys if math.isfinite(y)]
    y_range = (min(finite, default=0.0) - 0.03, max(finite, default=1.0) + 0.03)
    fig.update_yaxes(title_text=ylabel, range=list(y_range))
    _annotate(fig, runs, xs, ys, (lo, hi), y_range, height - MARGIN["t"] - MARGIN["b"])
    return _layout(fig, height)


def _annotate(fig: go.Figure, runs: Sequence[Run], xs: Sequence[float], ys: Sequence[float],
              x_range: tuple[float, float], y_range: tuple[float, float], height: float) -> None:  # fmt: skip
    """Names next to the points wherever they fit without overlapping (paper rows first)."""
    order = sorted(range(len(runs)), key=lambda i: (runs[i].origin != "paper", -ys[i]))
    finite = [i for i in order if math.isfinite(ys[i])]
    points = _to_px([xs[i] for i in finite], [ys[i] for i in finite], x_range, y_range, height)
    labels = [safe_label(_name(runs[i]), 24) for i in finite]
    for i, label, spot in zip(finite, labels, place_labels(points, [_plain(t) for t in labels]), strict=True):
        if spot is None:
            continue
        dx, dy, side = spot
        fig.add_annotation(x=math.log10(xs[i]), y=ys[i], text=label, showarrow=False, xshift=dx, yshift=-dy,
                           xanchor=side, font={"size": 11, "color": "#374151"})  # fmt: skip


def _plain(label: str) -> str:
    """The label as shown (entities count as one character)."""
    return label.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_DODGE = {f: (i - (len(FIGURE3_FAMILIES) - 1) / 2) * 0.035 for i, f in enumerate(FIGURE3_FAMILIES)}
"""Sideways nudge (log10 units, ≈ ±6%) per family, so error bars at the same size stay apart."""


def delta_figure(runs: Iterable[Run]) -> go.Figure:
    """Paper Fig. 3: ΔObs/ΔAct/ΔRew/ΔTrn vs size for the four families; submissions as diamonds."""
    runs = list(runs)
    infos = list(COMPONENT_INFO.values())
    fig = make_subplots(rows=2, cols=2, subplot_titles=[f"Δ {i.title} (lower is better)" for i in infos],
                        horizontal_spacing=0.08, vertical_spacing=0.16)  # fmt: skip
    sized = [r for r in runs if r.params_b and (r.origin != "paper" or r.family in FIGURE3_FAMILIES)]
    for k, info in enumerate(infos):
        row, col = k // 2 + 1, k % 2 + 1
        for family in FIGURE3_FAMILIES:
            members = sorted((r for r in sized if r.origin == "paper" and r.family == family),
                             key=lambda r: r.params_b or 0)  # fmt: skip
            if not members:
                continue
            fig.add_trace(go.Scatter(
                x=[(r.params_b or 1) * 10 ** _DODGE[family] for r in members],
                y=[getattr(r, info.metric) for r in members],
                error_y={"type": "data", "array": [getattr(r, f"{info.metric}_ci") for r in members], "width": 4},
                mode="lines+markers", name=family, legendgroup=family, showlegend=k == 0,
                marker={"color": _FAMILY_COLORS[family], "size": 8}, line={"color": _FAMILY_COLORS[family]},
                customdata=[[safe_label(r.model, 60), r.params_b, getattr(r, f"{info.metric}_ci")] for r in members],
                hovertemplate=("<b>%{customdata[0]}</b><br>size %{customdata[1]:g} B<br>Δ" + info.short
                               + " %{y:+.3f} ± %{customdata[2]:.3f}<extra></extra>"),
            ), row=row, col=col)  # fmt: skip
        subs = [r for r in sized if r.origin != "paper"]
        if subs:
            fig.add_trace(go.Scatter(
                x=[r.params_b for r in subs], y=[getattr(r, info.metric) for r in subs],
                error_y={"type": "data", "array": [getattr(r, f"{info.metric}_ci") for r in subs], "width": 4},
                mode="markers", name="Submissions", legendgroup="subs", showlegend=k == 0,
                marker={"symbol": "diamond", "size": 10, "color": "#111827"},
                customdata=[[safe_label(_name(r), 60), r.params_b, getattr(r, f"{info.metric}_ci")] for r in subs],
                hovertemplate=("<b>%{customdata[0]}</b><br>size %{customdata[1]:g} B<br>Δ" + info.short
                               + " %{y:+.3f} ± %{customdata[2]:.3f}<extra></extra>"),
            ), row=row, col=col)  # fmt: skip
        fig.add_hline(y=0, line={"color": "black", "width": 1}, row=row, col=col)
        fig.update_yaxes(title_text=f"Δ{info.short} = Clean − Acc", row=row, col=col)
        _size_axis(fig, [r.params_b or 1.0 for r in sized], row=row, col=col)
    fig = _layout(fig, 760, {"l": 70, "r": 20, "t": 40, "b": 110})
    fig.update_layout(legend={"y": -0.12})
    return fig


def heatmap_figure(runs: Iterable[Run], max_submissions: int = 30) -> go.Figure:
    """Paper Fig. 4 with submissions appended (the best ``max_submissions`` by Pert. Acc.)."""
    ordered = _heatmap_order(list(runs))
    paper = [r for r in ordered if r.origin == "paper"]
    ordered = paper + [r for r in ordered if r.origin != "paper"][:max_submissions]
    data = drop_matrix(ordered)
    names = [t.display_name for t in PERTURBATION_TYPES]
    rows = [safe_label(_name(r), 32) for r in ordered]
    # unique y labels (two submissions may share a name): the run id is in every submission's label
    acc = np.where(np.isfinite(data), np.array([[r.clean] for r in ordered]) - data / 100, np.nan)
    finite = data[np.isfinite(data)]
    bound = max(1.0, float(np.abs(finite).max()) if finite.size else 1.0)
    text = [["" if not np.isfinite(v) else "0" if abs(v) < 0.5 else f"{v:.0f}" for v in row] for row in data]
    fig = go.Figure(go.Heatmap(
        z=data, x=names, y=rows, zmin=-bound, zmax=bound, zmid=0, colorscale="RdBu", reversescale=True,
        text=text, texttemplate="%{text}", textfont={"size": 10},
        customdata=acc, colorbar={"title": {"text": "drop (pp)"}, "thickness": 14},
        hovertemplate=("<b>%{y}</b><br>%{x}<br>drop %{z:+.1f} pp (Clean − Acc)<br>accuracy "
                       "%{customdata:.3f}<extra></extra>"),
        xgap=1, ygap=1,
    ))  # fmt: skip
    boundaries = np.cumsum([len(types_of(c)) for c in COMPONENTS])
    start = 0
    for c, end in zip(COMPONENTS, boundaries, strict=True):
        fig.add_annotation(x=(start + end - 1) / 2, y=1.0, yref="paper", yanchor="bottom", text=f"<b>{c.value.capitalize()}</b>",
                           showarrow=False, font={"size": 13})  # fmt: skip
        if end < len(names):
            fig.add_vline(x=end - 0.5, line={"color": "white", "width": 4})
        start = end
    if paper and len(ordered) > len(paper):
        fig.add_hline(y=len(paper) - 0.5, line={"color": "black", "width": 2})
    fig.update_yaxes(autorange="reversed", tickfont={"size": 11})
    fig.update_xaxes(tickangle=-40, tickfont={"size": 11}, side="bottom")
    height = 180 + 22 * len(ordered)
    fig = _layout(fig, height, {"l": 200, "r": 20, "t": 40, "b": 110})
    fig.update_layout(showlegend=False)
    return fig


RUNTIME_CAPTION = (
    f"Beyond the paper: each runtime axis's drop from the model's own clean-episode accuracy, "
    f"`Clean-Ep − Acc_axis` on the same base samples ({DROP_DEFINITION}); error bars: 95% paired bootstrap "
    "half-width. Every trajectory was replayed on the server. One marker per submission with runtime records "
    "(the best 12 by Pert. Acc.); the paper's rows have none. Hover a marker for the model, drop and accuracy."
)
_RUNTIME_AXES = [t for t in RUNTIME_TYPES if t.code_name != EPISODE_CLEAN]


def runtime_runs(runs: Iterable[Run], limit: int = 12) -> list[Run]:
    """Submissions with runtime records, best ``limit`` by Pert. Acc."""
    have = [r for r in runs if r.origin != "paper" and any(t.code_name in r.per_type for t in _RUNTIME_AXES)]
    return sorted(have, key=lambda r: (-r.pert_acc, r.run_id or 0))[:limit]


def runtime_figure(runs: Iterable[Run]) -> go.Figure:
    """Per runtime axis, each submission's paired drop from its clean episode with its interval."""
    chosen = runtime_runs(runs)
    names = [t.display_name for t in _RUNTIME_AXES]
    fig = go.Figure()
    width = 0.8 / max(1, len(chosen))
    for k, run in enumerate(chosen):
        cells = [run.per_type.get(t.code_name) or {} for t in _RUNTIME_AXES]
        xs = [i - 0.4 + width * (k + 0.5) for i in range(len(names))]
        drops = [c.get("drop") for c in cells]
        fig.add_trace(go.Scatter(
            x=xs, y=[np.nan if d is None else d for d in drops], mode="markers", name=safe_label(_name(run), 32),
            marker={"size": 9, "color": _GROUP_COLORS[k % len(_GROUP_COLORS)]},
            error_y={"type": "data", "array": [c.get("drop_ci") or 0 for c in cells], "visible": True},
            customdata=[[n, c.get("acc")] for n, c in zip(names, cells)],
            hovertemplate=("<b>" + safe_label(_name(run), 32) + "</b><br>%{customdata[0]}<br>drop %{y:+.3f} "
                           "(Clean-Ep − Acc)<br>accuracy %{customdata[1]:.3f}<extra></extra>"),
        ))  # fmt: skip
    fig.add_hline(y=0, line={"color": "#888", "width": 1})
    fig.update_xaxes(
        tickmode="array", tickvals=list(range(len(names))), ticktext=names, range=[-0.6, len(names) - 0.4]
    )
    fig.update_yaxes(title={"text": "drop from Clean-Ep (positive = worse)"})
    if not chosen:
        fig.add_annotation(text="No submission with runtime records yet.", x=0.5, y=0.5, xref="paper", yref="paper",
                           showarrow=False, font={"size": 14})  # fmt: skip
    fig = _layout(fig, 420, {"l": 70, "r": 20, "t": 30, "b": 60})
    fig.update_layout(legend={"orientation": "h", "y": -0.2})
    return fig
