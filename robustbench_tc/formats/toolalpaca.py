"""Our ReAct instruction prompt for ToolAlpaca samples (upstream has no prompt in the data).

ToolAlpaca's agent is a ReAct loop (``Action:`` / ``Action Input:``); this prompt asks for the same
shape.  Tools are listed as a JSON array (name, description, JSON-Schema parameters).  The wording
is ours.

>>> from robustbench_tc.records import Tool
>>> prompt = render_system_prompt([Tool(name="findCatWithText", description="Get random cat saying text")])
>>> "Action Input:" in prompt, [t.name for t in parse_tools(prompt)]
(True, ['findCatWithText'])
>>> replace_tools(prompt, parse_tools(prompt)) == prompt
True
"""

from __future__ import annotations

from collections.abc import Sequence

from robustbench_tc.formats.react import json_list_span, parse_tool_list, render_tool_list
from robustbench_tc.records import Tool

TOOLS_START = "Tools (JSON):\n"
TOOLS_END = "\n\nTo use a tool, answer in this format:"

_BEFORE = (
    "You help the user by calling the tools of a web API. Each tool below has a name, a "
    "description and its parameters as JSON Schema.\n\n"
)
_AFTER = (
    "\nThought: <what you need to do next>\n"
    "Action: <the name of one of the tools above>\n"
    "Action Input: <the arguments as one JSON object>\n\n"
    "The tool's result comes back to you as an Observation. Once you know the answer, reply "
    "with:\nThought: <your reasoning>\nFinal Answer: <the answer for the user>\n"
)


def render_system_prompt(tools: Sequence[Tool]) -> str:
    return _BEFORE + TOOLS_START + render_tool_list(tools) + TOOLS_END + _AFTER


def _span(prompt: str) -> tuple[int, int]:
    return json_list_span(prompt, TOOLS_START, "ToolAlpaca (this project's)")


def parse_tools(prompt: str) -> list[Tool]:
    start, end = _span(prompt)
    return parse_tool_list(prompt[start:end], "ToolAlpaca prompt")


def replace_tools(prompt: str, tools: Sequence[Tool]) -> str:
    start, end = _span(prompt)
    return prompt[:start] + render_tool_list(tools) + prompt[end:]
