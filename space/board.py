"""The leaderboard table: store rows -> a filtered, sorted pandas DataFrame of display strings.

Every cell is plain text (the Space renders the table with ``datatype="str"``), so names and
metadata from submitters are never interpreted as HTML or Markdown.

>>> fmt_ci(0.4631, 0.0162)
'0.463 ± 0.016'
>>> fmt_size(None), fmt_size(1.5), fmt_size(32.0)
('—', '1.5', '32')
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from robustbench_tc.taxonomy import COMPONENT_INFO
from space.store import METRICS, PairedResult, PairRow, Run

SUBMISSION_GROUP = "Community submissions"
PAPER_PAIRED_NOTE = "n/a (paper row: no per-sample data)"
PAPER_DATA = "paper release (3,721 rows, LLM-generated)"
"""The data every paper row was scored on: the authors' release (gpt-5-mini/gpt-4o-mini rewrites,
per-type subsets), which is not this project's build."""

COLUMNS: tuple[str, ...] = (
    "#",
    "Model",
    "Data",
    "Group",
    "Size (B)",
    "Clean",
    "Pert. Acc.",
    *(f"Δ {i.short}" for i in COMPONENT_INFO.values()),
    "Scorer",
    "Mode",
    "Trained on RB-TC data",
    "Source",
    "Not sig. different from (paired, p ≥ 0.05)",
)
HIDDEN_COLUMNS: tuple[str, ...] = (
    "run_id", "origin", "data_fingerprint", "scorer_version", "n_records", "params_b", "hf_id", "link",
    "submitter", "model_revision", "license", "trained_on_derived", "mode",
    *(c for m in METRICS for c in (m, f"{m}_ci")),
    "header_model", "header_model_revision", "header_engine", "header_engine_version", "header_mode",
    "header_sampling", "header_project_version", "header_created_at", "created_at",
)  # fmt: skip
"""Extra columns of the CSV/Parquet download (raw numbers and every metadata field)."""
TEXT_COLUMNS = frozenset(
    {"Model", "Group", "hf_id", "link", "submitter", "model_revision", "license"}
    | {c for c in HIDDEN_COLUMNS if c.startswith("header_")}
)
"""Columns holding submitter text: a CSV cell starting like a spreadsheet formula is neutralised."""
TRAINED_CHOICES = ("no", "yes", "not declared")
MODE_CHOICES = ("prompt", "fc", "other", "not stated")
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
    data_versions: tuple[str, ...] | None = None
    """Data versions to show (``data_version`` labels); None = all."""
    trained: tuple[str, ...] | None = None
    """'trained on RobustBench-TC-derived data' answers to show (``TRAINED_CHOICES``); None = all."""
    modes: tuple[str, ...] | None = None
    """Prompt/FC modes to show (``MODE_CHOICES``); None = all."""

    def keeps(self, run: Run) -> bool:
        if self.groups is not None and run.group not in self.groups:
            return False
        if self.data_versions is not None and data_version(run) not in self.data_versions:
            return False
        if self.trained is not None and trained_of(run) not in self.trained:
            return False
        if self.modes is not None and mode_of(run) not in self.modes:
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


def data_version(run: Run) -> str:
    """What data a row was scored on: the paper's release, or a build of this project named by its
    dataset fingerprint (and size). Rows are comparable only within one data version.

    >>> data_version(Run(origin="submission", model="m", group="g", dataset_fingerprint="0123456789abcdef",
    ...     details={"n_records": 4005}, per_type={}, **{m: 0.0 for m in ("clean", "clean_ci", "pert_acc",
    ...     "pert_acc_ci", "d_obs", "d_obs_ci", "d_act", "d_act_ci", "d_rew", "d_rew_ci", "d_trn", "d_trn_ci")}))
    'build 0123456789ab (4,005 rows)'
    """
    if run.origin == "paper":
        return PAPER_DATA
    fp = (run.dataset_fingerprint or "unknown")[:12]
    n = run.details.get("n_records")
    return f"build {fp} ({n:,} rows)" if isinstance(n, int) else f"build {fp}"


def trained_of(run: Run) -> str:
    value = run.metadata.get("trained_on_derived")
    return value if value in TRAINED_CHOICES else "not declared"


def mode_of(run: Run) -> str:
    value = run.metadata.get("mode")
    return value if value in MODE_CHOICES else "not stated"


def scorer_of(run: Run) -> str:
    return (
        "paper's" if run.origin == "paper" else f"v{run.scorer_version}" if run.scorer_version else "unknown"
    )


def data_versions_in(runs: Iterable[Run], served_fingerprint: str | None = None) -> list[str]:
    """Data versions in board order: the served build first, other builds (newest first), the paper."""
    runs = list(runs)
    builds: dict[str, tuple[int, float]] = {}
    for run in runs:
        if run.origin == "paper":
            continue
        label = data_version(run)
        served = 0 if served_fingerprint and run.dataset_fingerprint == served_fingerprint else 1
        old = builds.get(label, (served, -run.created_at))
        builds[label] = (min(old[0], served), min(old[1], -run.created_at))
    order = sorted(builds, key=lambda k: builds[k])
    return [*order, PAPER_DATA] if any(r.origin == "paper" for r in runs) else order


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


def ranked(runs: Iterable[Run], served_fingerprint: str | None = None) -> list[tuple[int, Run]]:
    """``(rank within its data version, run)`` in board order: data versions as
    ``data_versions_in``, each sorted by ``sort_runs``. A paper row is never ranked among rows
    scored on another data version."""
    runs = list(runs)
    out = []
    for version in data_versions_in(runs, served_fingerprint):
        members = [r for r in runs if data_version(r) == version]
        out += list(enumerate(sort_runs(members), 1))
    return out


def board_frame(
    runs: Iterable[Run],
    tests: Iterable[PairedResult | PairRow] = (),
    flt: BoardFilter | None = None,
    alpha: float = 0.05,
    served_fingerprint: str | None = None,
    *,
    hidden: bool = False,
) -> pd.DataFrame:
    """The table shown on the Leaderboard tab (display strings, grouped by data version, ranked
    within it, filtered); with ``hidden`` also ``HIDDEN_COLUMNS`` (the download)."""
    runs = list(runs)
    flt = flt or BoardFilter()
    by_id = {r.run_id: r for r in runs}
    peers = not_significant(runs, tests, alpha)
    per_version = Counter(data_version(r) for r in runs if r.origin == "submission")
    rows = []
    for rank, run in ranked(runs, served_fingerprint):
        if not flt.keeps(run):
            continue
        n_submissions = per_version[data_version(run)]
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
                paired = "no other submissions on this data yet"
        row = {
            "#": str(rank),
            "Model": run.model,
            "Data": data_version(run),
            "Group": run.group,
            "Size (B)": fmt_size(run.params_b),
            **{col: fmt_ci(getattr(run, m), getattr(run, f"{m}_ci")) for col, m in _METRIC_COLUMNS.items()},
            "Scorer": scorer_of(run),
            "Mode": mode_of(run),
            "Trained on RB-TC data": trained_of(run),
            "Source": source,
            "Not sig. different from (paired, p ≥ 0.05)": paired,
        }
        if hidden:
            row |= hidden_fields(run)
        rows.append(row)
    return pd.DataFrame(rows, columns=[*COLUMNS, *(HIDDEN_COLUMNS if hidden else ())])


def hidden_fields(run: Run) -> dict[str, object]:
    """The download's extra columns for one run (numbers as numbers, text as read)."""
    md = run.metadata
    header = md.get("header") or {}
    return {
        "run_id": run.run_id,
        "origin": run.origin,
        "data_fingerprint": run.dataset_fingerprint,
        "scorer_version": run.scorer_version,
        "n_records": run.details.get("n_records"),
        "params_b": run.params_b,
        "hf_id": run.hf_id,
        "link": run.link,
        "submitter": run.submitter,
        "model_revision": md.get("revision"),
        "license": md.get("license"),
        "trained_on_derived": trained_of(run),
        "mode": mode_of(run),
        **{c: getattr(run, c) for m in METRICS for c in (m, f"{m}_ci")},
        **{f"header_{k}": header.get(k) for k in ("model", "model_revision", "engine", "engine_version", "mode",
                                                  "sampling", "project_version", "created_at")},
        "created_at": run.created_at,
    }  # fmt: skip


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula (``= + - @``, tab, CR) get a leading
    apostrophe (OWASP's CSV-injection advice); numbers and our own display strings are untouched.

    >>> spreadsheet_safe(pd.DataFrame({"Model": ["=HYPERLINK(1)", "ok"], "x": ["-1", "2"]})).values.tolist()
    [["'=HYPERLINK(1)", '-1'], ['ok', '2']]
    """
    out = frame.copy()
    for col in out.columns:
        if col in TEXT_COLUMNS:
            out[col] = [
                "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v
                for v in out[col]
            ]
    return out


def groups_in(runs: Iterable[Run]) -> list[str]:
    """Groups in first-seen order (paper groups in Table 2 order, then submissions)."""
    seen: dict[str, None] = {}
    for run in runs:
        seen.setdefault(run.group, None)
    seen.setdefault(SUBMISSION_GROUP, None)
    return list(seen)
