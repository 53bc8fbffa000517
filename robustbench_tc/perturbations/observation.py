"""Observation types: Typo, QueryPara (the user's request), ToolPara, ParamPara (tool metadata).

Typo and QueryPara rewrite the editable user text of the query (for API-Bank dialogues: the real
``<user>`` turns, never tags, assistant turns or the closing instruction; ``text``).  ToolPara
rewrites every real tool's description, ParamPara every parameter description, nested object
properties and array items included (the pseudo-tool ``**Think`` is left as the paper's App. H
example level2_11 shows).  Gold argument values found
in the query are passed to the generator as strings that must survive unchanged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from robustbench_tc.formats import with_tools
from robustbench_tc.formats.schema import SOURCE_TYPE_KEY
from robustbench_tc.perturbations.base import Context, always, is_pseudo, register, schema_shape
from robustbench_tc.perturbations.generators import GenerationError
from robustbench_tc.perturbations.text import DIGIT_RUNS, gold_strings_in, query_text, with_query
from robustbench_tc.records import Sample, Tool, copy_record


def _rewrite_query(ctx: Context, kind: str) -> Sample:
    text = query_text(ctx.sample)
    out = ctx.generate(kind, {"text": text}, gold_strings_in(ctx.sample, text))  # type: ignore[arg-type]
    row = with_query(ctx.sample, out["text"])
    meta: dict[str, Any] = {"edits": out.get("edits", [])}
    if kind == "typo":
        meta["n_typos"] = out.get("n_typos") or sum(len(e.get("kinds", [None])) for e in meta["edits"])
    return ctx.finish(row, meta, generated=True)


# --------------------------------------------------------------------------- each type's audit
def _tools_kept(clean: Sample, row: Sample, meta: dict[str, Any]) -> list[str]:
    return ["the tools changed"] if clean.tools != row.tools else []


def _typo_checks(clean: Sample, row: Sample, meta: dict[str, Any]) -> list[str]:
    v = []
    if not 2 <= int(meta.get("n_typos", 0)) <= 4:
        v.append(f"{meta.get('n_typos')} typos (2-4 expected)")
    if DIGIT_RUNS.findall(query_text(clean)) != DIGIT_RUNS.findall(query_text(row)):
        v.append("a number changed")
    return v + _tools_kept(clean, row, meta)


def _values_kept(clean: Sample, pairs: Iterable[tuple[str, str, str]]) -> list[str]:
    """Gold values (and numbers) of each clean description that its rewrite lost."""
    v = []
    for label, before, after in pairs:
        lost = [x for x in gold_strings_in(clean, before) if x not in after]
        if lost:
            v.append(f"{label}: gold values missing from the rewritten description: {lost}")
        if Counter(DIGIT_RUNS.findall(before)) - Counter(DIGIT_RUNS.findall(after)):
            v.append(f"{label}: a number of the description was lost")
    return v


def _tool_para_checks(clean: Sample, row: Sample, meta: dict[str, Any]) -> list[str]:
    if clean.tool_names != row.tool_names or any(
        a.parameters != b.parameters for a, b in zip(clean.tools, row.tools)
    ):
        return ["ToolPara changed more than descriptions"]
    if clean.tools == row.tools and not meta.get("no_tool_descriptions"):
        return ["no tool description changed"]
    return _values_kept(
        clean, ((a.name, a.description, b.description) for a, b in zip(clean.tools, row.tools))
    )


def _param_para_checks(clean: Sample, row: Sample, meta: dict[str, Any]) -> list[str]:
    if clean.tool_names != row.tool_names or any(
        a.description != b.description or schema_shape(a.parameters) != schema_shape(b.parameters)
        for a, b in zip(clean.tools, row.tools)
    ):
        return ["ParamPara changed more than parameter descriptions"]
    if clean.tools == row.tools and not meta.get("no_parameter_descriptions"):
        return ["no parameter description changed"]
    pairs = []
    for a, b in zip(clean.tools, row.tools):
        after = dict(described_parameters(b))
        pairs += [
            (label, n["description"], after[label]["description"]) for label, n in described_parameters(a)
        ]
    return _values_kept(clean, pairs)


# --------------------------------------------------------------------------- the transforms
@register("realistic_typos", always, _typo_checks)
def typo(ctx: Context) -> Sample:
    return _rewrite_query(ctx, "typo")


@register("query_paraphrase", always, _tools_kept)
def query_paraphrase(ctx: Context) -> Sample:
    return _rewrite_query(ctx, "query_paraphrase")


def _describable(tool: Tool) -> bool:
    return not is_pseudo(tool) and bool(tool.description.strip())


def _try(ctx: Context, kind: str, inputs: dict[str, Any], kept: list[str], label: str) -> str | None:
    """The generated text, or None when the offline rules have no rewrite for this one text
    (recorded in ``kept``).  Errors of the LLM generator always propagate."""
    try:
        return ctx.generate(kind, inputs, gold_strings_in(ctx.sample, inputs["description"]))["text"]  # type: ignore[arg-type]
    except GenerationError:
        if ctx.generator.label != "rules":
            raise
        kept.append(label)
        return None


@register("paraphrase_tool_description", always, _tool_para_checks)
def tool_paraphrase(ctx: Context) -> Sample:
    tools: list[Tool] = []
    changed: list[str] = []
    kept: list[str] = []
    for tool in ctx.sample.tools:
        new = copy_record(tool)
        if _describable(tool):
            text = _try(
                ctx,
                "tool_description",
                {"tool_name": tool.name, "description": tool.description},
                kept,
                tool.name,
            )
            if text is not None:
                new.description = text
                changed.append(tool.name)
        tools.append(new)
    if not changed and kept:  # offline rules only: frame the first description
        i = next(i for i, t in enumerate(tools) if t.name == kept[0])
        inputs = {"tool_name": tools[i].name, "description": tools[i].description, "allow_frame": True}
        protect = gold_strings_in(ctx.sample, tools[i].description)
        tools[i].description = ctx.generate("tool_description", inputs, protect)["text"]
        changed, kept = [kept[0]], kept[1:]
    meta: dict[str, Any] = {"changed_tools": changed}
    if kept:
        meta["unchanged_tools"] = kept
    if not changed:  # as ParamPara below: kept like the paper (n = 199), flagged
        meta["no_tool_descriptions"] = True
    return ctx.finish(with_tools(ctx.sample, tools), meta, generated=True)


def _param_type(node: dict[str, Any]) -> str:
    return str(node.get(SOURCE_TYPE_KEY, node.get("type", "any")))


def described_parameters(tool: Tool) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, schema node) of every parameter of ``tool`` that has a description, nested object
    properties and array items included, depth first (``f.a``, ``f.a.b``, ``f.a[]``).

    >>> t = Tool(name="f", parameters={"type": "object", "properties": {"a": {"type": "object",
    ...     "description": "An a.", "properties": {"b": {"type": "string", "description": "A b."}}},
    ...     "c": {"type": "array", "items": {"type": "string", "description": "One c."}}}})
    >>> [label for label, _ in described_parameters(t)]
    ['f.a', 'f.a.b', 'f.c[]']
    """

    def walk(label: str, node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        if not isinstance(node, dict):
            return
        desc = node.get("description")
        if isinstance(desc, str) and desc.strip():
            yield label, node
        if isinstance(node.get("properties"), dict):
            for name, sub in node["properties"].items():
                yield from walk(f"{label}.{name}", sub)
        yield from walk(f"{label}[]", node.get("items"))

    for pname, node in tool.properties.items():
        yield from walk(f"{tool.name}.{pname}", node)


@register("paraphrase_parameter_description", always, _param_para_checks)
def parameter_paraphrase(ctx: Context) -> Sample:
    tools: list[Tool] = []
    changed: list[str] = []
    kept: list[str] = []
    kept_nodes: list[tuple[str, str, dict[str, Any]]] = []
    for tool in ctx.sample.tools:
        new = copy_record(tool)
        if not is_pseudo(tool):
            for label, node in described_parameters(new):
                pname = label[len(tool.name) + 1 :]
                inputs = {
                    "tool_name": tool.name,
                    "param_name": pname,
                    "param_type": _param_type(node),
                    "description": node["description"],
                }
                text = _try(ctx, "parameter_description", inputs, kept, label)
                if text is None:
                    kept_nodes.append((tool.name, pname, node))
                else:
                    node["description"] = text
                    changed.append(label)
        tools.append(new)
    if not changed and kept:  # offline rules only: frame the first description
        tool_name, pname, node = kept_nodes[0]
        inputs = {
            "tool_name": tool_name,
            "param_name": pname,
            "param_type": _param_type(node),
            "description": node["description"],
            "allow_frame": True,
        }
        protect = gold_strings_in(ctx.sample, node["description"])
        node["description"] = ctx.generate("parameter_description", inputs, protect)["text"]
        changed, kept = [kept[0]], kept[1:]
    meta: dict[str, Any] = {"changed_parameters": changed}
    if kept:
        meta["unchanged_parameters"] = kept
    if not changed:
        # The paper keeps such samples (ParamPara n = 199; its audit skipped 4 with no parameter
        # descriptions): the row is the clean sample, flagged so it can be filtered.
        meta["no_parameter_descriptions"] = True
    return ctx.finish(with_tools(ctx.sample, tools), meta, generated=True)
