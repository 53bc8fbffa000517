"""``score_predictions``: score a predictions file against the dataset into a ``ScoreReport``.

Coverage rules (documented in docs/scoring.md):
- a config is *scored* when the file has at least one record for it; configs without any record
  are listed in ``missing_configs`` and left out of every aggregate (``complete`` is False);
- inside a scored config, a dataset record the file lacks counts as incorrect (score 0, error
  mode ``missing``) and is listed in ``missing_records``;
- records whose (id, perturbation) is not in the dataset are listed in ``unknown_records`` and
  ignored (``read_predictions(known_keys=...)`` rejects them instead).

Confidence intervals: percentile bootstrap (``stats.bootstrap_sums``), resampling records within
each config (or base samples with ``cluster=True``); every aggregate is recomputed on each draw
by ``aggregate``.  With a ``reference`` run the same draws give a paired test per metric.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
from pydantic import BaseModel, Field

from robustbench_tc.gold import ScoringRow
from robustbench_tc.scoring.runtime import RuntimeReport

if TYPE_CHECKING:
    from robustbench_tc.records import Sample
    from robustbench_tc.world.episode import Episode
    from robustbench_tc.world.verdict import EpisodeVerdict
from robustbench_tc.predictions import PredictionRecord, PredictionsFile, RunHeader
from robustbench_tc.scoring.aggregate import DROP_DEFINITION, Aggregates, aggregate
from robustbench_tc.scoring.aggregate import drop as drop_of
from robustbench_tc.scoring.error_modes import ERROR_MODES, MISSING
from robustbench_tc.scoring.protocol import check_transition_protocol
from robustbench_tc.scoring.sample import score_sample
from robustbench_tc.stats import (
    DEFAULT_LEVEL,
    DEFAULT_N_BOOT,
    bootstrap_sums,
    paired_p_value,
    percentile_interval,
    significance_stars,
)
from robustbench_tc.taxonomy import (
    CLEAN,
    COMPONENT_INFO,
    COMPONENTS,
    component_of,
    config_names,
    get_type,
    is_runtime,
)

_MODE_HEADS = {"omitted": "omit", "name_bias": "nbias", "parameter_mismatch": "param", "missing": "miss"}


def _rate(value: float | None) -> str:
    return f"{100 * value:.1f}%" if value is not None else "-"


_SHORT = {"clean": "-", "runtime": "Run", **{c.value: info.short for c, info in COMPONENT_INFO.items()}}
MAX_LISTED_KEYS = 1000
"""Missing/unknown record keys listed in a report (the counts are always complete)."""


class Estimate(BaseModel):
    """A point estimate with its percentile-bootstrap interval (``value ± half_width``)."""

    value: float | None
    lo: float | None = None
    hi: float | None = None
    half_width: float | None = None
    n: int = 0

    def show(self, digits: int = 3, *, signed: bool = False) -> str:
        """``0.463 ± 0.016``; ``signed`` writes the sign of a drop (``+0.052``: worse).

        >>> Estimate(value=0.05, half_width=0.01).show(signed=True)
        '+0.050 ± 0.010'
        """
        if self.value is None:
            return "-"
        hw = f" ± {self.half_width:.{digits}f}" if self.half_width is not None else ""
        return f"{self.value:{'+' if signed else ''}.{digits}f}{hw}"


class ConfigScore(BaseModel):
    config: str
    display_name: str
    component: str
    n: int = Field(description="Records of this config in the dataset.")
    n_predicted: int = Field(description="Records the predictions file has for it.")
    n_missing: int
    acc: Estimate
    drop: Estimate | None = Field(
        default=None,
        description="Clean − acc (the project's one sign convention: positive = worse; Tables 7–14 "
        "print acc − clean); None for clean.",
    )
    error_modes: dict[str, int]
    n_calls: int = Field(
        default=0, description="Tool calls made (the shared rule) over the config's records."
    )
    n_ghost_calls: int = Field(
        default=0, description="Calls to tools not in the sample's registry (App. N (7))."
    )
    ghost_rate: float | None = Field(
        default=None, description="n_ghost_calls / n_calls (None without calls)."
    )


class PairedTest(BaseModel):
    """Run minus reference on the same bootstrap draws; two-sided p-value of "no difference"."""

    metric: str
    run: float
    reference: float
    diff: float
    lo: float
    hi: float
    p_value: float
    stars: str


class SampleRow(BaseModel):
    id: str
    perturbation: str
    source: str
    correct: float
    error_mode: str
    n_calls: int = 0
    ghost_calls: int = 0


class RecordKey(BaseModel):
    id: str
    perturbation: str


class ScoreReport(BaseModel):
    """Everything ``robustbench-tc score`` reports; JSON-serialisable."""

    model: str | None = None
    header: RunHeader | None = None
    n_boot: int
    seed: int
    cluster: bool
    level: float = DEFAULT_LEVEL
    configs_scored: list[str]
    missing_configs: list[str]
    complete: bool
    clean: Estimate | None
    pert_acc: Estimate | None
    component_acc: dict[str, Estimate]
    delta: dict[str, Estimate] = Field(description="Clean − component accuracy (positive = worse).")
    configs: list[ConfigScore]
    error_modes: dict[str, int] = Field(
        description="Counts over every scored record (incl. missing); runtime episodes add their own modes."
    )
    n_calls: int = Field(default=0, description="Tool calls made over every scored record.")
    n_ghost_calls: int = Field(default=0, description="Calls to tools not in the sample's registry.")
    ghost_rate: float | None = Field(
        default=None, description="n_ghost_calls / n_calls (App. N (7) ghost tool)."
    )
    n_records: int
    n_missing_records: int
    missing_records: list[RecordKey]
    n_unknown_records: int
    unknown_records: list[RecordKey]
    reference_model: str | None = None
    paired: list[PairedTest] = Field(default_factory=list)
    runtime: RuntimeReport | None = Field(
        default=None, description="Beyond the paper: the runtime axes, scored on replayed episodes."
    )
    rows: list[SampleRow] = Field(default_factory=list)

    def write_rows(self, path: str | Path) -> Path:
        """The per-sample JSONL (id, perturbation, source, correct, error_mode)."""
        out = Path(path)
        with out.open("w", encoding="utf-8") as fh:
            for row in self.rows:
                fh.write(json.dumps(row.model_dump(), ensure_ascii=False) + "\n")
        return out

    def table(self) -> str:
        """A readable summary: headline numbers, components, per-config rows, paired test."""
        clean, pert = self.clean, self.pert_acc
        lines = [
            f"RobustBench-TC score: {self.model or '(unnamed run)'}",
            f"  {int(self.level * 100)}% percentile bootstrap, B={self.n_boot}, seed={self.seed}"
            f"{', clustered by base sample' if self.cluster else ''}; ± = half-width",
            f"  Δ and drop: {DROP_DEFINITION}",
            "",
            f"  Clean       {clean.show() if clean else '-':>15}  n={clean.n if clean else 0}",
            f"  Pert. Acc.  {pert.show() if pert else '-':>15}  n={pert.n if pert else 0}",
        ]
        for comp in (c.value for c in COMPONENTS):
            if comp in self.component_acc:
                d = self.delta.get(comp)
                lines.append(
                    f"  Δ{_SHORT[comp]:<10} {d.show(signed=True) if d else '-':>15}  "
                    f"(acc {self.component_acc[comp].show()}, n={self.component_acc[comp].n})"
                )
        lines += [
            "",
            f"  {'type':<15}{'config':<34}{'comp':<5}{'n':>5}  {'acc':>14}  {'drop':>15}  "
            + " ".join(f"{_MODE_HEADS.get(m, m[:5]):>5}" for m in (*ERROR_MODES[1:], MISSING))
            + f" {'ghost':>6}",
        ]
        for c in self.configs:
            modes = " ".join(f"{c.error_modes.get(m, 0):>5}" for m in (*ERROR_MODES[1:], MISSING))
            drop = c.drop.show(signed=True) if c.drop else ""
            lines.append(
                f"  {c.display_name:<15}{c.config:<33} {_SHORT.get(c.component, '-'):<5}{c.n:>5}  "
                f"{c.acc.show():>14}  {drop:>15}  {modes} {_rate(c.ghost_rate):>6}"
            )
        lines += [
            "",
            "  error modes (Appendix L): empty, omit(ted), nbias (name bias: a Reward distractor called), "
            "param(eter mismatch), other, miss(ing record)",
            f"  ghost tool (App. N (7)): {self.n_ghost_calls} of {self.n_calls} calls name a tool outside "
            f"the sample's registry ({_rate(self.ghost_rate).strip() or '-'})",
        ]
        if self.runtime is not None:
            lines.append(self.runtime.table())
        if self.missing_configs:
            lines += ["", f"  missing configs (not scored): {', '.join(self.missing_configs)}"]
        if self.n_missing_records:
            lines.append(f"  missing records in scored configs (counted incorrect): {self.n_missing_records}")
        if self.n_unknown_records:
            lines.append(f"  unknown records (ignored): {self.n_unknown_records}")
        if self.paired:
            lines += ["", f"  paired bootstrap vs {self.reference_model or 'reference'} (run − reference):"]
            for t in self.paired:
                lines.append(
                    f"    {t.metric:<38} {t.run:.3f} vs {t.reference:.3f}  diff {t.diff:+.3f} "
                    f"[{t.lo:+.3f}, {t.hi:+.3f}]  p={t.p_value:.4f} {t.stars}"
                )
        return "\n".join(lines)


_Scored = tuple[float, str, int, int]
"""What a run keeps of one record's ``SampleScore``: correct, error mode, calls, ghost calls."""


class _Run:
    """One predictions file scored on the dataset's records, config by config.

    ``cache`` (shared by the run and its reference) maps (record key, raw output) to what scoring
    that output on that sample gave: ``score_sample`` is a pure function of the two, so a record
    the reference repeats word for word is parsed and scored once."""

    def __init__(
        self,
        samples: Mapping[str, Sequence[ScoringRow | Sample]],
        predictions: PredictionsFile,
        cache: dict[tuple[tuple[str, str], str], _Scored] | None = None,
        episodes: Mapping[tuple[str, str], Episode] | None = None,
    ) -> None:
        cache = {} if cache is None else cache
        by_key: dict[tuple[str, str], PredictionRecord] = predictions.by_key()
        known = {(s.id, s.perturbation) for rows in samples.values() for s in rows}
        self.unknown = [k for k in by_key if k not in known]
        present = {k[1] for k in by_key if k in known}
        self.covered = [c for c in config_names() if c in samples and c in present]
        self.values: dict[str, np.ndarray] = {}
        self.modes: dict[str, list[str]] = {}
        self.missing: list[tuple[str, str]] = []
        self.n_predicted: dict[str, int] = {}
        self.calls: dict[str, list[tuple[int, int]]] = {}
        self.verdicts: dict[str, list[EpisodeVerdict | None]] = {}
        for config in self.covered:
            if is_runtime(config):
                self._runtime(config, samples[config], by_key, episodes or {})
                continue
            vals, modes, n_pred = [], [], 0
            calls: list[tuple[int, int]] = []
            for sample in samples[config]:
                record = by_key.get(sample.key)
                if record is None:
                    vals.append(0.0)
                    modes.append(MISSING)
                    calls.append((0, 0))
                    self.missing.append(sample.key)
                    continue
                n_pred += 1
                memo_key = (sample.key, record.raw_output)
                scored = cache.get(memo_key)
                if scored is None:
                    result = score_sample(sample, record.raw_output)
                    scored = (result.correct, result.error_mode, len(result.calls), result.ghost_calls)
                    cache[memo_key] = scored
                vals.append(scored[0])
                modes.append(scored[1])
                calls.append((scored[2], scored[3]))
            self.calls[config] = calls
            self.values[config] = np.asarray(vals, dtype=np.float64)
            self.modes[config] = modes
            self.n_predicted[config] = n_pred

    def _runtime(
        self,
        config: str,
        rows: Sequence[ScoringRow | Sample],
        by_key: Mapping[tuple[str, str], PredictionRecord],
        episodes: Mapping[tuple[str, str], Episode],
    ) -> None:
        """A runtime config: each record's replayed episode, judged under the row's rule."""
        from robustbench_tc.world.verdict import judge

        axis = get_type(config).axis
        assert axis is not None
        vals: list[float] = []
        modes: list[str] = []
        calls: list[tuple[int, int]] = []
        verdicts: list[EpisodeVerdict | None] = []
        for sample in rows:
            episode = episodes.get(sample.key) if sample.key in by_key else None
            if episode is None:
                vals.append(0.0)
                modes.append(MISSING)
                calls.append((0, 0))
                verdicts.append(None)
                self.missing.append(sample.key)
                continue
            verdict = judge(episode, axis)
            vals.append(verdict.correct)
            modes.append(verdict.error_mode)
            calls.append((verdict.n_calls, verdict.ghost_calls))
            verdicts.append(verdict)
        self.values[config] = np.asarray(vals, dtype=np.float64)
        self.modes[config] = modes
        self.calls[config] = calls
        self.verdicts[config] = verdicts
        self.n_predicted[config] = sum(v is not None for v in verdicts)

    def point(self, configs: Sequence[str]) -> Aggregates:
        return aggregate(
            {c: float(self.values[c].sum()) for c in configs}, {c: len(self.values[c]) for c in configs}
        )


def _all_modes(found: Counter[str]) -> list[str]:
    """Appendix L's modes and ``missing``, then the runtime episodes' own modes that occur."""
    from robustbench_tc.world.verdict import EPISODE_MODES

    base = [*ERROR_MODES, MISSING]
    return base + [m for m in EPISODE_MODES if m not in base and found.get(m)]


def _modes_of(config: str) -> tuple[str, ...]:
    """The error modes a config's records can have (Appendix L; extended for runtime episodes)."""
    if is_runtime(config):
        from robustbench_tc.world.verdict import EPISODE_MODES

        return EPISODE_MODES
    return ERROR_MODES


def _estimate(value: float | None, draws: np.ndarray | None, n: int, level: float) -> Estimate:
    if value is None or draws is None:
        return Estimate(value=value, n=n)
    interval = percentile_interval(draws, level)
    return Estimate(value=float(value), lo=interval.lo, hi=interval.hi, half_width=interval.half_width, n=n)


class _GhostCounts(TypedDict):
    n_calls: int
    n_ghost_calls: int
    ghost_rate: float | None


def _ghosts(calls: Sequence[tuple[int, int]]) -> _GhostCounts:
    n_calls = sum(k[0] for k in calls)
    n_ghost = sum(k[1] for k in calls)
    return {
        "n_calls": n_calls,
        "n_ghost_calls": n_ghost,
        "ghost_rate": n_ghost / n_calls if n_calls else None,
    }


def _keys(keys: Sequence[tuple[str, str]]) -> list[RecordKey]:
    return [RecordKey(id=i, perturbation=p) for i, p in keys[:MAX_LISTED_KEYS]]


def score_predictions(
    samples: Mapping[str, Sequence[ScoringRow | Sample]],
    predictions: PredictionsFile,
    *,
    reference: PredictionsFile | None = None,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    cluster: bool = False,
    level: float = DEFAULT_LEVEL,
) -> ScoreReport:
    """Score ``predictions`` on ``samples`` (config -> rows, as ``gold.load_gold`` or
    ``dataset.load_samples`` return).

    Raises ``TransitionProtocolError`` (nothing scored) when a transition record's
    ``transition_injected`` disagrees with what its first pass did (``scoring.protocol``), and
    ``TrajectoryReplayError`` when a runtime record's trajectory does not replay in the tool world
    (``world.replay``): runtime records are scored on the replayed episodes only."""
    check_transition_protocol(samples, predictions)
    if reference is not None:
        check_transition_protocol(samples, reference, label="reference file: ")
    episodes = ref_episodes = None
    if any(is_runtime(c) for c in samples):
        from robustbench_tc.world.replay import check_trajectories, runtime_rows

        keyed = runtime_rows(samples)
        episodes = check_trajectories(keyed, predictions)
        if reference is not None:
            ref_episodes = check_trajectories(keyed, reference, label="reference file: ")
    cache: dict[tuple[tuple[str, str], str], _Scored] = {}
    run = _Run(samples, predictions, cache, episodes)
    ref = _Run(samples, reference, cache, ref_episodes) if reference is not None else None
    configs = run.covered
    values = {}
    for c in configs:
        stacked = [run.values[c]]
        if (
            ref is not None
        ):  # a config the reference lacks gets a placeholder row, left out of the paired test
            stacked.append(ref.values.get(c, np.zeros_like(run.values[c])))
        values[c] = np.vstack(stacked)
    clusters = {c: [s.base_id for s in samples[c]] for c in configs} if cluster else None
    draws = bootstrap_sums(values, n_boot=n_boot, seed=seed, clusters=clusters)
    counts_b = {c: draws[c][1] for c in configs}
    boot = aggregate({c: draws[c][0][0] for c in configs}, counts_b)
    point = run.point(configs)
    n_of = {c: len(run.values[c]) for c in configs}

    def n_in(members: Sequence[str]) -> int:
        return sum(n_of[c] for c in members)

    perturbed = [c for c in configs if c != CLEAN and not is_runtime(c)]
    by_component = {comp.value: [c for c in perturbed if component_of(c) == comp] for comp in COMPONENTS}
    config_scores = []
    for c in configs:
        mode_counts = Counter(run.modes[c])
        drop: Estimate | None = None
        if c != CLEAN and not is_runtime(c) and point.clean is not None:
            drop = _estimate(
                drop_of(point.clean, point.config_acc[c]),
                drop_of(boot.clean, boot.config_acc[c]),
                n_of[c],
                level,
            )
        config_scores.append(
            ConfigScore(
                config=c,
                display_name="Clean" if c == CLEAN else get_type(c).display_name,
                component=component_of(c).value,
                n=n_of[c],
                n_predicted=run.n_predicted[c],
                n_missing=n_of[c] - run.n_predicted[c],
                acc=_estimate(point.config_acc[c], boot.config_acc[c], n_of[c], level),
                drop=drop,
                error_modes={m: mode_counts.get(m, 0) for m in (*_modes_of(c), MISSING)},
                **_ghosts(run.calls[c]),
            )
        )
    total_modes = Counter(m for c in configs for m in run.modes[c])
    rows = [
        SampleRow(
            id=s.id,
            perturbation=s.perturbation,
            source=s.source,
            correct=float(v),
            error_mode=m,
            n_calls=k[0],
            ghost_calls=k[1],
        )
        for c in configs
        for s, v, m, k in zip(samples[c], run.values[c], run.modes[c], run.calls[c])
    ]
    report = ScoreReport(
        model=predictions.header.model if predictions.header else None,
        header=predictions.header,
        n_boot=n_boot,
        seed=seed,
        cluster=cluster,
        level=level,
        configs_scored=list(configs),
        missing_configs=[c for c in config_names() if c in samples and c not in configs],
        complete=all(c in configs for c in samples),
        clean=_estimate(point.clean, boot.clean, n_of.get(CLEAN, 0), level) if CLEAN in configs else None,
        pert_acc=_estimate(point.pert_acc, boot.pert_acc, n_in(perturbed), level) if perturbed else None,
        component_acc={
            comp: _estimate(point.component_acc[comp], boot.component_acc[comp], n_in(members), level)
            for comp, members in by_component.items()
            if members
        },
        delta={
            comp: _estimate(point.delta[comp], boot.delta[comp], n_in(members), level)
            for comp, members in by_component.items()
            if members and comp in point.delta
        },
        configs=config_scores,
        error_modes={m: total_modes.get(m, 0) for m in _all_modes(total_modes)},
        **_ghosts([k for c in configs for k in run.calls[c]]),
        n_records=n_in(configs),
        n_missing_records=len(run.missing),
        missing_records=_keys(run.missing),
        n_unknown_records=len(run.unknown),
        unknown_records=_keys(run.unknown),
        rows=rows,
    )
    if run.verdicts:
        report.runtime = _runtime_section(samples, run, config_scores, predictions, n_boot, seed, level)
        by_config = {a.config: a for a in report.runtime.axes}
        for score in config_scores:
            axis = by_config.get(score.config)
            if axis is not None and axis.drop is not None and axis.drop.value is not None:
                score.drop = Estimate(value=axis.drop.value, lo=axis.drop.lo, hi=axis.drop.hi,
                                      half_width=axis.drop.half_width, n=axis.drop.n)  # fmt: skip
    if ref is not None and reference is not None:
        report.reference_model = reference.header.model if reference.header else None
        report.paired = _paired_tests(run, ref, draws, level)
    return report


def _runtime_section(
    samples: Mapping[str, Sequence[ScoringRow | Sample]],
    run: _Run,
    config_scores: Sequence[ConfigScore],
    predictions: PredictionsFile,
    n_boot: int,
    seed: int,
    level: float,
) -> RuntimeReport:
    from robustbench_tc.scoring.runtime import Rate, runtime_report
    from robustbench_tc.world.core import WORLD_VERSION
    from robustbench_tc.world.replay import step_limit_of

    accuracy = {
        s.config: Rate(value=s.acc.value, half_width=s.acc.half_width, lo=s.acc.lo, hi=s.acc.hi, n=s.n)
        for s in config_scores
        if s.config in run.verdicts
    }
    return runtime_report(
        samples,
        run.verdicts,
        accuracy,
        step_limit=step_limit_of(predictions),
        world_version=WORLD_VERSION,
        n_boot=n_boot,
        seed=seed,
        level=level,
    )


def _paired_tests(run: _Run, ref: _Run, draws: dict, level: float) -> list[PairedTest]:
    shared = [c for c in run.covered if c in ref.values]
    if not shared:
        return []
    counts = {c: draws[c][1] for c in shared}
    run_b = aggregate({c: draws[c][0][0] for c in shared}, counts)
    ref_b = aggregate({c: draws[c][0][1] for c in shared}, counts)
    run_p, ref_p = run.point(shared), ref.point(shared)

    metrics: list[tuple[str, float | None, float | None, Any, Any]] = [
        ("clean", run_p.clean, ref_p.clean, run_b.clean, ref_b.clean),
        ("pert_acc", run_p.pert_acc, ref_p.pert_acc, run_b.pert_acc, ref_b.pert_acc),
    ]
    for comp in run_p.delta:
        metrics.append(
            (f"delta.{comp}", run_p.delta[comp], ref_p.delta[comp], run_b.delta[comp], ref_b.delta[comp])
        )
    for comp in run_p.component_acc:
        metrics.append(
            (
                f"acc.{comp}",
                run_p.component_acc[comp],
                ref_p.component_acc[comp],
                run_b.component_acc[comp],
                ref_b.component_acc[comp],
            )
        )
    for c in shared:
        metrics.append(
            (f"acc.{c}", run_p.config_acc[c], ref_p.config_acc[c], run_b.config_acc[c], ref_b.config_acc[c])
        )
    out = []
    for name, rp, fp, rb, fb in metrics:
        if rp is None or fp is None:
            continue
        diff = np.asarray(rb) - np.asarray(fb)
        interval = percentile_interval(diff, level)
        p = paired_p_value(diff)
        out.append(
            PairedTest(
                metric=name,
                run=float(rp),
                reference=float(fp),
                diff=float(rp) - float(fp),
                lo=interval.lo,
                hi=interval.hi,
                p_value=p,
                stars=significance_stars(p),
            )
        )
    return out
