"""The board's figures: the per-perturbation drop heatmap (paper Fig. 4), robustness retention vs
size (Fig. 2) and the per-component drop vs size by family (Fig. 3).

Figures are built with ``matplotlib.figure.Figure`` (no pyplot global state, so handlers may run
in parallel threads). Labels from submitters are escaped for mathtext (``$`` would start a formula).

>>> retention(clean=0.8, d_obs=0.02, d_act=0.1, d_rew=0.3, pert_acc=0.5, kind="paper")
0.825
>>> retention(clean=0.8, d_obs=0.02, d_act=0.1, d_rew=0.3, pert_acc=0.5, kind="pert")
0.625
>>> safe_label("$x$ <b>")
'\\\\$x\\\\$ <b>'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator  # noqa: E402

from robustbench_tc.taxonomy import COMPONENT_INFO, COMPONENTS, PERTURBATION_TYPES, types_of  # noqa: E402
from space.store import Run  # noqa: E402

RetentionKind = Literal["paper", "pert"]

FIGURE3_FAMILIES: tuple[str, ...] = ("ToolRL", "MUA-RL", "LoopTool", "Qwen3")
"""The four families of paper Fig. 3 (ToolRL = the Qwen2.5 1.5B/3B checkpoints)."""

HEATMAP_CAPTION = (
    "**Per-perturbation drop (paper Fig. 4).** Cell = drop in percentage points from the model's own "
    "clean accuracy: `drop = 100 × (Clean − Acc_type)`; larger (redder) = more brittle, blue = the "
    "perturbation helped. Columns: the 22 types grouped by POMDP component (white lines). Rows: the "
    "paper's models grouped as in Table 2, then community submissions."
)
RETENTION_CAPTION = {
    "paper": (
        "**Robustness retention vs. size (paper Fig. 2).** `Retention = 1 − mean(ΔObs, ΔAct, ΔRew) / Clean` "
        "(higher = better; Transition excluded as in the paper). Dashed line: least-squares fit "
        "`Retention = a + b·log10(size)` over the paper's models with a known size, our two ToolRL-DR "
        "checkpoints excluded (18 models). Stars: ToolRL-DR; diamonds: community submissions."
    ),
    "pert": (
        "**Robustness retention vs. size.** `Retention = Pert. Acc. / Clean` (all 22 types, sample-weighted; "
        "higher = better). Dashed line: least-squares fit `Retention = a + b·log10(size)` over the paper's "
        "models with a known size, ToolRL-DR excluded. Stars: ToolRL-DR; diamonds: community submissions."
    ),
}
DELTA_CAPTION = (
    "**Per-component drop vs. size by family (paper Fig. 3).** `ΔX = Clean − Acc(X)`, where Acc(X) is "
    "the sample-weighted accuracy over component X's perturbation types (smaller = better; error bars: "
    "95% bootstrap half-width). Families: ToolRL (Qwen2.5 1.5B/3B), MUA-RL, LoopTool, Qwen3 base; "
    "community submissions with a stated size appear as diamonds."
)

_DELTAS = tuple((i.metric, i.title, i.short) for i in COMPONENT_INFO.values())
_SIZE_TICKS = (1, 1.5, 3, 7, 14, 32, 70, 200, 700)
_FAMILY_COLORS = {
    "ToolRL": "tab:blue",
    "MUA-RL": "tab:orange",
    "LoopTool": "tab:green",
    "Qwen3": "tab:purple",
}


def safe_label(text: str, limit: int = 40) -> str:
    """A submitter-provided name made safe for matplotlib text (no mathtext), shortened."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("$", r"\$")


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


def heatmap_figure(runs: Iterable[Run], max_submissions: int = 30) -> Figure:
    """Paper Fig. 4 with submissions appended (the best ``max_submissions`` by Pert. Acc.)."""
    ordered = _heatmap_order(list(runs))
    paper = [r for r in ordered if r.origin == "paper"]
    ordered = paper + [r for r in ordered if r.origin != "paper"][:max_submissions]
    data = drop_matrix(ordered)
    fig = Figure(figsize=(15, 1.6 + 0.32 * len(ordered)), layout="constrained")
    ax = fig.add_subplot()
    finite = data[np.isfinite(data)]
    vmax = max(1.0, float(finite.max()) if finite.size else 1.0)
    vmin = min(-1.0, float(finite.min()) if finite.size else -1.0)
    image = ax.imshow(
        data, aspect="auto", cmap="RdBu_r", norm=TwoSlopeNorm(vcenter=0.0, vmin=vmin, vmax=vmax)
    )
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            if np.isfinite(data[i, j]):
                dark = abs(data[i, j]) > 0.6 * (vmax if data[i, j] > 0 else -vmin)
                text = "0" if abs(data[i, j]) < 0.5 else f"{data[i, j]:.0f}"  # no "-0"
                ax.text(j, i, text, ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")  # fmt: skip
    boundaries = np.cumsum([len(types_of(c)) for c in COMPONENTS])[:-1]
    for b in boundaries:
        ax.axvline(b - 0.5, color="white", linewidth=3)
    if paper and len(ordered) > len(paper):
        ax.axhline(len(paper) - 0.5, color="black", linewidth=1.5)
    ax.set_xticks(range(len(PERTURBATION_TYPES)), [t.display_name for t in PERTURBATION_TYPES],
                  rotation=45, ha="right", fontsize=8)  # fmt: skip
    labels = [safe_label(r.model if r.origin == "paper" else f"#{r.run_id} {r.model}") for r in ordered]
    ax.set_yticks(range(len(ordered)), labels, fontsize=8)
    starts = np.concatenate([[0], boundaries])
    for c, s in zip(COMPONENTS, starts, strict=True):
        ax.text(s + len(types_of(c)) / 2 - 0.5, -0.9, c.value.capitalize(), ha="center", va="bottom",
                fontsize=9, fontweight="bold")  # fmt: skip
    ax.set_ylim(len(ordered) - 0.5, -1.6)
    fig.colorbar(image, ax=ax, label="drop from clean (pp)", shrink=0.6)
    ax.set_title("Accuracy drop from clean per (model, perturbation), percentage points")
    return fig


def _size_axis(ax: Any) -> None:
    """Log-scaled size axis with plain tick labels (1.5, 3, 14, ...), not powers of ten."""
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(_SIZE_TICKS))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_locator(NullLocator())


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


def retention_figure(runs: Iterable[Run], kind: RetentionKind = "paper") -> Figure:
    """Paper Fig. 2 (or the Pert. Acc./Clean variant), submissions with a size included."""
    runs = [r for r in runs if r.params_b]
    fig = Figure(figsize=(9, 5.5), layout="constrained")
    ax = fig.add_subplot()

    def value(r: Run) -> float:
        return retention(
            clean=r.clean, d_obs=r.d_obs, d_act=r.d_act, d_rew=r.d_rew, pert_acc=r.pert_acc, kind=kind
        )

    baseline = [r for r in runs if r.origin == "paper" and not _is_ours(r)]
    placed: list[tuple[float, float]] = []
    for r in sorted(runs, key=value, reverse=True):
        y = value(r)
        if r.origin != "paper":
            ax.scatter(r.params_b, y, marker="D", s=60, color="black", zorder=4)
            label = f"#{r.run_id} {r.model}"
        elif _is_ours(r):
            ax.scatter(r.params_b, y, marker="*", s=260, color="red", zorder=5)
            label = r.model
        else:
            ax.scatter(r.params_b, y, s=40, color=_FAMILY_COLORS.get(r.family or "", "tab:gray"), zorder=3)
            label = r.model
        # stack labels of points that sit on top of each other (several 3B models)
        clash = sum(1 for px, py in placed if px == r.params_b and abs(py - y) < 0.008)
        placed.append((r.params_b, y))
        ax.annotate(safe_label(label, 28), (r.params_b, y), textcoords="offset points",
                    xytext=(5, 3 - 9 * clash), fontsize=7)  # fmt: skip
    fit = trend_fit([r.params_b or 0 for r in baseline], [value(r) for r in baseline])
    if fit:
        xs = np.geomspace(min(r.params_b for r in runs) * 0.9, max(r.params_b for r in runs) * 1.1, 50)
        ax.plot(xs, fit[0] + fit[1] * np.log10(xs), "--", color="gray",
                label=f"log-linear trend over {len(baseline)} paper models")  # fmt: skip
        ax.legend(loc="lower right", fontsize=8)
    _size_axis(ax)
    ax.set_xlabel("model size (billion parameters, log scale)")
    ax.set_ylabel("1 − mean(ΔObs, ΔAct, ΔRew) / Clean" if kind == "paper" else "Pert. Acc. / Clean")
    ax.set_title("Robustness retention vs. model size (higher is better)")
    ax.grid(alpha=0.3)
    return fig


def delta_figure(runs: Iterable[Run]) -> Figure:
    """Paper Fig. 3: ΔObs/ΔAct/ΔRew/ΔTrn vs size for the four families; submissions as diamonds."""
    runs = list(runs)
    fig = Figure(figsize=(13, 8), layout="constrained")
    axes = fig.subplots(2, 2)
    for ax, (metric, title, short) in zip(axes.flat, _DELTAS, strict=True):
        for family in FIGURE3_FAMILIES:
            members = sorted(
                (r for r in runs if r.origin == "paper" and r.family == family and r.params_b),
                key=lambda r: r.params_b or 0,
            )
            if not members:
                continue
            ax.errorbar(
                [r.params_b for r in members],
                [getattr(r, metric) for r in members],
                yerr=[getattr(r, f"{metric}_ci") for r in members],
                marker="o", capsize=3, label=family, color=_FAMILY_COLORS[family], alpha=0.9,
            )  # fmt: skip
        for r in runs:
            if r.origin != "paper" and r.params_b:
                ax.errorbar(r.params_b, getattr(r, metric), yerr=getattr(r, f"{metric}_ci"), marker="D",
                            color="black", capsize=3)  # fmt: skip
                ax.annotate(safe_label(f"#{r.run_id} {r.model}", 24), (r.params_b, getattr(r, metric)),
                            textcoords="offset points", xytext=(5, 3), fontsize=7)  # fmt: skip
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_title(f"Δ {title} (smaller is better)")
        ax.set_xlabel("model size (B, log scale)")
        ax.set_ylabel(f"Δ{short} = Clean − Acc({title})")
        _size_axis(ax)
        ax.grid(alpha=0.3)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if handles:  # one legend for the four panels, above them: inside a panel it covered data/title
        fig.legend(handles, labels, loc="outside upper center", ncols=len(handles), fontsize=9, frameon=False)
    return fig
