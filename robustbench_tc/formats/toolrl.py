"""The ToolRL system prompt (API-Bank as processed by ToolRL, and ToolRL's rlla training data).

The prompt lists tools between ``**Available Tools**`` and ``**Steps for Each Turn**``, one
numbered entry per tool, in one of two layouts::

    named   (API-Bank L1/L2, rlla):  N. Name: X\\nDescription: D\\nParameters: {...}
    inline  (API-Bank L3):           N. X: D\\nParameters: {...}

``Parameters`` is a python-dict repr (API-Bank, single quotes) or JSON (rlla); both are read and
the same style is written back, so ``replace_tools(p, parse_tools(p)) == p`` byte-for-byte.

**The ``**Think`` pseudo-tool.**  The paper's tool lists contain ``**Think`` with description
``"** Recall relevant context and analyze the current user goal."``: an artefact of reading the
first line of the "Steps for Each Turn" block (``1. **Think:** Recall ...``) as a tool.  The paper
counts it (Table 3's 3.1 average), shows it, perturbs its description (ToolPara) and shuffles it.
Here it is a ``Tool`` named ``THINK_TOOL_NAME`` that ``parse_tools`` appends after the real tools.
Rendering keeps the prompt faithful: the pseudo-tool is never written as an "Available Tools"
entry; its description is written back into the Steps line it came from (``1. **Think:<desc>``),
so a paraphrased description reaches the prompt while its list position only shows in
``Sample.tools`` (function-calling mode).  Without a ``**Think`` tool the Steps block is unchanged.

>>> from robustbench_tc.records import Tool
>>> p = ("Intro.\\n\\n**Available Tools**\\nIn your response, you can use the following tools:\\n"
...      "1. Name: GetToday\\nDescription: Gets the date.\\nParameters: {}\\n\\n"
...      "**Steps for Each Turn**\\n1. **Think:** Recall context.\\n2. **Decide:** Go.\\n\\n**Output**")
>>> [(t.name, t.description) for t in parse_tools(p)]
[('GetToday', 'Gets the date.'), ('**Think', '** Recall context.')]
>>> replace_tools(p, parse_tools(p)) == p
True
>>> q = replace_tools(p, [Tool(name="Now", description="Time.",
...     parameters={"type": "object", "properties": {"tz": {"type": "string"}}, "required": []})])
>>> print(q[q.index("1. Name"):q.index("**Steps")])
1. Name: Now
Description: Time.
Parameters: {'tz': {'type': 'string'}}
<BLANKLINE>
<BLANKLINE>
"""

from __future__ import annotations

import ast
import copy
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from robustbench_tc.formats.errors import FormatError
from robustbench_tc.formats.schema import object_schema, to_json_schema, to_source_schema
from robustbench_tc.records import Tool

THINK_TOOL_NAME = "**Think"
"""Name of the pseudo-tool read from the Steps block (see the module docstring)."""

TOOLS_HEADER = "**Available Tools**\n"
STEPS_HEADER = "\n\n**Steps for Each Turn**\n"
Layout = Literal["named", "inline"]
Style = Literal["python", "json"]

_ENTRY_NAMED = re.compile(r"(\d+)\. Name: (.*)\nDescription: (.*)\nParameters: (.*)")
_ENTRY_INLINE = re.compile(r"(\d+)\. (.+?): (.*)\nParameters: (.*)")
_ENTRY_START = re.compile(r"^\d+\. ", re.M)
_NAMED_START = re.compile(r"\d+\. Name: ")
# The regex the paper's tool extractor evidently used on the Steps block (only **Think matches).
_STEP_TOOL = re.compile(r"^(\d+)\.\s+(\S+):\s*(.*)$")


@dataclass(frozen=True)
class _Blocks:
    """The prompt cut around its tool entries: ``head + entries + steps``."""

    head: str  # up to and including the line after **Available Tools**
    entries: str  # the numbered entries ("" when there are none)
    steps: str  # from "\n\n**Steps for Each Turn**" to the end


def _split(prompt: str) -> _Blocks:
    start = prompt.find(TOOLS_HEADER)
    if start < 0:
        raise FormatError(f"not a ToolRL prompt: no {TOOLS_HEADER.strip()!r} section")
    end = prompt.find(STEPS_HEADER, start)
    if end < 0:
        raise FormatError(f"not a ToolRL prompt: no {STEPS_HEADER.strip()!r} after the tools")
    body_start = start + len(TOOLS_HEADER)
    body = prompt[body_start:end]
    first = _ENTRY_START.search(body)
    cut = first.start() if first else len(body)
    return _Blocks(prompt[: body_start + cut], body[cut:], prompt[end:])


def _parse_params(text: str, where: str) -> tuple[dict[str, Any], Style | None]:
    # The same entries come back in every perturbed copy of a prompt: parse each text once
    # (a fresh copy each time, since callers own the result).
    cached = _PARAMS_CACHE.get(text)
    if cached is None:
        cached = _PARAMS_CACHE[text] = _read_params(text, where)
        if len(_PARAMS_CACHE) > 4096:
            _PARAMS_CACHE.pop(next(iter(_PARAMS_CACHE)))
    value, style = cached
    return copy.deepcopy(value), style


_PARAMS_CACHE: dict[str, tuple[dict[str, Any], Style | None]] = {}


def _read_params(text: str, where: str) -> tuple[dict[str, Any], Style | None]:
    style: Style
    try:
        value, style = json.loads(text), "json"
    except json.JSONDecodeError:
        try:
            value, style = ast.literal_eval(text), "python"
        except (ValueError, SyntaxError) as exc:
            raise FormatError(f"{where}: unreadable Parameters {text[:80]!r}: {exc}") from exc
    if not isinstance(value, dict):
        raise FormatError(f"{where}: Parameters is a {type(value).__name__}, expected a dict")
    # "{}" reads as JSON and python alike: it says nothing about the style.
    return value, (style if value or text.strip() != "{}" else None)


def _entries(blocks: _Blocks) -> tuple[list[Tool], Layout, Style]:
    text = blocks.entries
    layout: Layout = "inline" if text and not _NAMED_START.match(text) else "named"
    pattern = _ENTRY_NAMED if layout == "named" else _ENTRY_INLINE
    tools: list[Tool] = []
    styles: set[str] = set()
    pos = 0
    while pos < len(text):
        match = pattern.match(text, pos)
        if not match:
            raise FormatError(f"unreadable {layout} tool entry at {text[pos : pos + 80]!r}")
        number, name, description, params_text = match.groups()
        params, style = _parse_params(params_text, f"tool {name!r}")
        if style:
            styles.add(style)
        properties = {k: to_json_schema(v) for k, v in params.items()}
        tools.append(Tool(name=name, description=description, parameters=object_schema(properties)))
        pos = match.end()
        if pos < len(text):
            if text[pos] != "\n":
                raise FormatError(f"tool {name!r}: unexpected text after Parameters")
            pos += 1
    if len(styles) > 1:
        raise FormatError("tool entries mix python-repr and JSON Parameters")
    return tools, layout, (styles.pop() if styles else "python")  # type: ignore[return-value]


def _think_line(steps: str) -> tuple[int, int, re.Match[str]] | None:
    """Span and match of the Steps line the pseudo-tool comes from."""
    offset = len(STEPS_HEADER)
    for line in steps[offset:].split("\n"):
        if not line.strip():
            break
        match = _STEP_TOOL.match(line)
        if match:
            return offset, offset + len(line), match
        offset += len(line) + 1
    return None


def parse_tools(prompt: str, *, include_think: bool = True) -> list[Tool]:
    """The tools listed in a ToolRL system prompt, then (by default) the ``**Think`` pseudo-tool."""
    blocks = _split(prompt)
    tools, _, _ = _entries(blocks)
    if include_think:
        found = _think_line(blocks.steps)
        if found:
            _, _, match = found
            tools.append(Tool(name=match.group(2), description=match.group(3)))
    return tools


def _params_text(tool: Tool, style: Style) -> str:
    source = {name: to_source_schema(prop) for name, prop in tool.properties.items()}
    return json.dumps(source) if style == "json" else repr(source)


def render_entries(tools: Sequence[Tool], *, layout: Layout = "named", style: Style = "python") -> str:
    """The numbered tool entries of the prompt (``required`` lists are not part of the layout).

    >>> print(render_entries([Tool(name="A", description="d")], layout="inline"))
    1. A: d
    Parameters: {}
    """
    lines = []
    for number, tool in enumerate(tools, 1):
        params = _params_text(tool, style)
        if "\n" in tool.name or "\n" in tool.description:
            raise FormatError(f"tool {tool.name!r}: the ToolRL layout cannot hold a newline")
        if layout == "named":
            lines.append(
                f"{number}. Name: {tool.name}\nDescription: {tool.description}\nParameters: {params}"
            )
        else:
            lines.append(f"{number}. {tool.name}: {tool.description}\nParameters: {params}")
    return "\n".join(lines)


def _think_description(description: str) -> str:
    # The Steps line reads "1. **Think:** <text>"; the parsed description keeps the "** " part.
    text = description.replace("\n", " ")
    return text if text.startswith("**") else f"** {text}"


def replace_tools(prompt: str, tools: Sequence[Tool]) -> str:
    """``prompt`` with its tool entries (and the ``**Think`` Steps line) rendered from ``tools``.

    The layout and the Parameters style of the existing entries are kept.
    """
    blocks = _split(prompt)
    _, layout, style = _entries(blocks)
    think = next((t for t in tools if t.name == THINK_TOOL_NAME), None)
    real = [t for t in tools if t is not think]
    steps = blocks.steps
    if think is not None:
        found = _think_line(steps)
        if found:
            begin, end, match = found
            line = f"{match.group(1)}. {THINK_TOOL_NAME}:{_think_description(think.description)}"
            steps = steps[:begin] + line + steps[end:]
    return blocks.head + render_entries(real, layout=layout, style=style) + steps
