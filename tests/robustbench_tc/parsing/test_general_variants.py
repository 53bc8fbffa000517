"""Appendix I's variants on spellings beyond the paper's examples (review findings)."""

from __future__ import annotations

import pytest

from robustbench_tc.parsing import parse_tool_calls


def calls(raw: str, source: str | None) -> list[tuple[str, dict]]:
    return [(c.name, c.arguments) for c in parse_tool_calls(raw, source)]


@pytest.mark.parametrize(
    "raw, source, expected",
    [
        # BFCL parallel calls written unbracketed, one per line (also inside a code fence)
        ('f(a=1)\ng(b="x")', "bfcl_v3", [("f", {"a": 1}), ("g", {"b": "x"})]),
        ('```python\nf(a=1)\ng(b="x")\n```', "bfcl_v3", [("f", {"a": 1}), ("g", {"b": "x"})]),
        ('Calls:\nf(a=1)\nand then\ng(b="x")', "bfcl_v3", [("f", {"a": 1}), ("g", {"b": "x"})]),
        # a Python builtin on its own line is not a tool call
        ("result = f(a=1)\nprint(result)", "bfcl_v3", []),  # right of an assignment: a mention
        ("f(a=1)\nprint(result)", "bfcl_v3", [("f", {"a": 1})]),
        # JSON string values with literal newlines / tabs
        ('{"name": "f", "arguments": {"t": "a\nb\tc"}}', "bfcl_v3", [("f", {"t": "a\nb\tc"})]),
        ('Action: f\nAction Input: {"t": "a\nb"}\nObservation: x', "tooleyes", [("f", {"t": "a\nb"})]),
        # ReAct variants: inline code spans, "f()" as the action, blank line before the input
        ('Action: `f`\nAction Input: `{"a": 1}`', "rotbench", [("f", {"a": 1})]),
        ('Action: f()\n\nAction Input: {"a": 1}', "rotbench", [("f", {"a": 1})]),
        ('Action: f(a=2)\nAction Input: {"a": 1}', "rotbench", [("f", {"a": 2})]),  # inline arguments win
        ("Action: f()", "rotbench", [("f", {})]),
        # a flattened call object inside explicit <tool_call> tags: the other keys are the arguments
        (
            '<tool_call>{"name": "f", "city": "Paris", "n": 2}</tool_call>',
            "apibank",
            [("f", {"city": "Paris", "n": 2})],
        ),
    ],
)
def test_parses_general_spellings(raw, source, expected):
    assert calls(raw, source) == expected


@pytest.mark.parametrize(
    "raw, source",
    [
        ('{"name": "John", "city": "Paris"}', "apibank"),  # a plain record outside tags is no call
        ("print(x)\nlen(y)", "bfcl_v3"),
    ],
)
def test_does_not_invent_calls(raw, source):
    assert calls(raw, source) == []


@pytest.mark.parametrize("source", ["bfcl_v3", "apibank", "rotbench", "toolalpaca", "tooleyes"])
@pytest.mark.parametrize(
    "raw",
    [
        'Sure: {"name": "f", "arguments": {"a": 1}}',  # a label before a JSON call is not a tool name
        'Request: {"tool": "f", "params": {"a": 1}}',
        'Here you go: {"tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{\\"a\\": 1}"}}]}',
    ],
)
def test_a_label_before_a_json_call_is_not_the_tool(raw, source):
    assert calls(raw, source) == [("f", {"a": 1})]


def test_func_name_colon_json_still_reads_a_name_parameter():
    assert calls('searchPerson: {"name": "John"}', "toolalpaca") == [("searchPerson", {"name": "John"})]


@pytest.mark.parametrize(
    "raw, source",
    [
        ('[book_flight(from="NYC", to="LA")]', "bfcl_v3"),  # a parameter named like a Python keyword
        ('[book_flight(from:"NYC", to:"LA")]', "bfcl_v3"),
        ('book_flight(from="NYC", to="LA")', "bfcl_v3"),
        ('I will call:\nbook_flight(from="NYC", to="LA")', "rotbench"),
        ('Action: book_flight(from="NYC", to="LA")', "rotbench"),
    ],
)
def test_keyword_named_parameters(raw, source):
    assert calls(raw, source) == [("book_flight", {"from": "NYC", "to": "LA"})]


@pytest.mark.parametrize(
    "raw, expected",
    [
        (
            'Action 1: f\nAction Input 1: {"a": 1}\nAction 2: g\nAction Input 2: {"b": 2}',
            [("f", {"a": 1}), ("g", {"b": 2})],
        ),
        ('1. Action: f\n   Action Input: {"a": 1}', [("f", {"a": 1})]),
        ('Action: f\nInput: {"a": 1}', [("f", {"a": 1})]),
        ('Action: f\nParameters: {"a": 1}', [("f", {"a": 1})]),
        ('Action: f\nArguments:\n```json\n{"a": 1}\n```', [("f", {"a": 1})]),
        # an Action Input wins over a looser label in the same block
        ('Action: f\nParameters: the city\nAction Input: {"a": 1}', [("f", {"a": 1})]),
        # a label after the next Action belongs to that Action
        ('Action: f\nThought: hmm\nParameters: {"a": 1}', [("f", {})]),
        ('Action:\n```json\n{"action": "f", "action_input": {"a": 1}}\n```', [("f", {"a": 1})]),
    ],
)
@pytest.mark.parametrize("source", ["rotbench", "tooleyes", "toolalpaca"])
def test_react_variants(raw, expected, source):
    assert calls(raw, source) == expected
