"""What every perturbation type shares: the registry, the per-row context, tool-list helpers.

A type is a ``Spec``: an eligibility check (``None`` = eligible, else the reason it is not), a
transform ``(Context) -> Sample`` returning the perturbed row, and the type's own audit checks
``(clean, row, metadata) -> [violations]`` (the checks every type shares are in ``audit``, driven
by the taxonomy row).  ``TRANSFORMS`` registers the 16 static types by code name.

Tool-list conventions (see docs/perturbations.md):

* the API-Bank ``**Think`` pseudo-tool (any name starting with ``**``) is never duplicated,
  paraphrased or given siblings; Dup types and RedunTool keep it last (paper App. C), the Reward
  shuffles move it like any tool (App. C shows it moved);
* RoTBench / ToolEyes meta-tools ``ask_to_user`` and ``finish`` stay the last two tools (their
  prompt convention and upstream scorer rely on it) and are never shuffled.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from robustbench_tc.perturbations.generators import Generator, Task, TaskKind
from robustbench_tc.perturbations.seeding import rng_for
from robustbench_tc.records import Sample, Tool
from robustbench_tc.registry import Registry
from robustbench_tc.sources import get_source


def is_pseudo(tool: Tool) -> bool:
    """The API-Bank ``**Think`` artefact (a Steps line read as a tool)."""
    return tool.name.startswith("**")


def is_meta(tool: Tool, source: str) -> bool:
    """A meta-tool of the source's protocol (the source table's ``meta_tools``)."""
    return tool.name in get_source(source).meta_tools


def is_real(tool: Tool, source: str) -> bool:
    return not is_pseudo(tool) and not is_meta(tool, source)


def pinned_tail(tools: Sequence[Tool], source: str, *, pseudo: bool) -> int:
    """How many trailing tools stay in place: meta-tools, and the pseudo-tool if ``pseudo``."""
    n = 0
    for tool in reversed(tools):
        if is_meta(tool, source) or (pseudo and is_pseudo(tool)):
            n += 1
        else:
            break
    return n


def gold_tool_name(sample: Sample) -> str | None:
    """The tool of the first call of the first alternative that makes a call (None: no call)."""
    for answer in sample.golden_answers:
        if answer.calls:
            return answer.calls[0].name
    return None


def gold_names(sample: Sample) -> list[str]:
    """Every tool name a gold alternative calls, in first-seen order."""
    return list(dict.fromkeys(c.name for g in sample.golden_answers for c in g.calls))


def schema_shape(node: Any) -> Any:
    """A parameter schema without its descriptions."""
    if isinstance(node, dict):  # a property named "description" is a dict: kept
        return {
            k: schema_shape(v) for k, v in node.items() if not (k == "description" and isinstance(v, str))
        }
    if isinstance(node, list):
        return [schema_shape(v) for v in node]
    return node


def same_tool(a: Tool, b: Tool) -> bool:
    """Same name, description and parameters."""
    return a.name == b.name and a.description == b.description and a.parameters == b.parameters


def gt_tool_reason(sample: Sample) -> str | None:
    """Why the sample has no single GT tool to duplicate, rename or describe (None: it has)."""
    info = get_source(sample.source)
    if not info.single_gold_tool:
        return f"{sample.source} has no single ground-truth tool (paper §4.3)"
    name = gold_tool_name(sample)
    if name is None:
        return "the golden answer makes no tool call"
    if name in info.meta_tools:
        return f"the ground-truth action is the meta-tool {name!r}, not a real tool"
    count = sample.tool_names.count(name)
    if count != 1:
        return f"the ground-truth tool {name!r} is listed {count} times"
    return None


def gt_index(sample: Sample) -> int:
    return sample.tool_names.index(gold_tool_name(sample))  # type: ignore[arg-type]


@dataclass
class Context:
    """One row being generated: the clean sample, its type, seed and random stream."""

    sample: Sample
    code_name: str
    seed: int
    generator: Generator

    def __post_init__(self) -> None:
        self.rng: random.Random = rng_for(self.seed, self.code_name, self.sample.id)

    def task(self, kind: TaskKind, inputs: dict[str, Any], protect: Sequence[str] = ()) -> Task:
        return Task(kind, self.code_name, self.sample.id, inputs, tuple(protect), self.seed)

    def generate(self, kind: TaskKind, inputs: dict[str, Any], protect: Sequence[str] = ()) -> dict[str, Any]:
        return self.generator.generate(self.task(kind, inputs, protect))

    def finish(self, row: Sample, metadata: dict[str, Any], *, generated: bool) -> Sample:
        """Stamp the row: type, generator (``rules`` for rule types), metadata."""
        row.perturbation = self.code_name
        row.generator = self.generator.label if generated else "rules"
        row.perturbation_metadata = metadata
        return row


Audit = Callable[[Sample, Sample, dict[str, Any]], list[str]]
"""A type's own checks of one row: ``(clean, row, row.perturbation_metadata) -> violations``."""


def no_checks(clean: Sample, row: Sample, meta: dict[str, Any]) -> list[str]:
    return []


@dataclass(frozen=True)
class Spec:
    """A registered perturbation type: eligibility, transform and its own audit checks."""

    code_name: str
    eligible: Callable[[Sample], str | None]
    transform: Callable[[Context], Sample]
    audit: Audit = no_checks


TRANSFORMS: Registry[Spec] = Registry("static perturbation type")


def register(
    code_name: str, eligible: Callable[[Sample], str | None], audit: Audit = no_checks
) -> Callable[[Callable[[Context], Sample]], Callable[[Context], Sample]]:
    """Register ``fn`` as the transform of ``code_name`` (a taxonomy row) with its audit checks."""

    def deco(fn: Callable[[Context], Sample]) -> Callable[[Context], Sample]:
        TRANSFORMS.register(code_name, Spec(code_name, eligible, fn, audit))
        return fn

    return deco


def always(_: Sample) -> str | None:
    return None
