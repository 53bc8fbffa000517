"""What the model is sent in each mode, and how replies and faults are written."""

from __future__ import annotations

import re
from typing import Any

import pytest

from eval_harness.conversation import (
    FC_SYSTEM_PROMPT,
    build_messages,
    calls_to_text,
    follow_up,
    openai_tools,
    sanitized_names,
)
from robustbench_tc.dataset import load_samples
from robustbench_tc.parsing import parse_tool_calls
from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample, Tool
from robustbench_tc.testing.mini_dataset import mini_samples

SAMPLES = {s.source: s for s in mini_samples("transient_timeout")}


@pytest.mark.parametrize("source", sorted(SAMPLES))
def test_prompt_mode_uses_the_source_prompt(source: str) -> None:
    s = SAMPLES[source]
    messages = build_messages(s, "prompt")
    assert messages[0] == {"role": "system", "content": s.system_prompt}
    assert messages[1:] == [m.model_dump() for m in s.messages]


@pytest.mark.parametrize("source", sorted(SAMPLES))
def test_fc_mode_uses_a_generic_prompt_and_tools(source: str) -> None:
    s = SAMPLES[source]
    assert build_messages(s, "fc")[0] == {"role": "system", "content": FC_SYSTEM_PROMPT}
    tools = openai_tools(s.tools)
    assert [t["function"]["name"] for t in tools] == s.tool_names
    assert all("x-source-type" not in str(t) for t in tools)


@pytest.mark.parametrize(
    ("source", "role", "content"),
    [
        ("bfcl_v3", "tool", "{e}"),
        ("apibank", "user", "<obs> {e} </obs>"),
        ("toolalpaca", "user", "Observation: {e}"),
    ],
)
def test_prompt_mode_fault_turn_follows_the_source_convention(source: str, role: str, content: str) -> None:
    s = SAMPLES[source]
    messages = follow_up(s, "prompt", "CALL", [], s.transition_error)
    assert messages[:-2] == build_messages(s, "prompt")
    assert messages[-2:] == [
        {"role": "assistant", "content": "CALL"},
        {"role": role, "content": content.format(e=s.transition_error)},
    ]


def test_fc_fault_answers_every_structured_call() -> None:
    s = SAMPLES["bfcl_v3"]
    calls = [
        {"id": "a", "name": "weather.get", "arguments": '{"city": "Paris"}'},
        {"id": "b", "name": "convert_currency", "arguments": {"amount": 1}},
    ]
    messages = follow_up(s, "fc", calls_to_text("Let me check.", calls), calls, "boom")
    assistant, *tools = messages[-3:]
    assert assistant["content"] == "Let me check."
    assert [c["function"]["arguments"] for c in assistant["tool_calls"]] == [
        '{"city": "Paris"}',
        '{"amount": 1}',
    ]
    assert tools == [
        {"role": "tool", "tool_call_id": "a", "content": "boom"},
        {"role": "tool", "tool_call_id": "b", "content": "boom"},
    ]


@pytest.mark.parametrize("source", ["bfcl_v3", "apibank", "rotbench", "toolalpaca", "tooleyes"])
def test_fc_replies_are_parsed_by_the_scorer_parser(source: str) -> None:
    raw = calls_to_text(
        "",
        [
            {"name": "mutation_type.find", "arguments": '{"snp_id": "rs1"}'},
            {"name": "other", "arguments": {}},
        ],
    )
    parsed = parse_tool_calls(raw, source)
    assert [(c.name, c.arguments) for c in parsed] == [
        ("mutation_type.find", {"snp_id": "rs1"}),
        ("other", {}),
    ]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["a.b", "a_b"], {"a.b": "a_b_2", "a_b": "a_b"}),
        (["ok-name", "x y"], {"ok-name": "ok-name", "x y": "x_y"}),
        (["f" * 70], {"f" * 70: "f" * 60}),
    ],
)
def test_sanitized_names_are_valid_and_unique(names: list[str], expected: dict[str, str]) -> None:
    assert sanitized_names(names) == expected


@pytest.mark.parametrize(
    ("mode", "source", "turns"),
    [
        ("fc", "toolalpaca", 2),
        ("prompt", "bfcl_v3", 2),
        ("prompt", "toolalpaca", 1),
        ("prompt", "apibank", 1),
    ],
)
def test_several_parsed_calls_each_get_the_fault_where_tool_turns_are_the_convention(
    mode: str, source: str, turns: int
) -> None:
    s = SAMPLES[source]
    messages = follow_up(s, mode, "TWO CALLS", [], s.transition_error, n_calls=2)
    assert messages[: -1 - turns] == build_messages(s, mode)
    assert messages[-1 - turns] == {"role": "assistant", "content": "TWO CALLS"}
    assert len(messages[-turns:]) == turns
    assert all(m["content"].count(s.transition_error) == 1 for m in messages[-turns:])


def _react_sample(source: str, query: str) -> Sample:
    return Sample(
        id=f"{source}__Turn 1: {query}",
        source=source,
        system_prompt="SYS",
        output_format="react",
        messages=[Message(role="user", content=query)],
        tools=[Tool(name="finish")],
        golden_answers=[GoldAnswer(calls=[GoldCall(name="finish")])],
    )


@pytest.mark.parametrize(
    ("source", "mode", "query", "sent"),
    [
        # RoTBench's user turn is the query + "\nBegin!\n" upstream; the dataset stores the query
        ("rotbench", "prompt", "Where is Madrid?", "Where is Madrid?\nBegin!\n"),
        ("rotbench", "prompt", "Where is Madrid?\nBegin!\n", "Where is Madrid?\nBegin!\n"),
        ("rotbench", "fc", "Where is Madrid?", "Where is Madrid?"),
        ("tooleyes", "prompt", "What day is it today?", "What day is it today?"),  # bare upstream
        ("toolalpaca", "prompt", "Get a cat.", "Get a cat."),
    ],
)
def test_user_turn_is_the_sources_own(source: str, mode: str, query: str, sent: str) -> None:
    s = _react_sample(source, query)
    assert build_messages(s, mode)[-1] == {"role": "user", "content": sent}
    assert follow_up(s, mode, "Action: finish", [], "E")[1] == {"role": "user", "content": sent}
    assert s.messages[0].content == query  # the sample is untouched


@pytest.mark.parametrize(
    ("prop", "expected"),
    [
        # OpenAI rejects an array schema without `items` (400 "array schema missing items")
        ({"type": "array", "x-source-type": "list(str)"}, {"type": "array", "items": {"type": "string"}}),
        ({"type": "array", "x-source-type": "List[int]"}, {"type": "array", "items": {"type": "integer"}}),
        ({"type": "array", "x-source-type": "list"}, {"type": "array", "items": {}}),
        ({"type": "array"}, {"type": "array", "items": {}}),
        ({"type": ["array", "null"]}, {"type": ["array", "null"], "items": {}}),
        (
            {"type": "array", "items": {"type": "number", "x-source-type": "float"}},
            {"type": "array", "items": {"type": "number"}},
        ),
        (
            {"type": "object", "properties": {"ids": {"type": "array", "x-source-type": "list(str)"}}},
            {"type": "object", "properties": {"ids": {"type": "array", "items": {"type": "string"}}}},
        ),
        ({"type": "string", "x-source-type": "str"}, {"type": "string"}),
    ],
)
def test_fc_array_parameters_always_have_items(prop: dict, expected: dict) -> None:
    tool = Tool(name="f", parameters={"type": "object", "properties": {"p": prop}, "required": []})
    before = tool.model_dump()
    assert openai_tools([tool])[0]["function"]["parameters"]["properties"]["p"] == expected
    assert tool.model_dump() == before  # the sample's tools are not modified


_OPENAI_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_JSON_TYPES = {"string", "integer", "number", "boolean", "array", "object", "null"}


def _openai_schema_problems(node: Any, where: str) -> list[str]:
    if not isinstance(node, dict):
        return [f"{where}: not a schema"]
    problems = []
    types = node.get("type", [])
    types = types if isinstance(types, list) else [types]
    problems += [f"{where}: type {t!r}" for t in types if t not in _JSON_TYPES]
    if "array" in types and "items" not in node:
        problems.append(f"{where}: array without items")
    problems += [f"{where}: x-source-type" for k in node if k == "x-source-type"]
    for name, sub in (node.get("properties") or {}).items():
        problems += _openai_schema_problems(sub, f"{where}.{name}")
    if isinstance(node.get("items"), dict):
        problems += _openai_schema_problems(node["items"], f"{where}[]")
    return problems


def test_every_built_tool_is_a_valid_openai_function(built_dataset) -> None:
    problems: list[str] = []
    for config, rows in load_samples(built_dataset).items():
        for s in rows:
            names = sanitized_names(s.tool_names)
            assert all(_OPENAI_NAME.match(n) for n in names.values()), s.id
            for entry in openai_tools(s.tools, names):
                fn = entry["function"]
                assert fn["parameters"]["type"] == "object", (config, s.id, fn["name"])
                problems += _openai_schema_problems(fn["parameters"], f"{config}:{s.id}:{fn['name']}")
    assert problems == []
