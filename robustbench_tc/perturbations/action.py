"""Action types: the five same-name distractors (Dup A-E) and RedunTool.

Dup A-E add ONE distractor named exactly like the ground-truth tool (paper Table 1):

=====  ============  ========================  =============================================
code   display       distractor description     distractor parameters
=====  ============  ========================  =============================================
A      Dup-NoDesc    none (``""``)              none (empty object)
B      Dup-Desc      the GT's own               none
C      Dup-WrongP    none                       wrong
D      Dup-DescWP    the GT's own               wrong
E      Dup-SwapDP    another tool's             wrong
=====  ============  ========================  =============================================

"Wrong parameters" swap the GT's argument names (Figure 1): the names stay, each takes another
parameter's schema (type, description, required flag) by a seeded derangement, so filling them
the distractor's way puts values in the wrong slots.  A GT with one parameter gets it renamed; a
GT without parameters gets one invented ``input`` parameter.  The distractor is inserted at a
seeded position among the real tools (``**Think`` stays last), as App. C shows.  Where the type's
definition makes the distractor identical to the GT (A on a tool without description and
parameters, B on a tool without parameters) the row is kept (an exact duplicate registration is
the type applied literally) and flagged ``distractor_identical_to_gt``.

RedunTool asks the generator for two siblings of every real tool (App. C: both tools of
multiple_110 get two), appended in tool order before any pinned tools.
"""

from __future__ import annotations

import random
from typing import Any

from robustbench_tc.formats import with_tools
from robustbench_tc.perturbations.base import (
    Context,
    gt_index,
    gt_tool_reason,
    is_pseudo,
    is_real,
    pinned_tail,
    register,
    same_tool,
)
from robustbench_tc.perturbations.siblings import type_spellings, typed_property
from robustbench_tc.records import Sample, Tool, copy_record

# Our own generic descriptions, used by Dup-SwapDP when the sample has no other described tool.
FALLBACK_DESCRIPTIONS = (
    "Converts an amount between two currencies using the latest exchange rate.",
    "Returns the weather forecast for a city for the next few days.",
    "Sends a text message to a phone number.",
    "Looks up the definition of an English word.",
    "Translates a sentence into another language.",
)
_RENAME_SUFFIXES = ("_value", "_text", "_input")

_DUP_SHAPES: dict[str, tuple[str, str]] = {
    "same_name_A": ("none", "none"),
    "same_name_B": ("gt", "none"),
    "same_name_C": ("none", "wrong"),
    "same_name_D": ("gt", "wrong"),
    "same_name_E": ("swapped", "wrong"),
}


def _empty_params(tool: Tool) -> dict[str, Any]:
    head = {k: v for k, v in tool.parameters.items() if k not in ("properties", "required")}
    head.setdefault("type", "object")
    return {**head, "properties": {}, "required": []}


def wrong_params(
    tool: Tool, rng: random.Random, spelling: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The GT's parameters with their names swapped (see the module docstring), and the mapping
    ``name -> name whose schema it now carries`` (or ``name -> new name`` for a rename)."""
    props = tool.properties
    names = list(props)
    required = set(tool.required)
    head = _empty_params(tool)
    if len(names) >= 2:
        for _ in range(50):
            perm = names[:]
            rng.shuffle(perm)
            if any(a == b for a, b in zip(names, perm)):
                continue
            new_props = {n: props[src] for n, src in zip(names, perm)}
            if new_props != props:
                new_req = [n for n, src in zip(names, perm) if src in required]
                return {**head, "properties": new_props, "required": new_req}, dict(zip(names, perm))
    if names:  # one parameter, or all schemas identical: rename every parameter
        suffix = rng.choice(_RENAME_SUFFIXES)
        mapping = {n: f"{n}{suffix}" for n in names}
        new_props = {mapping[n]: props[n] for n in names}
        new_required = [mapping[n] for n in tool.required if n in mapping]
        return {**head, "properties": new_props, "required": new_required}, mapping
    prop = typed_property("string", "Input for the operation.", spelling)
    return {**head, "properties": {"input": prop}, "required": ["input"]}, {"": "input"}


def _dup(ctx: Context) -> Sample:
    sample = ctx.sample
    desc_kind, params_kind = _DUP_SHAPES[ctx.code_name]
    idx = gt_index(sample)
    gt = sample.tools[idx]
    meta: dict[str, Any] = {
        "gt_tool": gt.name,
        "distractor_description": desc_kind,
        "distractor_parameters": params_kind,
    }
    if desc_kind == "none":
        description = ""
    elif desc_kind == "gt":
        description = gt.description
    else:
        others = [
            t
            for t in sample.tools
            if is_real(t, sample.source)
            and t.name != gt.name
            and t.description.strip()
            and t.description != gt.description
        ]
        if others:
            donor = ctx.rng.choice(others)
            description, meta["description_from"] = donor.description, donor.name
        else:
            description = ctx.rng.choice(FALLBACK_DESCRIPTIONS)
            meta["description_from"] = "builtin"
    if params_kind == "none":
        params = _empty_params(gt)
    else:
        params, mapping = wrong_params(gt, ctx.rng, type_spellings(sample.tools))
        meta["parameter_mapping"] = mapping
    distractor = Tool(name=gt.name, description=description, parameters=params)
    if distractor == gt:  # A on a GT without description and parameters, B on one without parameters
        meta["distractor_identical_to_gt"] = True
    tools = [copy_record(t) for t in sample.tools]
    movable = len(tools) - pinned_tail(tools, sample.source, pseudo=True)
    pos = ctx.rng.randint(0, movable)
    tools.insert(pos, distractor)
    meta["distractor_index"] = pos
    meta["gt_index"] = idx + (1 if pos <= idx else 0)
    return ctx.finish(with_tools(sample, tools), meta, generated=False)


def _dup_checks(clean: Sample, row: Sample, meta: dict[str, Any]) -> list[str]:
    """One tool inserted, carrying the GT's name; of the two same-name tools one is the clean GT
    byte-for-byte, both only where the type's definition makes them coincide (A on a GT without
    description and parameters, B on a GT without parameters: ``distractor_identical_to_gt``)."""
    v: list[str] = []
    if len(row.tools) != len(clean.tools) + 1:
        v.append("Dup must add exactly one tool")
    else:
        rest = list(row.tools)
        rest.pop(int(meta.get("distractor_index", -1)))
        if rest != clean.tools:
            v.append("Dup changed the tools besides inserting the distractor")
        if row.tools[int(meta["distractor_index"])].name != meta.get("gt_tool"):
            v.append("the inserted tool does not carry the GT name")
    name = meta.get("gt_tool")
    gt = {t.name: t for t in clean.tools}.get(name) if isinstance(name, str) else None
    if gt is not None:
        identical = [t for t in row.tools if t.name == name and same_tool(t, gt)]
        want = 2 if meta.get("distractor_identical_to_gt") else 1
        if len(identical) != want:
            v.append(f"{len(identical)} of the same-name {name!r} tools equal the clean GT ({want} expected)")
        desc_kind, params_kind = _DUP_SHAPES[row.perturbation]
        coincides = (
            not gt.properties
            and params_kind == "none"
            and (desc_kind == "gt" or (desc_kind == "none" and not gt.description))
        )
        if want == 2 and not coincides:
            v.append("distractor flagged identical to the GT, but the type's definition differs")
    return v


for _code in _DUP_SHAPES:
    register(_code, gt_tool_reason, _dup_checks)(_dup)


NUM_SIBLINGS = 2


def _redundant_eligible(sample: Sample) -> str | None:
    return None if any(not is_pseudo(t) for t in sample.tools) else "the sample lists no tool"


def _redundant_checks(clean: Sample, row: Sample, meta: dict[str, Any]) -> list[str]:
    v = []
    cn, rn = clean.tool_names, row.tool_names
    added = [t for t in row.tools if t.name not in cn]
    kept = [t for t in row.tools if t.name in cn]
    if kept != clean.tools:
        v.append("RedunTool changed or reordered the clean tools")
    if not added:
        v.append("RedunTool added no tool")
    if len(set(rn)) != len(rn) and len(set(cn)) == len(cn):
        v.append("RedunTool produced duplicate names")
    return v


@register("redundant", _redundant_eligible, _redundant_checks)
def redundant(ctx: Context) -> Sample:
    sample = ctx.sample
    tools = [copy_record(t) for t in sample.tools]
    sources = [t for t in tools if is_real(t, sample.source)] or [t for t in tools if not is_pseudo(t)]
    spelling = type_spellings(tools)
    taken = [t.name for t in tools]
    added: dict[str, list[str]] = {}
    new_tools: list[Tool] = []
    for tool in sources:
        out = ctx.generate(
            "redundant_tools",
            {
                "tool": tool.model_dump(),
                "num_tools": NUM_SIBLINGS,
                "taken": list(taken),
                "spelling": spelling,
            },
        )
        made = [Tool.model_validate(t) for t in out["tools"]]
        added[tool.name] = [t.name for t in made]
        taken += added[tool.name]
        new_tools += made
    at = len(tools) - pinned_tail(tools, sample.source, pseudo=True)
    tools[at:at] = new_tools
    return ctx.finish(with_tools(sample, tools), {"added": added}, generated=True)
