"""The parser never raises and does bounded work on hostile input (fixed cases + hypothesis fuzzing);
no wall-clock asserts: work is counted as the characters handed to ``ast.parse`` and the JSON decoder."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robustbench_tc.parsing import ParsedCall, parse_tool_calls, scan
from robustbench_tc.sources import source_names
from robustbench_tc.testing.hostile import HOSTILE, HOSTILE_RECORDS

SOURCES = [None, *source_names()]
WORK_PER_CHAR = 12
"""Characters the parser may hand to ``ast.parse`` and the JSON decoder per input character."""
WORK_FLOOR = 50_000


class _Counting(json.JSONDecoder):
    """The scanner's JSON decoder, counting the characters each attempt reads."""

    def __init__(self, counter: list[int]) -> None:
        super().__init__(strict=False)
        self.counter = counter

    def raw_decode(self, s, idx=0):  # type: ignore[override]
        try:
            value, end = super().raw_decode(s, idx)
        except ValueError as exc:
            self.counter[0] += max(1, getattr(exc, "pos", idx + 1) - idx)
            raise
        except RecursionError:
            self.counter[0] += scan._RECURSION_COST
            raise
        self.counter[0] += end - idx
        return value, end


@pytest.fixture
def work(monkeypatch) -> list[int]:
    """Characters read by ``ast.parse`` and JSON decoding during the test: the parser's work,
    counted instead of timed (a loaded CI machine makes timings meaningless)."""
    counter = [0]
    real_parse = scan.ast.parse

    def counting_parse(source, *args, **kwargs):
        counter[0] += len(source)
        return real_parse(source, *args, **kwargs)

    monkeypatch.setattr(scan.ast, "parse", counting_parse)
    monkeypatch.setattr(scan, "_DECODER", _Counting(counter))
    return counter


def _check(result: object) -> None:
    assert isinstance(result, list)
    for call in result:
        assert isinstance(call, ParsedCall)
        assert isinstance(call.name, str) and call.name
        assert isinstance(call.arguments, dict)


@pytest.mark.parametrize("name", [*HOSTILE, *HOSTILE_RECORDS])
def test_hostile_inputs_cost_bounded_work_and_never_raise(name, work):
    """Linear work on every shape (speed itself: benchmarks/parser_worst_case.py)."""
    raw = HOSTILE.get(name, HOSTILE_RECORDS.get(name))
    for source in SOURCES:
        work[0] = 0
        _check(parse_tool_calls(raw, source))
        limit = WORK_PER_CHAR * len(raw) + (WORK_FLOOR if name in HOSTILE else 2_000)
        assert work[0] <= limit, f"{name} / {source}: {work[0]} characters parsed for {len(raw)}"


def test_nested_brackets_are_not_parsed_repeatedly(work):
    """The issue's record: ``[f(x=`` + 200 ``[`` + 200 ``]`` + ``)]`` cost ~400 ``ast.parse`` calls."""
    raw = "[f(x=" + "[" * 200 + "]" * 200 + ")]"
    for source in SOURCES:
        work[0] = 0
        parse_tool_calls(raw, source)
        assert work[0] <= 4 * len(raw), (source, work[0])


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


@settings(max_examples=400, deadline=None)
@given(raw=fuzz_text, source=st.sampled_from(SOURCES))
def test_fuzz_never_raises(raw, source):
    _check(parse_tool_calls(raw, source))


@settings(max_examples=200, deadline=None)
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
