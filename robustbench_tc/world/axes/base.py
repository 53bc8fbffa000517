"""What every runtime axis shares: the target gold call, row construction, the shared audit.

An axis module defines one ``AxisBuilder``: which clean samples are eligible (and why not), how one
clean sample becomes a row of the axis (a seeded, deterministic transform), and the checks that only
this axis promises.  ``robustbench_tc.world.axes.build_runtime_configs`` runs every builder of the
taxonomy's runtime rows and audits every row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from robustbench_tc.records import OPTIONAL, GoldCall, Sample, copy_record
from robustbench_tc.sources import get_source
from robustbench_tc.taxonomy import get_type
from robustbench_tc.world.draw import Draw
from robustbench_tc.world.spec import Spec, dump_spec, parse_spec

RUNTIME_GENERATOR = "runtime"
"""``Sample.generator`` of every runtime row (the transition rows use it too)."""


@dataclass(frozen=True)
class Pool:
    """The whole clean set, for axes that draw from other samples (values, earlier exchanges)."""

    clean: Sequence[Sample]
    seed: int = 0
    by_source: dict[str, list[Sample]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for sample in self.clean:
            self.by_source.setdefault(sample.source, []).append(sample)


Eligible = Callable[[Sample, Pool], str | None]
"""``None`` if the sample can carry the axis, else why not (the build report counts reasons)."""
Make = Callable[[Sample, Pool, Draw], Sample]
Checks = Callable[[Sample, Sample], list[str]]


@dataclass(frozen=True)
class AxisBuilder:
    code: str
    eligible: Eligible
    make: Make
    checks: Checks = lambda clean, row: []  # noqa: E731 - a default for axes without own checks
    note: str = ""
    """How the axis builds its rows, for the dataset card."""


def target_call(sample: Sample) -> GoldCall | None:
    """The gold call a runtime fault targets: the first call of the first alternative, when it is
    a real tool (not a meta-tool) and every alternative starts with the same tool."""
    first = sample.golden_answers[0].calls[0] if sample.golden_answers[0].calls else None
    if first is None or first.name in get_source(sample.source).meta_tools:
        return None
    if any(not a.calls or a.calls[0].name != first.name for a in sample.golden_answers):
        return None
    return first


def needs_target(sample: Sample, _pool: Pool) -> str | None:
    return (
        None if target_call(sample) is not None else "no real gold tool (a meta-tool, or alternatives differ)"
    )


def first_value(values: list[Any]) -> Any:
    """A gold parameter's first acceptable value, or ``OPTIONAL`` when it may be omitted first."""
    return values[0] if values else OPTIONAL


def gold_tool_names(sample: Sample) -> set[str]:
    return {c.name for a in sample.golden_answers for c in a.calls}


def real_tools(sample: Sample) -> list[str]:
    """Registry names that are real tools (not meta-tools or API-Bank's ``**Think``)."""
    meta = set(get_source(sample.source).meta_tools)
    return [t.name for t in sample.tools if t.name not in meta and not t.name.startswith("**")]


def name_words(name: str) -> set[str]:
    """The lower-case words of a tool name (``get_cryptocurrency_quotes`` / ``QueryBalance`` / ``a.b``).

    >>> sorted(name_words("QueryBalance")), sorted(name_words("weather.get_by_coordinates_date"))
    (['balance', 'query'], ['by', 'coordinates', 'date', 'get', 'weather'])
    """
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return {w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w}


def runtime_row(
    clean: Sample, config: str, spec: Spec | None, metadata: dict[str, Any] | None = None, **updates: Any
) -> Sample:
    """``clean`` as a row of ``config``: ``generator="runtime"``, the world spec (and any axis
    metadata) under ``perturbation_metadata``, and ``updates`` (tools, system prompt, messages)."""
    row = copy_record(clean)
    row.perturbation = config
    row.generator = RUNTIME_GENERATOR
    meta: dict[str, Any] = {"axis": config}
    if spec is not None:
        meta["world"] = dump_spec(spec)
    meta.update(metadata or {})
    row.perturbation_metadata = meta
    for key, value in updates.items():
        setattr(row, key, value)
    return Sample.model_validate(row.model_dump())


def shared_checks(clean: Sample, row: Sample) -> list[str]:
    """What every runtime row promises: the clean sample's identity and gold, untouched messages and
    tools unless the axis edits them, and a world spec that parses and targets the gold tool."""
    out = []
    ptype = get_type(row.perturbation)
    for attr in (
        "id",
        "base_id",
        "source",
        "output_format",
        "golden_answers",
        "transition_error",
        "source_meta",
    ):
        if getattr(row, attr) != getattr(clean, attr):
            out.append(f"{attr} differs from the clean sample")
    if "history" not in ptype.edits and row.messages != clean.messages:
        out.append("messages differ from the clean sample")
    if "tools" not in ptype.edits and (row.tools != clean.tools or row.system_prompt != clean.system_prompt):
        out.append("tools or system prompt differ from the clean sample")
    spec = parse_spec(row.perturbation_metadata.get("world"))
    fault = ptype.axis.fault if ptype.axis else ""
    if (spec.kind if spec else "") != fault:
        out.append(f"world fault {spec.kind if spec else None!r}, expected {fault or None!r}")
    target = target_call(clean)
    if spec is not None and getattr(spec, "tool", None) != (target.name if target else None):
        out.append(f"the fault targets {getattr(spec, 'tool', None)!r}, not the gold tool")
    return out
