"""Build the dataset folder: clean + 6 transition + 16 static configs (the paper's 23) and the 8
runtime configs (beyond the paper), the card, atomically.

``build_dataset(sources_dir, out_dir)`` checks every pinned input (sha256), loads the 199 clean
samples in manifest order, derives the transition configs (the clean samples with
``perturbation=<code>``, ``transition_error=TRANSITION_ERRORS[code]``, ``generator="runtime"``), asks
``robustbench_tc.perturbations.build_static_configs`` for the 16 static configs and
``robustbench_tc.world.axes.build_runtime_configs`` for the runtime configs, and writes
``OUT/data/<config>.jsonl`` + ``OUT/README.md``.  Everything is written into a temporary folder
next to ``OUT`` and renamed into place at the end, so a failed build leaves no partial output and
never touches a previous ``OUT``.  The data files are deterministic (rows in manifest order,
fixed serialisation, no timestamps).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from dataset_builder import card, pins
from dataset_builder.manifest import load_manifest
from dataset_builder.sources import load_clean, source_files
from robustbench_tc.dataset import DATA_DIR, config_path, fingerprint_of
from robustbench_tc.errors import RobustBenchError
from robustbench_tc.gold import gold_index, gold_index_path, render_gold_index
from robustbench_tc.records import Sample
from robustbench_tc.registry import unknown_name_message
from robustbench_tc.runtime import paused_gc
from robustbench_tc.sources import source_names
from robustbench_tc.taxonomy import CLEAN, TRANSITION_ERRORS, config_names, is_runtime, is_transition

RUNTIME = "runtime"


class BuildError(RobustBenchError, RuntimeError):
    """The build cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class BuildReport:
    out_dir: Path
    counts: dict[str, dict[str, int]]
    """config -> source -> rows, in config order."""
    avg_tools: dict[str, float]
    """source -> mean candidate-tool count of the clean slice."""
    audit_summary: str = ""
    skipped: tuple[str, ...] = field(default_factory=tuple)
    """Requested configs that could not be built (static configs without the perturbation package)."""
    stage_seconds: dict[str, float] = field(default_factory=dict, compare=False)
    """Wall seconds of each stage (``benchmarks/build_speed.py`` prints them)."""
    figures: tuple[Any, ...] = ()
    """Deterministic quality figures of the text types (``perturbations.figures.QualityFigures``)."""

    @property
    def totals(self) -> dict[str, int]:
        return {config: sum(per.values()) for config, per in self.counts.items()}

    def summary(self) -> str:
        sources = source_names()
        width = max(len(c) for c in self.counts) if self.counts else 6
        lines = [f"{'config':<{width}}  " + "  ".join(f"{s:>10}" for s in sources) + "       total"]
        for config, per in self.counts.items():
            lines.append(
                f"{config:<{width}}  "
                + "  ".join(f"{per.get(s, 0):>10}" for s in sources)
                + f"  {sum(per.values()):>10}"
            )
        lines.append(
            f"{'all':<{width}}  "
            + "  ".join(f"{sum(p.get(s, 0) for p in self.counts.values()):>10}" for s in sources)
            + f"  {sum(self.totals.values()):>10}"
        )
        lines.append(
            "avg candidate tools (clean): " + ", ".join(f"{s} {v:.2f}" for s, v in self.avg_tools.items())
        )
        if self.skipped:
            lines.append(f"not built ({len(self.skipped)}): {', '.join(self.skipped)}")
        if self.audit_summary:
            lines += ["", self.audit_summary.rstrip()]
        if self.figures:
            from robustbench_tc.perturbations.figures import figures_table

            lines += ["", "Perturbation quality (deterministic, per text type and generator):"]
            lines += [figures_table(self.figures)]
        return "\n".join(lines)


def _select(configs: Iterable[str] | None) -> list[str]:
    if configs is None:
        return config_names()
    wanted = list(configs)
    for name in wanted:
        if name not in config_names():
            raise BuildError(unknown_name_message("config", name, config_names()))
    chosen = set(wanted) | {CLEAN}  # the default config is always written
    return [c for c in config_names() if c in chosen]


def transition_config(clean: Sequence[Sample], code: str) -> list[Sample]:
    """The clean samples as rows of the transition config ``code``."""
    return [
        Sample.model_validate(
            {
                **s.model_dump(),
                "perturbation": code,
                "transition_error": TRANSITION_ERRORS[code],
                "generator": RUNTIME,
            }
        )
        for s in clean
    ]


def _static(
    clean: list[Sample], wanted: list[str], *, seed: int, generator: Any, progress: bool
) -> tuple[dict[str, list[Sample]], str, str, str, list[str], tuple[Any, ...]]:
    """(configs, audit summary, card notes, generator label, skipped, quality figures) for the
    static configs."""
    if not wanted:
        return {}, "", "", "rules", [], ()
    from robustbench_tc.perturbations import build_static_configs, static_codes
    from robustbench_tc.perturbations.generators import GeneratorConfig

    config = generator if generator is not None else GeneratorConfig()
    codes = [c for c in wanted if c in static_codes()]  # others (runtime rows) are built elsewhere
    result = build_static_configs(clean, seed=seed, generator=config, progress=progress, codes=codes)
    configs = {name: list(rows) for name, rows in result.configs.items() if name in wanted}
    unknown = sorted(set(result.configs) - set(config_names()))
    if unknown:
        raise BuildError(f"build_static_configs returned unknown configs {unknown}")
    label = getattr(config, "label", None) or getattr(config, "kind", None) or str(config)
    missing = [c for c in wanted if c not in configs]
    figures = tuple(f for f in result.figures if f.code_name in wanted)
    return configs, result.audit_summary, result.card_notes, str(label), missing, figures


def _sorted_rows(rows: list[Sample], config: str, order: dict[str, int]) -> list[dict[str, Any]]:
    for row in rows:
        if row.perturbation != config:
            raise BuildError(f"config {config!r} got a row of {row.perturbation!r} ({row.id})")
        if row.base_id not in order:
            raise BuildError(
                f"config {config!r}: row {row.id!r} derives from {row.base_id!r}, which is not a clean sample"
            )
    keys = [(r.id, r.perturbation) for r in rows]
    if len(set(keys)) != len(keys):
        dup = next(k for k, n in Counter(keys).items() if n > 1)
        raise BuildError(f"config {config!r} has two rows keyed {dup}")
    # (base position, id) is unique within a config: the sort never compares the rows themselves
    return [row for _, _, row in sorted(((order[r.base_id], r.id, r.to_row()) for r in rows), key=_first2)]


def _first2(item: tuple[int, str, Any]) -> tuple[int, str]:
    return item[0], item[1]


def _line(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def _check_out_dir(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / DATA_DIR).is_dir())):
        raise BuildError(f"refusing to replace {out}: it exists and is not a dataset folder")


def _replace_dir(tmp: Path, out: Path) -> None:
    """Move ``tmp`` to ``out``; a previous ``out`` is removed only once ``tmp`` is in place."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        old.rmdir()
        out.rename(old)
    try:
        tmp.rename(out)
    except OSError:
        if old is not None:
            old.rename(out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build_dataset(
    sources_dir: str | Path,
    out_dir: str | Path,
    *,
    seed: int = 0,
    generator: Any = None,
    configs: Iterable[str] | None = None,
    samples: Iterable[str] | None = None,
    progress: bool = True,
) -> BuildReport:
    """Build the dataset folder ``out_dir`` from the pinned files under ``sources_dir``.

    ``generator`` is a ``robustbench_tc.perturbations.generators.GeneratorConfig`` (default: the
    offline ``rules`` generator); ``configs`` limits the configs written (``clean`` always is);
    ``samples`` limits the clean samples (ids; e.g. to try a model generator on a few rows).
    Judge audits of a previous build in ``out_dir`` (``quality/``) are kept, and the card shows
    the latest per text type and generator, saying whether it judged this build's data.
    Raises ``pins.SourceFileError`` for a missing/altered input and ``BuildError`` otherwise.
    """
    with paused_gc():
        return _build(
            sources_dir,
            out_dir,
            seed=seed,
            generator=generator,
            configs=configs,
            samples=samples,
            progress=progress,
        )


def _build(
    sources_dir: str | Path,
    out_dir: str | Path,
    *,
    seed: int,
    generator: Any,
    configs: Iterable[str] | None,
    samples: Iterable[str] | None,
    progress: bool,
) -> BuildReport:
    clock = _StageClock()
    sources = Path(sources_dir)
    out = Path(out_dir).absolute()
    if not sources.is_dir():
        raise pins.SourceFileError(
            f"sources folder {sources} does not exist; get the pinned files with `{pins.FETCH_HINT}`"
        )
    selected = _select(configs)
    _check_out_dir(out)
    pins.verify(sources, source_files())
    clock.mark("verify pinned sources (sha256)")

    entries = load_manifest()
    clean = _subset(load_clean(sources, entries), samples)
    order = {s.id: i for i, s in enumerate(clean)}
    clock.mark("load the clean samples")

    rows: dict[str, list[Sample]] = {CLEAN: clean}
    for code in selected:
        if is_transition(code):
            rows[code] = transition_config(clean, code)
    clock.mark("transition configs")
    static_wanted = [c for c in selected if c != CLEAN and not is_transition(c) and not is_runtime(c)]
    static, audit, notes, label, skipped, figures = _static(
        clean, static_wanted, seed=seed, generator=generator, progress=progress
    )
    rows.update(static)
    clock.mark("static configs (perturb + audit)")
    runtime_wanted = [c for c in selected if is_runtime(c)]
    runtime_summary = ""
    if runtime_wanted:
        from robustbench_tc.world.axes import build_runtime_configs

        runtime = build_runtime_configs(clean, seed=seed, configs=runtime_wanted)
        rows.update(runtime.configs)
        runtime_summary = runtime.summary()
    written = [c for c in config_names() if c in rows]
    clock.mark("runtime configs (beyond the paper: build + audit + oracle)")

    names = source_names()
    counts = {c: {s: n for s in names if (n := sum(r.source == s for r in rows[c]))} for c in written}
    avg_tools = {
        s: round(
            sum(len(r.tools) for r in clean if r.source == s) / max(1, sum(r.source == s for r in clean)), 4
        )
        for s in names
    }

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; the result is an ordinary folder
        file_bytes: dict[str, int] = {}
        digests: dict[str, bytes] = {}
        sorted_rows: dict[str, list[dict[str, Any]]] = {}
        for config in tqdm(written, desc="writing configs", disable=not progress, unit="config"):
            path = config_path(tmp, config)
            path.parent.mkdir(parents=True, exist_ok=True)
            sorted_rows[config] = _sorted_rows(rows[config], config, order)
            data = "".join(_line(r) + "\n" for r in sorted_rows[config]).encode("utf-8")
            file_bytes[config] = path.write_bytes(data)
            digests[config] = hashlib.sha256(data).digest()
        clock.mark("write data files")
        fingerprint = fingerprint_of(digests)
        index_bytes = gold_index_path(tmp).write_bytes(
            render_gold_index(gold_index(sorted_rows, fingerprint))
        )
        clock.mark("write gold index")
        audits = _carry_audits(out, tmp)
        static_note = ""
        if samples is not None:
            static_note = (
                f"**Subset build**: {len(clean)} of the clean samples (`build --samples`), for trying a "
                "generator; not the benchmark. "
            )
        if skipped:
            static_note += (
                "Not built in this folder: "
                + ", ".join(f"`{c}`" for c in skipped)
                + " (the static perturbation generator was not available)."
            )
        text = card.render(
            card.CardInputs(
                counts=counts,
                avg_tools=avg_tools,
                seed=seed,
                generator=label,
                perturbation_notes=notes,
                static_note=static_note,
                file_bytes=file_bytes,
                gold_index_bytes=index_bytes,
                fingerprint=fingerprint,
                judge_section=card.judge_section(audits, {c: d.hex() for c, d in digests.items()})
                if static_wanted
                else "",
            )
        )
        (tmp / "README.md").write_text(text, encoding="utf-8")
        _replace_dir(tmp, out)
        clock.mark("card + move into place")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BuildReport(
        out_dir=out,
        counts=counts,
        avg_tools=avg_tools,
        audit_summary=audit + ("\n" + runtime_summary if runtime_summary else ""),
        skipped=tuple(skipped),
        stage_seconds=clock.seconds,
        figures=figures,
    )


COMMITTED_AUDITS = Path(__file__).with_name("quality_audits")
"""Judge audits committed with the project (``scripts/gpu_quality_audit.sh`` writes there): every
build's card shows them, marked as of this build's data or an earlier one."""


def _carry_audits(out: Path, tmp: Path) -> list[Any]:
    """Copy the previous build's audits into the new folder; return those and the committed ones."""
    from robustbench_tc.perturbations.judge import load_audits

    previous = sorted((out / card.AUDIT_DIR).glob("*.json")) if out.is_dir() else []
    if previous:
        (tmp / card.AUDIT_DIR).mkdir()
        for path in previous:
            shutil.copy2(path, tmp / card.AUDIT_DIR / path.name)
    committed = sorted(COMMITTED_AUDITS.glob("*.json"))
    return load_audits([*committed, *(tmp / card.AUDIT_DIR / p.name for p in previous)])


def _subset(clean: list[Sample], samples: Iterable[str] | None) -> list[Sample]:
    """The clean samples with the given ids (all of them for None), in manifest order."""
    if samples is None:
        return clean
    wanted = list(dict.fromkeys(samples))
    known = {s.id for s in clean}
    for sid in wanted:
        if sid not in known:
            close = difflib.get_close_matches(sid, sorted(known), n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise BuildError(
                f"unknown sample id {sid!r}{hint} (ids are the `id` column of the clean config, "
                f"{len(known)} samples)"
            )
    if not wanted:
        raise BuildError("--samples needs at least one clean sample id")
    chosen = set(wanted)
    return [s for s in clean if s.id in chosen]


class _StageClock:
    """Wall seconds between successive ``mark`` calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def mark(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = now - self._last
        self._last = now
