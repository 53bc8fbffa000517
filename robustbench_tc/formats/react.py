"""The RoTBench / ToolEyes ReAct system prompt: a JSON tool list inside the instruction text.

The upstream prompt embeds ``json.dumps(tools)`` (default separators, ASCII escapes) right after
``"...access of the following tools:\\n"`` (followed by ``"\\n\\nLet's Begin!"``, or by examples
in ToolEyes' few-shot variant); the list ends where the JSON array ends.  Its last two tools are the
meta-tools ``ask_to_user`` and ``finish``, kept as ordinary tools (the paper counts them).
Parameters are already JSON Schema (``{"type": "object", "properties", "required"}``).

>>> from robustbench_tc.records import Tool
>>> p = 'Use tools. you have access of the following tools:\\n[{"name": "f", "description": "d", ' \\
...     '"parameters": {"type": "object", "properties": {}, "required": []}}]\\n\\nLet\\'s Begin!'
>>> [t.name for t in parse_tools(p)]
['f']
>>> replace_tools(p, parse_tools(p)) == p
True
>>> replace_tools(p, [Tool(name="g")]).count('"name": "g"')
1
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from robustbench_tc.formats.errors import FormatError
from robustbench_tc.formats.schema import object_schema, to_json_schema, to_source_schema
from robustbench_tc.records import Tool

TOOLS_START = "access of the following tools:\n"
TOOLS_END = "\n\nLet's Begin!"


def json_list_span(prompt: str, marker: str, what: str) -> tuple[int, int]:
    """Where the JSON tool array that follows ``marker`` starts and ends in ``prompt``."""
    start = prompt.find(marker)
    if start < 0:
        raise FormatError(f"not a {what} prompt: no {marker.strip()!r}")
    start += len(marker)
    try:
        _, end = json.JSONDecoder().raw_decode(prompt, start)
    except json.JSONDecodeError as exc:
        raise FormatError(f"{what} prompt: the tool list is not valid JSON: {exc}") from exc
    return start, end


def _span(prompt: str) -> tuple[int, int]:
    return json_list_span(prompt, TOOLS_START, "ReAct (RoTBench/ToolEyes)")


def tool_from_json(entry: Any, where: str = "tool list") -> Tool:
    """A ``Tool`` from a ``{name, description, parameters}`` dict in any source spelling."""
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise FormatError(f"{where}: expected a dict with a 'name', got {str(entry)[:80]!r}")
    extra = set(entry) - {"name", "description", "parameters"}
    if extra:
        raise FormatError(f"{where}: tool {entry['name']!r} has unsupported keys {sorted(extra)}")
    params = entry.get("parameters")
    return Tool(
        name=entry["name"],
        description=entry.get("description") or "",
        parameters=to_json_schema(params) if isinstance(params, dict) else object_schema({}),
    )


def tool_to_json(tool: Tool) -> dict[str, Any]:
    """The ``{name, description, parameters}`` dict with the source spellings restored."""
    return {
        "name": tool.name,
        "description": tool.description,
        "parameters": to_source_schema(tool.parameters),
    }


def parse_tool_list(text: str, where: str = "tool list") -> list[Tool]:
    """Tools from a JSON array of tool dicts."""
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"{where}: the tool list is not valid JSON: {exc}") from exc
    if not isinstance(entries, list):
        raise FormatError(f"{where}: the tool list is a {type(entries).__name__}, expected a list")
    return [tool_from_json(e, where) for e in entries]


def render_tool_list(tools: Sequence[Tool], **dumps_kwargs: Any) -> str:
    """The JSON array of tools as the upstream prompt writes it (``json.dumps`` defaults)."""
    return json.dumps([tool_to_json(t) for t in tools], **dumps_kwargs)


def parse_tools(prompt: str) -> list[Tool]:
    start, end = _span(prompt)
    return parse_tool_list(prompt[start:end], "ReAct prompt")


def replace_tools(prompt: str, tools: Sequence[Tool]) -> str:
    start, end = _span(prompt)
    return prompt[:start] + render_tool_list(tools) + prompt[end:]
