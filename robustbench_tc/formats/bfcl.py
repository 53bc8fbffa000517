"""Our instruction prompt for BFCL V3 samples (upstream keeps its prompt in code we do not copy).

The model gets the function list as JSON in BFCL's own spelling (``"type": "dict"``, ``float``)
and is asked for a python-style list of calls, which BFCL's AST scorer reads:
``[func_name1(param=value, ...), func_name2(...)]``.  The wording is ours.

>>> from robustbench_tc.records import Tool
>>> prompt = render_system_prompt([Tool(name="country_info.capital", description="Capital.")])
>>> "[func_name1(param=value" in prompt, [t.name for t in parse_tools(prompt)]
(True, ['country_info.capital'])
>>> replace_tools(prompt, parse_tools(prompt)) == prompt
True
"""

from __future__ import annotations

from collections.abc import Sequence

from robustbench_tc.formats.react import json_list_span, parse_tool_list, render_tool_list
from robustbench_tc.records import Tool

TOOLS_MARKER = "Functions you can call (JSON):\n"

INSTRUCTIONS = (
    "You answer the user's request by calling one or more of the functions listed at the end "
    "of this message.\n\n"
    "Reply with the calls only, written as a Python-style list of function calls with keyword "
    "arguments, in this exact shape:\n"
    "[func_name1(param=value, param2=value2), func_name2(param=value)]\n"
    "Write argument values as Python literals (quote strings). Put nothing else in a reply that "
    "calls functions. If none of the functions fits the request, or the request does not give "
    "a value a function requires, say so in plain text instead of calling anything.\n\n"
)


def render_system_prompt(tools: Sequence[Tool]) -> str:
    return INSTRUCTIONS + TOOLS_MARKER + render_tool_list(tools) + "\n"


def _span(prompt: str) -> tuple[int, int]:
    return json_list_span(prompt, TOOLS_MARKER, "BFCL (this project's)")


def parse_tools(prompt: str) -> list[Tool]:
    start, end = _span(prompt)
    return parse_tool_list(prompt[start:end], "BFCL prompt")


def replace_tools(prompt: str, tools: Sequence[Tool]) -> str:
    start, end = _span(prompt)
    return prompt[:start] + render_tool_list(tools) + prompt[end:]
