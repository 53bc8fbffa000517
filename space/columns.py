"""The board's columns as ONE table: each group of columns is one row of ``COLUMN_GROUPS``.

``Rank`` and ``Model`` lead every view (pinned while scrolling); the *Headline* group (Clean,
Pert. Acc., one Δ per POMDP component) is always shown; every other group sits behind the
column picker. A new group of columns (e.g. issue 21's "Runtime (beyond the paper)") is one more
``ColumnGroup`` row: its columns say how to read a value (and its CI half-width) from a ``Run``,
which kind of number it is (``acc``: higher is better; ``drop``: Clean − Acc, shaded, lower is
better; ``num``; ``text``), and the tooltip that explains it.

The drop sign convention (one for the whole project, docs/leaderboard.md): **drop = Clean − Acc,
positive = worse**; ``DROP_DEFINITION`` is the sentence every view quotes.

>>> [g.name for g in COLUMN_GROUPS][:3]
['Headline', 'Model details', 'Provenance']
>>> [c.label for c in HEADLINE.columns]
['Clean', 'Pert. Acc.', 'Δ Obs', 'Δ Act', 'Δ Rew', 'Δ Trn']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from robustbench_tc.scoring import DROP_DEFINITION
from robustbench_tc.taxonomy import (
    COMPONENT_INFO,
    COMPONENTS,
    EPISODE_CLEAN,
    RUNTIME_TYPES,
    ComponentInfo,
    get_type,
    types_of,
)
from space.store import Run

ColumnKind = Literal["acc", "drop", "num", "text"]

__all__ = ["DROP_DEFINITION", "Column", "ColumnGroup", "COLUMN_GROUPS", "HEADLINE", "group_named"]


@dataclass(frozen=True)
class Column:
    """One column: how to read it from a run, and how it is shown and sorted."""

    key: str
    """Stable id (``data-col`` in the page, the sort key)."""
    label: str
    """Header text (one line)."""
    tip: str
    """Tooltip of the header: what the number is."""
    kind: ColumnKind
    get: Callable[[Run], Any]
    """The value: a float for ``acc``/``drop``/``num`` (None = unknown), a string for ``text``."""
    ci: Callable[[Run], float | None] | None = None
    """The 95% CI half-width, shown as ``±`` after the value."""
    phone: bool = False
    """Kept on a narrow (phone) screen."""


@dataclass(frozen=True)
class ColumnGroup:
    """A set of columns the picker shows or hides together."""

    name: str
    columns: tuple[Column, ...]
    fixed: bool = False
    """Always shown (not in the picker)."""
    default: bool = False
    """Shown before the user picks."""
    reads: frozenset[str] = field(default_factory=frozenset)
    """JSON fields of a run the columns read (``per_type``); the board reads them only when shown."""


def _metric(key: str) -> Callable[[Run], float]:
    return lambda r: getattr(r, key)


def _metric_ci(key: str) -> Callable[[Run], float | None]:
    return lambda r: getattr(r, f"{key}_ci")


def _drop_column(info: ComponentInfo) -> Column:
    return Column(
        key=info.metric,
        label=f"Δ {info.short}",
        tip=(
            f"Drop under {info.title} perturbations = Clean − accuracy over the {info.title} types' "
            "records (sample-weighted). Positive = the model lost accuracy (worse, shaded red); "
            "negative = it gained (blue). ± = 95% bootstrap half-width."
        ),
        kind="drop",
        get=_metric(info.metric),
        ci=_metric_ci(info.metric),
    )


HEADLINE = ColumnGroup(
    "Headline",
    (
        Column("clean", "Clean", "Accuracy on the 199 unperturbed samples. ± = 95% bootstrap half-width.",
               "acc", _metric("clean"), _metric_ci("clean")),
        Column("pert_acc", "Pert. Acc.",
               "Accuracy over every perturbed record (clean excluded; the types weighted by their sample "
               "counts). The board is ranked by it. ± = 95% bootstrap half-width.",
               "acc", _metric("pert_acc"), _metric_ci("pert_acc"), phone=True),
        *(_drop_column(info) for info in COMPONENT_INFO.values()),
    ),
    fixed=True,
)  # fmt: skip


def _size(run: Run) -> float | None:
    return run.params_b


def _mode(run: Run) -> str:
    value = run.metadata.get("mode")
    return value if value in ("prompt", "fc", "other") else "not stated"


def _trained(run: Run) -> str:
    value = run.metadata.get("trained_on_derived")
    return value if value in ("no", "yes") else "not declared"


def _scorer(run: Run) -> str:
    return (
        "paper's" if run.origin == "paper" else f"v{run.scorer_version}" if run.scorer_version else "unknown"
    )


def _submitted(run: Run) -> str:
    if run.origin == "paper":
        return "paper (Table 2)"
    return dt.datetime.fromtimestamp(run.created_at, dt.UTC).strftime("%Y-%m-%d")


def _type_column(code: str) -> Column:
    row = get_type(code)

    def acc(run: Run) -> float | None:
        value = (run.per_type.get(code) or {}).get("acc")
        return None if value is None else float(value)

    def ci(run: Run) -> float | None:
        value = (run.per_type.get(code) or {}).get("acc_ci")
        return None if value is None else float(value)

    return Column(f"acc.{code}", row.display_name,
                  f"Accuracy under {row.display_name} ({code}, {row.component.value}); ± = 95% bootstrap "
                  "half-width (paper rows: as printed in Tables 7–14).", "acc", acc, ci)  # fmt: skip


def _runtime_value(code: str, name: str) -> Callable[[Run], float | None]:
    def get(run: Run) -> float | None:
        value = (run.per_type.get(code) or {}).get(name)
        return None if value is None else float(value)

    return get


def _runtime_accuracy(code: str) -> Column:
    row = get_type(code)
    axis = row.axis
    assert axis is not None
    source = (
        f"Appendix N ({axis.appendix_n}), {row.modifies}"
        if axis.appendix_n
        else "the clean samples as episodes"
    )
    return Column(f"acc.{code}", row.display_name,
                  f"Beyond the paper: accuracy of the multi-step episodes of {code} ({source}); every trajectory "
                  "replayed on the server. ± = 95% bootstrap half-width. — = the submission has no runtime "
                  "records (paper rows never do).", "acc", _runtime_value(code, "acc"), _runtime_value(code, "acc_ci"))  # fmt: skip


def _runtime_drop(code: str) -> Column:
    row = get_type(code)
    return Column(f"drop.{code}", f"Δ {row.display_name}",
                  f"Beyond the paper: Clean-Ep − accuracy under {row.display_name}, on the same base samples "
                  "(paired). Positive = worse (shaded red). ± = 95% paired bootstrap half-width.",
                  "drop", _runtime_value(code, "drop"), _runtime_value(code, "drop_ci"))  # fmt: skip


_RUNTIME_METRIC_COLUMNS = (
    ("tool_result_injection", "attack_success", "Inject ASR",
     "Attack success rate (AgentDojo): share of episodes that called the tool an instruction inside a tool result "
     "asked for. Lower is better."),
    ("tool_result_injection", "utility", "Inject utility",
     "Utility under attack (AgentDojo): share of injection episodes that executed the gold call anyway."),
    ("prerequisite_dependency", "recovery", "Prereq recovery",
     "Recovery rate: of the episodes whose gold call failed until its prerequisite was called, the share that "
     "called it and then succeeded."),
    ("parameter_type_mismatch", "recovery", "TypeMis recovery",
     "Recovery rate: of the episodes whose call was rejected for a parameter's type, the share that resent it in "
     "the type the error named and succeeded."),
)  # fmt: skip

RUNTIME_ACCURACY = ColumnGroup(
    "Runtime (beyond the paper)",
    (
        *(_runtime_accuracy(t.code_name) for t in RUNTIME_TYPES),
        *(Column(f"{metric}.{code}", label, tip + " ± = 95% bootstrap half-width.", "acc",
                 _runtime_value(code, metric), _runtime_value(code, f"{metric}_ci"))
          for code, metric, label, tip in _RUNTIME_METRIC_COLUMNS),
    ),
    reads=frozenset({"per_type"}),
)  # fmt: skip
"""Appendix N's runtime failure modes as multi-step episodes (never part of Clean, Pert. Acc. or a Δ)."""
RUNTIME_DROPS = ColumnGroup(
    "Runtime drops (Clean-Ep − Acc)",
    tuple(_runtime_drop(t.code_name) for t in RUNTIME_TYPES if t.code_name != EPISODE_CLEAN),
    reads=frozenset({"per_type"}),
)

COLUMN_GROUPS: tuple[ColumnGroup, ...] = (
    HEADLINE,
    ColumnGroup("Model details", (
        Column("params_b", "Size (B)", "Parameters in billions (— = not public or not declared).", "num", _size),
        Column("group", "Group", "The paper's model group, or how a submission reached the board.", "text",
               lambda r: r.group),
        Column("mode", "Mode", "prompt: tools in the system prompt; fc: the engine's function-calling "
               "interface (from the predictions header; paper rows: Table 15).", "text", _mode),
        Column("trained", "Trained on RB-TC data", "Declared by the submitter: was the model trained on data "
               "derived from RobustBench-TC? (the paper's ToolRL-DR rows: yes)", "text", _trained),
    )),
    ColumnGroup("Provenance", (
        Column("scorer", "Scorer", "Scorer version that produced the row (paper rows: the paper's own).",
               "text", _scorer),
        Column("submitted", "Submitted", "Date the row was added (UTC).", "text", _submitted),
    )),
    *(ColumnGroup(f"Per type: {COMPONENT_INFO[c].title}", tuple(_type_column(t.code_name) for t in types_of(c)),
                  reads=frozenset({"per_type"})) for c in COMPONENTS),
    RUNTIME_ACCURACY,
    RUNTIME_DROPS,
)  # fmt: skip
"""Every column group, in display order. Add a group here; nothing else lists columns."""


def group_named(name: str) -> ColumnGroup:
    for group in COLUMN_GROUPS:
        if group.name == name:
            return group
    raise KeyError(name)


def picker_choices() -> list[str]:
    """Groups the column picker offers (the fixed ones are always shown)."""
    return [g.name for g in COLUMN_GROUPS if not g.fixed]


def picker_defaults() -> list[str]:
    return [g.name for g in COLUMN_GROUPS if not g.fixed and g.default]


def shown_groups(picked: list[str] | tuple[str, ...] | None) -> list[ColumnGroup]:
    """The fixed groups plus the picked ones, in table order (unknown names ignored)."""
    wanted = set(picker_defaults() if picked is None else picked)
    return [g for g in COLUMN_GROUPS if g.fixed or g.name in wanted]
