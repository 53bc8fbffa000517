"""The leaderboard's rows: store rows -> ranked sections (one per data version), filtered.

A *section* holds the rows scored on one data version (the served build, another build, the
paper's release). Rows are ranked only within their section, by Pert. Acc., with rank ranges
from the paired tests (``space.ranks``); a filter or a user's sort never mixes sections.

``board_frame`` flattens the sections into the download table (display strings plus the hidden
raw columns); ``space.table`` renders them as the page's HTML table.

>>> fmt_ci(0.4631, 0.0162)
'0.463 ± 0.016'
>>> fmt_size(None), fmt_size(1.5), fmt_size(32.0)
('—', '1.5', '32')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from robustbench_tc.taxonomy import CODE_NAMES, COMPONENT_INFO
from space.ranks import rank_ranges, show_range
from space.store import METRICS, PairedResult, PairRow, Run

SUBMISSION_GROUP = "Community submissions"
VERIFIED_GROUP = "Verified (maintainers' runs)"
PAPER_DATA = "paper release (3,721 rows, LLM-generated)"
"""The data every paper row was scored on: the authors' release (gpt-5-mini/gpt-4o-mini rewrites,
per-type subsets), which is not this project's build."""

Status = Literal["paper", "verified", "self-reported"]
STATUS_CHOICES: tuple[Status, ...] = ("verified", "self-reported", "paper")

COLUMNS: tuple[str, ...] = (
    "Rank",
    "Model",
    "Status",
    "Data version",
    "Group",
    "Size (B)",
    "Clean",
    "Pert. Acc.",
    *(f"Δ {i.short}" for i in COMPONENT_INFO.values()),
    "Scorer",
    "Mode",
    "Trained on RB-TC data",
    "Source",
)
"""The download's display columns (Δ = Clean − Acc, positive = worse)."""
HIDDEN_COLUMNS: tuple[str, ...] = (
    "run_id", "origin", "status", "rank_best", "rank_worst", "matches_gold_everywhere", "data_fingerprint",
    "scorer_version", "n_records", "params_b", "hf_id", "link", "submitter", "model_revision", "license",
    "trained_on_derived", "mode", *(c for m in METRICS for c in (m, f"{m}_ci")),
    *(c for code in CODE_NAMES for c in (f"acc.{code}", f"acc.{code}_ci", f"drop.{code}")),
    "header_model", "header_model_revision", "header_engine", "header_engine_version", "header_mode",
    "header_sampling", "header_project_version", "header_created_at", "verified_request_id",
    "verified_revision", "verified_engine", "verified_sampling", "created_at",
)  # fmt: skip
"""Extra columns of the CSV/Parquet download: raw numbers (every type's accuracy, CI half-width and
drop = Clean − Acc) and every metadata field."""
TEXT_COLUMNS = frozenset(
    {"Model", "Group", "hf_id", "link", "submitter", "model_revision", "license"}
    | {c for c in HIDDEN_COLUMNS if c.startswith(("header_", "verified_"))}
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
    verified_only: bool = False
    """Only rows the maintainers evaluated themselves (``status_of(run) == "verified"``)."""

    def keeps(self, run: Run) -> bool:
        if self.verified_only and status_of(run) != "verified":
            return False
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


def fmt_drop(value: float, half_width: float) -> str:
    """A drop (Clean − Acc) with its sign: ``+0.052 ± 0.010`` = worse.

    >>> fmt_drop(0.0521, 0.01), fmt_drop(-0.01, 0.002), fmt_drop(-0.0001, 0.0)
    ('+0.052 ± 0.010', '-0.010 ± 0.002', '+0.000 ± 0.000')
    """
    text = f"{value:+.3f}"
    return f"{'+0.000' if text == '-0.000' else text} ± {half_width:.3f}"


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


def status_of(run: Run) -> Status:
    """``paper``, ``verified`` (a maintainer evaluated the model, ``board worker``) or
    ``self-reported`` (an uploaded predictions file)."""
    if run.origin == "paper":
        return "paper"
    return "verified" if run.metadata.get("verified") else "self-reported"


def matches_gold_everywhere(run: Run) -> bool:
    """A self-reported row whose predictions are correct on EVERY record (Clean and Pert. Acc. both
    1): what a file built from the public gold answers (``robustbench-tc oracle``) scores. Scores
    lie in [0, 1], so both means are 1 only when every record scored 1."""
    return status_of(run) == "self-reported" and run.clean >= 1.0 - 1e-12 and run.pert_acc >= 1.0 - 1e-12


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


def sort_runs(runs: Iterable[Run]) -> list[Run]:
    """Pert. Acc. descending (the paper's leaderboard order), then Clean, then oldest first."""
    return sorted(runs, key=lambda r: (-r.pert_acc, -r.clean, r.created_at, r.run_id or 0))


@dataclass(frozen=True)
class RankedRow:
    run: Run
    best: int
    """Best rank the paired tests allow (1 = top)."""
    worst: int

    @property
    def rank(self) -> str:
        return show_range(self.best, self.worst)


@dataclass(frozen=True)
class Section:
    """The rows scored on one data version, ranked among themselves."""

    version: str
    kind: Literal["served", "build", "paper"]
    rows: tuple[RankedRow, ...]
    """The rows the filter keeps, in rank order."""
    total: int
    """Rows of this data version before filtering."""


def _pair_index(
    tests: Iterable[PairedResult | PairRow], ids: Mapping[int, int]
) -> dict[tuple[int, int], tuple[float, float]]:
    """Stored Pert. Acc. tests (``diff`` = a − b) as row-index pairs of one section."""
    out: dict[tuple[int, int], tuple[float, float]] = {}
    for t in tests:
        if t.metric == "pert_acc" and t.run_a in ids and t.run_b in ids:
            out[(ids[t.run_a], ids[t.run_b])] = (float(t.diff), float(t.p_value))
    return out


def ranked_sections(
    runs: Iterable[Run],
    tests: Iterable[PairedResult | PairRow] = (),
    flt: BoardFilter | None = None,
    alpha: float = 0.05,
    served_fingerprint: str | None = None,
    served_label: str | None = None,
) -> list[Section]:
    """One section per data version (served build first, other builds newest first, the paper),
    each ranked by Pert. Acc. with rank ranges, then filtered (ranks are those of the whole
    section, so a filter never renumbers). With ``served_label`` the served build's section is
    there even before its first submission (unless the filter leaves its data version out)."""
    runs = list(runs)
    tests = list(tests)
    flt = flt or BoardFilter()
    versions = data_versions_in(runs, served_fingerprint)
    served_label = next(
        (data_version(r) for r in runs if served_fingerprint and r.dataset_fingerprint == served_fingerprint),
        served_label,
    )
    if served_label is not None and served_label not in versions:
        versions.insert(0, served_label)
    out = []
    for version in versions:
        members = sort_runs(r for r in runs if data_version(r) == version)
        ids = {r.run_id: i for i, r in enumerate(members) if r.run_id is not None}
        ranges = rank_ranges(
            [r.pert_acc for r in members], [r.pert_acc_ci for r in members], _pair_index(tests, ids), alpha
        )
        rows = tuple(
            RankedRow(run, int(best), int(worst))
            for run, (best, worst) in zip(members, ranges.tolist(), strict=True)
            if flt.keeps(run)
        )
        kind: Literal["served", "build", "paper"] = (
            "paper" if version == PAPER_DATA else "served" if version == served_label else "build"
        )
        if flt.data_versions is None or version in flt.data_versions:
            out.append(Section(version, kind, rows, len(members)))
    return out


def ranked(runs: Iterable[Run], served_fingerprint: str | None = None) -> list[tuple[int, Run]]:
    """``(position within its data version, run)`` in board order (the detail view's row list)."""
    return [
        (i, row.run)
        for section in ranked_sections(runs, (), None, 0.05, served_fingerprint)
        for i, row in enumerate(section.rows, 1)
    ]


def board_frame(
    runs: Iterable[Run],
    tests: Iterable[PairedResult | PairRow] = (),
    flt: BoardFilter | None = None,
    alpha: float = 0.05,
    served_fingerprint: str | None = None,
    *,
    hidden: bool = False,
) -> pd.DataFrame:
    """The board as one flat table (display strings, sections in board order, each ranked within
    itself, filtered); with ``hidden`` also ``HIDDEN_COLUMNS`` (the download)."""
    rows = []
    for section in ranked_sections(runs, tests, flt, alpha, served_fingerprint):
        for ranked_row in section.rows:
            run = ranked_row.run
            row: dict[str, Any] = {
                "Rank": ranked_row.rank,
                "Model": run.model,
                "Status": status_of(run) + (" (matches the gold on every record)" if matches_gold_everywhere(run) else ""),
                "Data version": section.version,
                "Group": run.group,
                "Size (B)": fmt_size(run.params_b),
                **{col: (fmt_drop if col.startswith("Δ") else fmt_ci)(getattr(run, m), getattr(run, f"{m}_ci"))
                   for col, m in _METRIC_COLUMNS.items()},
                "Scorer": scorer_of(run),
                "Mode": mode_of(run),
                "Trained on RB-TC data": trained_of(run),
                "Source": "paper (Table 2)" if run.origin == "paper" else f"submission #{run.run_id}",
            }  # fmt: skip
            if hidden:
                row |= hidden_fields(run) | {"rank_best": ranked_row.best, "rank_worst": ranked_row.worst}
            rows.append(row)
    return pd.DataFrame(rows, columns=[*COLUMNS, *(HIDDEN_COLUMNS if hidden else ())])


def hidden_fields(run: Run) -> dict[str, object]:
    """The download's extra columns for one run (numbers as numbers, text as read)."""
    md = run.metadata
    header = md.get("header") or {}
    verified = md.get("verified") or {}
    per_type: dict[str, object] = {}
    for code in CODE_NAMES:
        cell = run.per_type.get(code) or {}
        acc = cell.get("acc")
        per_type[f"acc.{code}"] = acc
        per_type[f"acc.{code}_ci"] = cell.get("acc_ci")
        per_type[f"drop.{code}"] = None if acc is None else round(run.clean - float(acc), 12)
    return {
        "run_id": run.run_id,
        "origin": run.origin,
        "status": status_of(run),
        "matches_gold_everywhere": matches_gold_everywhere(run),
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
        **per_type,
        **{f"header_{k}": header.get(k) for k in ("model", "model_revision", "engine", "engine_version", "mode",
                                                  "sampling", "project_version", "created_at")},
        "verified_request_id": verified.get("request_id"),
        "verified_revision": verified.get("revision"),
        "verified_engine": verified.get("engine"),
        "verified_sampling": None if not verified.get("sampling") else str(verified.get("sampling")),
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
    seen.setdefault(VERIFIED_GROUP, None)
    seen.setdefault(SUBMISSION_GROUP, None)
    return list(seen)
