"""The runtime rows' builders (beyond the paper): one module per row of ``taxonomy.RUNTIME_TYPES``.

``build_runtime_configs(clean, seed)`` turns the clean samples into every runtime config: each
builder decides which samples are eligible (and says why the others are not), transforms each
with a draw seeded by ``(seed, config, sample id)``, and every row is audited: the shared checks
(``axes.base.shared_checks``), the axis's own checks, and the oracle's behaviour (the scripted
oracle agent must solve the row in the world: ``world.agents``).  A violation fails the build.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.records import Sample
from robustbench_tc.registry import Registry
from robustbench_tc.taxonomy import RUNTIME_TYPES
from robustbench_tc.world.axes import (
    baseline,
    context_pressure,
    fabricated,
    injection,
    noop,
    prerequisite,
    stale,
    type_mismatch,
)
from robustbench_tc.world.axes.base import AxisBuilder, Pool, shared_checks
from robustbench_tc.world.draw import Draw

BUILDERS: Registry[AxisBuilder] = Registry("runtime axis")
for _module in (baseline, injection, prerequisite, type_mismatch, fabricated, context_pressure, stale, noop):
    BUILDERS.register(_module.BUILDER.code, _module.BUILDER)

MIN_ROWS = 100
MIN_SOURCES = 3
"""The bar every runtime row aims for (issue 21): at least 100 audited rows over at least 3 sources."""


class RuntimeAuditError(RobustBenchError):
    """A runtime row broke a promise of its axis; the build stops."""


@dataclass(frozen=True)
class RuntimeBuild:
    configs: dict[str, list[Sample]]
    ineligible: dict[str, dict[str, int]] = field(default_factory=dict)
    """config -> reason -> samples left out."""

    def summary(self) -> str:
        lines = [f"Runtime rows (beyond the paper): {sum(len(r) for r in self.configs.values())} rows in "
                 f"{len(self.configs)} configs, every row audited and solved by the scripted oracle."]  # fmt: skip
        for config, rows in self.configs.items():
            sources = Counter(r.source for r in rows)
            below = (
                "" if meets_bar(rows) else f" (below the bar of {MIN_ROWS} rows over {MIN_SOURCES} sources)"
            )
            left = "; ".join(f"{n} {why}" for why, n in self.ineligible.get(config, {}).items())
            lines.append(f"  {config}: {len(rows)} rows, {len(sources)} sources{below}"
                         + (f"; left out: {left}" if left else ""))  # fmt: skip
        return "\n".join(lines) + "\n"


def meets_bar(rows: Sequence[Sample]) -> bool:
    return len(rows) >= MIN_ROWS and len({r.source for r in rows}) >= MIN_SOURCES


def row_draw(seed: int, config: str, sample_id: str) -> Draw:
    """The draw one row is built with (eligibility checks that draw use the same key)."""
    return Draw(seed, config, sample_id)


def build_runtime_configs(
    clean: Sequence[Sample], seed: int = 0, configs: Sequence[str] | None = None, audit: bool = True
) -> RuntimeBuild:
    """Every runtime config (or ``configs``) built from the clean samples, audited."""
    pool = Pool(list(clean), seed)
    wanted = [t.code_name for t in RUNTIME_TYPES if configs is None or t.code_name in configs]
    out: dict[str, list[Sample]] = {}
    ineligible: dict[str, dict[str, int]] = {}
    problems: list[str] = []
    for config in wanted:
        builder = BUILDERS.get(config)
        rows, reasons = [], Counter[str]()
        for sample in clean:
            why = builder.eligible(sample, pool)
            if why is not None:
                reasons[why] += 1
                continue
            row = builder.make(sample, pool, row_draw(seed, config, sample.id))
            if audit:
                found = shared_checks(sample, row) + builder.checks(sample, row)
                problems += [f"{config}/{row.id}: {p}" for p in found]
            rows.append(row)
        out[config] = rows
        ineligible[config] = dict(reasons.most_common())
    if audit:
        from robustbench_tc.world.agents import oracle_failures

        problems += oracle_failures([r for rows in out.values() for r in rows])
    if problems:
        shown = "; ".join(problems[:10])
        raise RuntimeAuditError(f"{len(problems)} runtime row(s) failed the audit: {shown}")
    return RuntimeBuild(out, ineligible)


def notes() -> dict[str, str]:
    """config -> how its rows are built (for the dataset card)."""
    return {code: BUILDERS.get(code).note for code in BUILDERS}
