"""The parser never raises and stays fast on hostile input (fixed cases + hypothesis fuzzing)."""

from __future__ import annotations

import json
import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robustbench_tc.parsing import ParsedCall, parse_tool_calls
from robustbench_tc.sources import source_names

SOURCES = [None, *source_names()]
TIME_LIMIT_S = 1.0
"""Per call, on a loaded 2-core CI machine; measured worst case here is about 0.12 s on 100 KB."""

N = 100_000
_rng = random.Random(0)
HOSTILE = {
    "garbage": "".join(_rng.choice("[]{}()\"':,=<>/\\ aA1.\n*#-?&") for _ in range(N)),
    "open brackets": "[" * N,
    "open braces": "{" * N,
    "open parens": "(" * N,
    "deep json": '{"a":' * N,
    "unclosed list": "[1," * N,
    "huge float": "[f(a=1e999999)]",
    "huge int literal": "[f(a=" + "1" * N + ")]",
    "power": "[f(a=10**100000)]",
    "deep call arg": "[f(a=" + "[" * N + ")]",
    "python dict prefix": "{'a': " * N,
    "stars": "*" * N,
    "stars then action": "*" * N + "Action",
    "many actions": "Action: x\n" * 20_000,
    "tag soup": "<tool_call " * 20_000,
    "attr soup": "<tool name=" * 20_000,
    "label soup": "a: {" * 25_000,
    "query soup": "f?a=1&" * 16_000,
    "quote soup": "'\"" * 50_000,
    "call prefixes": "f(" * 50_000,
    "many calls": "f()" * 30_000,
    "react with deep input": "Action: f\nAction Input: " + "{" * N,
    "tool tags": "<tool>x</tool>" * 7_000,
    "think unclosed": "<think>" + "[f(a=1)]" * 10_000,
    "nul and controls": "\x00\x01\x02[f(a=1)]\x7f" * 1000,
    "surrogates": "\ud800[f(a='\udfff')]",
}


def _check(result: object) -> None:
    assert isinstance(result, list)
    for call in result:
        assert isinstance(call, ParsedCall)
        assert isinstance(call.name, str) and call.name
        assert isinstance(call.arguments, dict)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_inputs_are_fast_and_never_raise(name):
    raw = HOSTILE[name]
    for source in SOURCES:
        start = time.perf_counter()
        result = parse_tool_calls(raw, source)
        elapsed = time.perf_counter() - start
        _check(result)
        assert elapsed < TIME_LIMIT_S, f"{name} / {source}: {elapsed:.2f}s"


def test_huge_numbers_do_not_break_values():
    assert parse_tool_calls("[f(a=1e999999)]", "bfcl_v3")[0].arguments["a"] == float("inf")
    # an expression is not a literal: the call is seen, its arguments are not read (never evaluated)
    assert parse_tool_calls("[f(a=10**100000)]", "bfcl_v3") == [ParsedCall("f", {}, False)]
    # beyond Python's int-literal limit nothing is readable
    assert parse_tool_calls("[f(a=" + "1" * 5000 + ")]", "bfcl_v3") == []


FRAGMENTS = [
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    '"',
    "'",
    ":",
    ",",
    "=",
    "\n",
    "<tool_call>",
    "</tool_call>",
    "<tool>",
    "</tool>",
    '<tool name="f" parameters=',
    "Action:",
    "Action Input:",
    "ActionCode:",
    "Function:",
    "Parameters:",
    "?a=1&b=2",
    '{"name": "f", "parameters": {"a": 1}}',
    "f(a=1)",
    "country_info.capital",
    "1e999999",
    "NaN",
    "\\",
    "```json",
    "<think>",
    "</think>",
    "None",
    '"arguments": "{',
    "-",
    "**",
    "\x00",
]

fuzz_text = st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=8), max_size=60).map("".join),
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
        max_leaves=20,
    ).map(lambda v: json.dumps({"name": "f", "parameters": v})),
)


@settings(max_examples=400, deadline=int(TIME_LIMIT_S * 1000))
@given(raw=fuzz_text, source=st.sampled_from(SOURCES))
def test_fuzz_never_raises(raw, source):
    _check(parse_tool_calls(raw, source))


@settings(max_examples=200, deadline=int(TIME_LIMIT_S * 1000))
@given(
    name=st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}(\.[A-Za-z_][A-Za-z0-9_]{0,10})?", fullmatch=True),
    args=st.dictionaries(
        st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True),
        st.one_of(
            st.integers(-(10**6), 10**6),
            st.text(max_size=12),
            st.booleans(),
            st.lists(st.integers(), max_size=3),
        ),
        max_size=4,
    ),
    prefix=st.text(alphabet="abc XYZ.!?\n", max_size=30),
)
def test_fuzz_round_trip_of_canonical_formats(name, args, prefix):
    """A call written in each canonical format, after arbitrary prose, parses back exactly."""
    from robustbench_tc.scoring.oracle import python_literal

    bfcl = "[" + name + "(" + ", ".join(f"{k}={python_literal(v)}" for k, v in args.items()) + ")]"
    xml = "<tool_call>\n" + json.dumps({"name": name, "parameters": args}) + "\n</tool_call>"
    react = f"Thought: ok\nAction: {name}\nAction Input: {json.dumps(args)}"
    for raw, source in [(bfcl, "bfcl_v3"), (xml, "apibank"), (react, "rotbench"), (react, "toolalpaca")]:
        parsed = parse_tool_calls(prefix + "\n" + raw, source)
        assert [(c.name, c.arguments) for c in parsed] == [(name, args)], raw
