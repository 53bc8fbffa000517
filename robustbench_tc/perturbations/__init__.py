"""The 16 static perturbation types: registered, seeded, audited transforms of a clean ``Sample``.

>>> from robustbench_tc.perturbations import TRANSFORMS, static_codes
>>> len(TRANSFORMS), static_codes()[:2]
(16, ['realistic_typos', 'query_paraphrase'])

Entry points:

* ``perturb(sample, code_name, seed=...)`` -> the perturbed row, or ``None`` if the sample is
  not eligible for the type (e.g. a response-only training sample for a type that needs a GT
  tool).  Every row passes the validity audit (``audit.audit_row``) or is regenerated with the
  next seed (at most ``MAX_ATTEMPTS`` tries); ``PerturbationError`` otherwise.
* ``build_static_configs(clean, seed=..., generator=..., progress=...)`` -> ``StaticBuild``: the
  16 configs (taxonomy order, rows in clean order), an audit summary and dataset-card notes.

Each row draws from ``random.Random(sha256(f"{seed}|{type}|{id}"))`` (``seeding``), so adding a
sample changes no other row.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.perturbations import action, observation, report, reward  # noqa: F401  (register types)
from robustbench_tc.perturbations.audit import audit_row
from robustbench_tc.perturbations.base import TRANSFORMS, Context
from robustbench_tc.perturbations.figures import QualityFigures, quality_figures
from robustbench_tc.perturbations.generators import (
    GenerationError,
    Generator,
    GeneratorConfig,
    make_generator,
)
from robustbench_tc.perturbations.report import audit_summary, card_notes
from robustbench_tc.records import Sample
from robustbench_tc.taxonomy import CLEAN, static_types

__all__ = [
    "MAX_ATTEMPTS",
    "TRANSFORMS",
    "GenerationError",
    "GeneratorConfig",
    "PerturbationError",
    "RowResult",
    "StaticBuild",
    "build_static_configs",
    "perturb",
    "perturb_row",
    "static_codes",
]

MAX_ATTEMPTS = report.MAX_ATTEMPTS
"""Tries per row (seed, seed+1, ...) before a rejected output falls back to the rules (``llm``)
or is fatal."""


def static_codes() -> list[str]:
    """The 16 static code names in taxonomy order."""
    return [t.code_name for t in static_types()]


if sorted(TRANSFORMS.names()) != sorted(static_codes()):  # pragma: no cover - a wiring bug
    raise RuntimeError(f"registered types {TRANSFORMS.names()} != the taxonomy's {static_codes()}")


class PerturbationError(RobustBenchError, RuntimeError):
    """One or more rows could not be generated validly; the message names every sample."""

    def __init__(self, failures: Sequence[tuple[str, str, list[str]]]) -> None:
        self.failures = list(failures)
        lines = [f"{code} / {sid}: " + " | ".join(problems) for code, sid, problems in self.failures]
        super().__init__(
            f"{len(lines)} perturbed row(s) could not be generated (at most {MAX_ATTEMPTS} attempts "
            "each):\n  " + "\n  ".join(lines)
        )


@dataclass(frozen=True)
class RowResult:
    """The outcome for one (sample, type): the row (None if ineligible) and how it was made."""

    code_name: str
    sample_id: str
    row: Sample | None
    ineligible: str | None = None
    attempts: int = 0
    problems: tuple[str, ...] = ()
    """Why earlier attempts were rejected (generation errors, audit violations)."""
    fallback: bool = False
    """Every attempt of the ``llm`` generator was rejected and the ``rules`` generator wrote the row."""


def perturb_row(
    sample: Sample, code_name: str, *, seed: int, generator: Generator, fallback: Generator | None = None
) -> RowResult:
    """Generate and audit one row.  If every attempt's output is rejected (by the generator's
    own checks or the validity audit), ``fallback`` writes the row (its metadata says so), else
    ``PerturbationError``; a request that got no output at all (``transport``) always raises."""
    if sample.perturbation != CLEAN:
        raise ValueError(f"sample {sample.id!r} is a {sample.perturbation!r} row; perturb clean samples")
    spec = TRANSFORMS.get(code_name)
    reason = spec.eligible(sample)
    if reason is not None:
        return RowResult(code_name, sample.id, None, ineligible=reason)
    problems: list[str] = []
    for attempt in range(MAX_ATTEMPTS):
        try:
            row = spec.transform(Context(sample, code_name, seed + attempt, generator))
        except GenerationError as exc:
            if exc.transport:
                raise PerturbationError([(code_name, sample.id, [*problems, exc.reason])]) from exc
            problems.append(f"attempt {attempt + 1}: {exc.reason}")
            continue
        except ValueError as exc:  # the sample cannot take the type (e.g. no user text to suffix)
            raise PerturbationError([(code_name, sample.id, [str(exc)])]) from exc
        violations = audit_row(sample, row)
        if not violations:
            if attempt:
                row.perturbation_metadata["regenerated"] = attempt
            return RowResult(code_name, sample.id, row, attempts=attempt + 1, problems=tuple(problems))
        problems += [f"attempt {attempt + 1}: {x}" for x in violations]
    if fallback is not None:
        result = perturb_row(sample, code_name, seed=seed, generator=fallback)
        if result.row is not None:
            result.row.perturbation_metadata["fallback_from"] = generator.label
            result.row.perturbation_metadata["rejected_attempts"] = MAX_ATTEMPTS
        return RowResult(
            code_name, sample.id, result.row, attempts=MAX_ATTEMPTS, problems=tuple(problems), fallback=True
        )
    raise PerturbationError([(code_name, sample.id, problems)])


_RULES = GeneratorConfig()


def fallback_generator(config: GeneratorConfig) -> Generator | None:
    """The generator that writes a row the configured one could not (None: fail instead)."""
    return make_generator(_RULES) if config.kind == "llm" and config.fallback == "rules" else None


def perturb(
    sample: Sample, code_name: str, *, seed: int, generator: GeneratorConfig = _RULES
) -> Sample | None:
    """``sample`` under perturbation ``code_name`` (None = not eligible for this type)."""
    return perturb_row(
        sample,
        code_name,
        seed=seed,
        generator=make_generator(generator),
        fallback=fallback_generator(generator),
    ).row


@dataclass(frozen=True)
class StaticBuild:
    """What ``build_static_configs`` returns to the dataset builder."""

    configs: dict[str, list[Sample]]
    """code name -> rows, for the 16 static types in taxonomy order, rows in clean order."""
    audit_summary: str
    """One paragraph for the build log: rows checked, regenerated, violations."""
    card_notes: str
    """Markdown for the dataset card: per-type counts vs the paper, differences, generators,
    and the deterministic quality figures of the four text types."""
    results: dict[str, list[RowResult]] = field(default_factory=dict, repr=False)
    figures: list[QualityFigures] = field(default_factory=list, repr=False)
    """Deterministic quality figures per text type and generator (``figures``)."""


def build_static_configs(
    clean: list[Sample],
    *,
    seed: int,
    generator: GeneratorConfig,
    progress: bool,
    codes: Sequence[str] | None = None,
) -> StaticBuild:
    """The static configs (all 16, or ``codes``) from the clean samples; fails (naming the
    samples) unless every row passes the validity audit."""
    ids = [s.id for s in clean]
    if len(set(ids)) != len(ids):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"clean sample ids must be unique; repeated: {dupes}")
    gen = make_generator(generator)
    backup = fallback_generator(generator)
    unknown = sorted(set(codes or ()) - set(static_codes()))
    if unknown:
        raise ValueError(f"not static perturbation types: {unknown}")
    codes = [c for c in static_codes() if codes is None or c in codes]
    jobs = [(code, sample) for code in codes for sample in clean]
    failures: list[tuple[str, str, list[str]]] = []

    def run(job: tuple[str, Sample]) -> RowResult | None:
        code, sample = job
        try:
            return perturb_row(sample, code, seed=seed, generator=gen, fallback=backup)
        except PerturbationError as exc:
            failures.extend(exc.failures)
            return None

    bar = _progress(len(jobs), progress, gen.label)
    results: list[RowResult | None] = []
    if gen.concurrent:
        with ThreadPoolExecutor(max_workers=generator.concurrency) as pool:
            for res in pool.map(run, jobs):
                results.append(res)
                bar.update()
    else:
        for job in jobs:
            results.append(run(job))
            bar.update()
    bar.close()
    if failures:
        raise PerturbationError(failures)
    by_code: dict[str, list[RowResult]] = {code: [] for code in codes}
    for res in results:
        assert res is not None
        by_code[res.code_name].append(res)
    configs = {code: [r.row for r in rows if r.row is not None] for code, rows in by_code.items()}
    figures = quality_figures(clean, configs)
    return StaticBuild(
        configs=configs,
        audit_summary=audit_summary(by_code),
        card_notes=card_notes(clean, by_code, generator, figures),
        results=by_code,
        figures=figures,
    )


def _progress(total: int, enabled: bool, label: str) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc=f"static perturbations ({label})", unit="row")
