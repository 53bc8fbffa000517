"""The leaderboard table: store rows -> a filtered, sorted pandas DataFrame of display strings.

Every cell is plain text (the Space renders the table with ``datatype="str"``), so names and
metadata from submitters are never interpreted as HTML or Markdown.

>>> fmt_ci(0.4631, 0.0162)
'0.463 ± 0.016'
>>> fmt_size(None), fmt_size(1.5), fmt_size(32.0)
('—', '1.5', '32')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from robustbench_tc.taxonomy import COMPONENT_INFO
from space.store import PairedResult, PairRow, Run

SUBMISSION_GROUP = "Community submissions"
PAPER_PAIRED_NOTE = "n/a (paper row: no per-sample data)"

COLUMNS: tuple[str, ...] = (
    "#",
    "Model",
    "Group",
    "Size (B)",
    "Clean",
    "Pert. Acc.",
    *(f"Δ {i.short}" for i in COMPONENT_INFO.values()),
    "Source",
    "Not sig. different from (paired, p ≥ 0.05)",
)
_METRIC_COLUMNS = {
    "Clean": "clean",
    "Pert. Acc.": "pert_acc",
    **{f"Δ {i.short}": i.metric for i in COMPONENT_INFO.values()},
}


@dataclass(frozen=True)
class BoardFilter:
    """What the user narrowed the table to."""

    search: str = ""
    """Case-insensitive substring of the model name, HF id or group."""
    groups: tuple[str, ...] | None = None
    """Groups to show; None = all."""
    min_size_b: float | None = None
    max_size_b: float | None = None
    include_unknown_size: bool = True
    """Keep rows without a known parameter count (o4-mini) whatever the size range."""

    def keeps(self, run: Run) -> bool:
        if self.groups is not None and run.group not in self.groups:
            return False
        needle = self.search.strip().lower()
        if needle and not any(needle in (s or "").lower() for s in (run.model, run.hf_id, run.group)):
            return False
        if run.params_b is None:
            return self.include_unknown_size
        if self.min_size_b is not None and run.params_b < self.min_size_b:
            return False
        return self.max_size_b is None or run.params_b <= self.max_size_b


def fmt_ci(value: float, half_width: float) -> str:
    """A metric with its 95% CI half-width, as the paper prints it."""
    return f"{value:.3f} ± {half_width:.3f}"


def fmt_size(params_b: float | None) -> str:
    if params_b is None:
        return "—"
    return f"{params_b:g}"


def run_label(run: Run) -> str:
    """How other rows refer to a submission: ``#<run id> <model>``."""
    return f"#{run.run_id} {run.model}"


def not_significant(
    runs: Iterable[Run], tests: Iterable[PairedResult | PairRow], alpha: float = 0.05
) -> dict[int, list[int]]:
    """For each submission, the other submissions whose paired Pert. Acc. test has p >= alpha.

    >>> t = [PairedResult(run_a=1, run_b=2, metric="pert_acc", diff=0.01, p_value=0.4),
    ...      PairedResult(run_a=1, run_b=3, metric="pert_acc", diff=0.2, p_value=0.0001)]
    >>> not_significant([], t)
    {1: [2], 2: [1]}
    """
    out: dict[int, list[int]] = {}
    for t in tests:
        if t.p_value >= alpha:
            out.setdefault(t.run_a, []).append(t.run_b)
            out.setdefault(t.run_b, []).append(t.run_a)
    return {k: sorted(v) for k, v in sorted(out.items())}


def sort_runs(runs: Iterable[Run]) -> list[Run]:
    """Pert. Acc. descending (the paper's leaderboard order), then Clean, then oldest first."""
    return sorted(runs, key=lambda r: (-r.pert_acc, -r.clean, r.created_at, r.run_id or 0))


def board_frame(
    runs: Iterable[Run],
    tests: Iterable[PairedResult | PairRow] = (),
    flt: BoardFilter | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The table shown on the Leaderboard tab (display strings, sorted, filtered)."""
    runs = list(runs)
    flt = flt or BoardFilter()
    by_id = {r.run_id: r for r in runs}
    peers = not_significant(runs, tests, alpha)
    n_submissions = sum(r.origin == "submission" for r in runs)
    rows = []
    for rank, run in enumerate(sort_runs(runs), 1):
        if not flt.keeps(run):
            continue
        if run.origin == "paper":
            source = "paper (Table 2)"
            paired = PAPER_PAIRED_NOTE
        else:
            source = f"submission #{run.run_id}"
            names = [run_label(by_id[i]) for i in peers.get(run.run_id or -1, []) if i in by_id]
            if names:
                paired = "; ".join(names)
            elif n_submissions > 1:
                paired = "none (every paired test of this row gave p < 0.05)"
            else:
                paired = "no other submissions yet"
        row = {
            "#": str(rank),
            "Model": run.model,
            "Group": run.group,
            "Size (B)": fmt_size(run.params_b),
            **{col: fmt_ci(getattr(run, m), getattr(run, f"{m}_ci")) for col, m in _METRIC_COLUMNS.items()},
            "Source": source,
            "Not sig. different from (paired, p ≥ 0.05)": paired,
        }
        rows.append(row)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def groups_in(runs: Iterable[Run]) -> list[str]:
    """Groups in first-seen order (paper groups in Table 2 order, then submissions)."""
    seen: dict[str, None] = {}
    for run in runs:
        seen.setdefault(run.group, None)
    seen.setdefault(SUBMISSION_GROUP, None)
    return list(seen)
