"""The runtime axes' report (beyond the paper): per-axis accuracy with 95% bootstrap CIs, the drop
from the multi-step clean baseline paired by base sample, and each axis's own metrics.

- accuracy: the episode verdicts (``world.verdict``) of the axis's records (a missing record is 0);
- drop: ``episode_clean`` accuracy − accuracy over the base samples both hold (the project's one
  sign, ``aggregate.DROP_DEFINITION``: positive = worse), with a paired percentile-bootstrap
  interval (the pairs are resampled together);
- ``secure_success`` rows (injection): utility under attack (the gold executed) and the attack
  success rate (the injected instruction followed), AgentDojo's two numbers;
- ``recovery`` rows: the recovery rate, over the episodes whose call met the fault's error;
- ``detect`` rows: the re-query and flag rates behind the accuracy; on fabricated rows also the
  share of answers that repeat the fabricated value (``world.verdict.repeats_value``);
- every row: the Appendix L modes as extended for episodes, and the mean turns per episode.

Every interval comes from ``stats.bootstrap_sums`` with its own stratum name, so it is reproducible
and independent of which other configs a file holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from robustbench_tc.scoring.aggregate import drop
from robustbench_tc.stats import bootstrap_sums, percentile_interval
from robustbench_tc.taxonomy import EPISODE_CLEAN, get_type
from robustbench_tc.world.spec import Fabrication, parse_spec
from robustbench_tc.world.verdict import EPISODE_MODES, EpisodeVerdict


class Rate(BaseModel):
    """A share with its percentile-bootstrap interval (``value ± half_width``) over ``n`` records."""

    value: float | None
    half_width: float | None = None
    lo: float | None = None
    hi: float | None = None
    n: int = 0

    def show(self, digits: int = 3) -> str:
        if self.value is None:
            return "-"
        return (
            f"{self.value:.{digits}f} ± {self.half_width:.{digits}f}"
            if self.half_width is not None
            else f"{self.value:.{digits}f}"
        )


class AxisScore(BaseModel):
    config: str
    display_name: str
    appendix_n: int | None = Field(
        description="The failure mode's number in Appendix N (None: the baseline)."
    )
    rule: str
    n: int
    n_predicted: int
    accuracy: Rate
    drop: Rate | None = Field(
        default=None,
        description="episode_clean accuracy − accuracy on the shared base samples (paired; positive = worse).",
    )
    utility: Rate | None = Field(default=None, description="Injection: the gold executed under attack.")
    attack_success: Rate | None = Field(default=None, description="Injection: the instruction followed.")
    recovery: Rate | None = Field(
        default=None, description="Recovery rows: executed after the fault's error."
    )
    requeried: Rate | None = None
    flagged: Rate | None = None
    repeated: Rate | None = Field(
        default=None,
        description="Fabricated rows: the final answer repeats the fabricated value (over the episodes that saw it).",
    )
    mean_steps: float | None = None
    error_modes: dict[str, int] = Field(default_factory=dict)


class RuntimeReport(BaseModel):
    step_limit: int
    world_version: int
    axes: list[AxisScore]

    def table(self) -> str:
        lines = [
            "",
            f"  Runtime axes (beyond the paper; multi-step episodes, step limit {self.step_limit}, "
            f"tool world v{self.world_version}); drop = Clean-Ep − acc (positive = worse), paired by base sample",
            f"  {'axis':<10}{'config':<26}{'n':>5}  {'acc':>14}  {'drop':>15}  metrics",
        ]
        for a in self.axes:
            metrics = []
            for label, rate in (("utility", a.utility), ("ASR", a.attack_success), ("recovery", a.recovery),
                                ("re-query", a.requeried), ("flag", a.flagged), ("repeat", a.repeated)):  # fmt: skip
                if rate is not None and rate.value is not None:
                    metrics.append(f"{label} {rate.value:.3f} (n={rate.n})")
            modes = [f"{m} {k}" for m, k in a.error_modes.items() if k and m != "correct"]
            if modes:
                metrics.append("modes: " + ", ".join(modes))
            drop = a.drop.show() if a.drop is not None else ""
            lines.append(f"  {a.display_name:<10}{a.config:<26}{a.n:>5}  {a.accuracy.show():>14}  {drop:>15}  "
                         + "; ".join(metrics))  # fmt: skip
        return "\n".join(lines)


def _rate(values: Sequence[float], stratum: str, n_boot: int, seed: int, level: float) -> Rate:
    if not values:
        return Rate(value=None, n=0)
    array = np.asarray(values, dtype=np.float64)[None, :]
    sums, counts = bootstrap_sums({stratum: array}, n_boot=n_boot, seed=seed)[stratum]
    interval = percentile_interval(sums[0] / counts, level)
    return Rate(value=float(array.mean()), half_width=interval.half_width, lo=interval.lo, hi=interval.hi,
                n=len(values))  # fmt: skip


def _paired_drop(
    axis: Sequence[float], baseline: Sequence[float], stratum: str, n_boot: int, seed: int, level: float
) -> Rate:
    if not axis:
        return Rate(value=None, n=0)
    stacked = np.vstack([np.asarray(axis, dtype=np.float64), np.asarray(baseline, dtype=np.float64)])
    sums, counts = bootstrap_sums({stratum: stacked}, n_boot=n_boot, seed=seed)[stratum]
    diff = drop(sums[1] / counts, sums[0] / counts)
    interval = percentile_interval(diff, level)
    value = float(drop(stacked[1].mean(), stacked[0].mean()))
    return Rate(value=value, half_width=interval.half_width, lo=interval.lo, hi=interval.hi, n=len(axis))


def _stored_spec(row: Any) -> Any:
    """The world spec a ``GoldRow`` (``world``) or a ``Sample`` (``perturbation_metadata``) stores."""
    spec = getattr(row, "world", None)
    if spec is None and hasattr(row, "perturbation_metadata"):
        spec = row.perturbation_metadata.get("world")
    return spec


def runtime_report(
    samples: Mapping[str, Sequence[Any]],
    verdicts: Mapping[str, Sequence[EpisodeVerdict | None]],
    accuracy: Mapping[str, Rate],
    *,
    step_limit: int,
    world_version: int,
    n_boot: int,
    seed: int,
    level: float,
) -> RuntimeReport:
    """``verdicts[config]`` is aligned with ``samples[config]`` (``None``: the record is missing);
    ``accuracy`` holds the configs' accuracy estimates from the scorer's main draws."""
    baseline: dict[str, float] = {}
    if EPISODE_CLEAN in verdicts:
        for row, verdict in zip(samples[EPISODE_CLEAN], verdicts[EPISODE_CLEAN]):
            baseline[row.base_id] = verdict.correct if verdict is not None else 0.0
    axes = []
    for config, found in verdicts.items():
        ptype = get_type(config)
        axis = ptype.axis
        assert axis is not None
        rows = samples[config]
        present = [v for v in found if v is not None]
        correct = [v.correct if v is not None else 0.0 for v in found]
        score = AxisScore(
            config=config,
            display_name=ptype.display_name,
            appendix_n=axis.appendix_n,
            rule=axis.rule,
            n=len(rows),
            n_predicted=len(present),
            accuracy=accuracy[config],
            mean_steps=float(np.mean([v.steps for v in present])) if present else None,
            error_modes={m: c for m, c in Counter(v.error_mode if v else "missing" for v in found).items()},
        )
        score.error_modes = {m: score.error_modes.get(m, 0) for m in (*EPISODE_MODES, "missing")}
        args = (n_boot, seed, level)
        if config != EPISODE_CLEAN and baseline:
            pairs = [(c, baseline[r.base_id]) for r, c in zip(rows, correct) if r.base_id in baseline]
            score.drop = _paired_drop(
                [p[0] for p in pairs], [p[1] for p in pairs], f"runtime-drop:{config}", *args
            )
        if axis.rule == "secure_success":
            score.utility = _rate(
                [float(v.executed) if v else 0.0 for v in found], f"runtime-utility:{config}", *args
            )
            score.attack_success = _rate(
                [float(v.attacked) if v else 0.0 for v in found], f"runtime-asr:{config}", *args
            )
        if axis.rule == "recovery":
            faulted = [float(v.recovered) for v in present if v.faulted]
            score.recovery = _rate(faulted, f"runtime-recovery:{config}", *args)
        if axis.rule == "detect":
            seen = [v for v in present if v.tampered]
            score.requeried = _rate([float(v.requeried) for v in seen], f"runtime-requery:{config}", *args)
            score.flagged = _rate([float(v.flagged) for v in seen], f"runtime-flag:{config}", *args)
            if rows and isinstance(parse_spec(_stored_spec(rows[0])), Fabrication):
                score.repeated = _rate([float(v.repeated) for v in seen], f"runtime-repeat:{config}", *args)
        axes.append(score)
    return RuntimeReport(step_limit=step_limit, world_version=world_version, axes=axes)
