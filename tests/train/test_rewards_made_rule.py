"""ToolRL's strict reading of a completion (train/rewards.py) stays inside the shared rule: every
completion it reads as calls is one in which ``made_calls`` finds the same calls."""

from __future__ import annotations

import pytest

from robustbench_tc.parsing import made_calls
from train.rewards import predicted_calls

COMPLETIONS = [
    '<think>x</think>\n<tool_call>\n{"name": "f", "parameters": {"a": 1}}\n</tool_call>',
    '<think>x</think>\n<tool_call>\n{"name": "f", "parameters": {}}\n{"name": "g", "parameters": {"b": "y"}}\n'
    "</tool_call>",
    '<think>call f(a=1) maybe</think>\n<tool_call>\n{"name": "QueryBalance", "parameters": {"token": "t"}}\n'
    "</tool_call>\n<response>Done.</response>",
    '<tool_call>\n{"name": "h", "arguments": {}}\n</tool_call>',
    '<think>x</think>\n<tool_call>\n{"name": "Search Managers", "parameters": {"q": "a"}}\n</tool_call>',
]


@pytest.mark.parametrize("completion", COMPLETIONS)
def test_toolrl_reading_is_a_made_call(completion):
    strict = predicted_calls(completion)
    assert strict is not None
    shared = made_calls(completion, "apibank")
    assert [c.name for c in shared] == [c["name"] for c in strict]


@pytest.mark.parametrize(
    "completion",
    [
        "<think>x</think>\n<response>The call f(a=1) timed out. Please try again later.</response>",
        "<think>x</think>\n<response>Use `get_weather(city=...)` to check.</response>",
    ],
)
def test_mentions_are_neither(completion):
    assert predicted_calls(completion) is None
    assert made_calls(completion, "apibank") == []
