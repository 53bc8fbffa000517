"""The parser's fast paths give exactly what the slow ones give.  ``fast_calls`` matches the ``ast``
path or returns ``None`` (fixed cases, every string of the parser corpora, and generated call texts,
grammar-built then mutated character by character); ``tail_start`` is the tail regex's search; the
special-token precheck never misses a token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robustbench_tc.parsing import answer, bare, scan
from robustbench_tc.parsing.bare import _PRINT_WRAP, well_formed
from robustbench_tc.parsing.fastcalls import fast_calls
from robustbench_tc.parsing.variants import _calls_from_tree

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "corpus" / "smollm2_outputs.jsonl"
REVIEW = HERE / "data" / "review_cases.jsonl"


def assert_agrees(text: str) -> None:
    fast = fast_calls(text)
    if fast is None:
        return
    assert fast, "fast_calls never returns []"
    assert fast == _calls_from_tree(text), text
    assert well_formed(text), text
    assert _PRINT_WRAP.fullmatch(text) is None, text


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ('[f(a=1, b="x")]', True),
        ("[f(a='x'), g.h(b=[1, 2.5, -3], c={'k': [None, true, False]})]", True),
        ("f(unit=celsius, v=-0.0, w=1E5, x=NULL, y={})", True),
        ("[f( a = 1 ,\n b = [ ] )]", True),
        ("[f()]", True),
        ("[f(1)]", False),  # positional
        ('[f(a="\\n")]', False),  # an escape
        ("[f(a=1, a=2)]", False),  # repeated keyword: a syntax error
        ("[f(from=1)]", False),  # a keyword as a parameter: the keyword patch decides
        ("[f(a=(1, 2))]", False),  # a tuple
        ("[f(a={1, 2})]", False),  # a set
        ("[f(a={1: 2})]", False),  # a non-string key
        ("[f(a=01)]", False),
        ("[f(a=1_0)]", False),
        ("[f(a=.5)]", False),
        ("[f(a=1.)]", False),
        ('[f(a="""x""")]', False),
        ('[f(a="x" "y")]', False),
        ('[f(a=r"x")]', False),
        ("[f(a=True.real)]", False),
        ("[f(a=x.if)]", False),
        ("[f(),]", False),
        ("[f(a=1,)]", False),
        ("[]", False),
        (" f(a=1)", False),
        ("f(a=1) ", False),
        ("f(a=1) # comment", False),
        ("[f(a='\x00')]", False),
        ("[f(a='\ud800')]", False),
        ("[f(a=f(b=1))]", False),
        ("[print(default_api.f(a=1))]", False),
        ("[f(a=" + "[" * 20 + "]" * 20 + ")]", False),
        ("[" + ", ".join(["f()"] * 65) + "]", False),
        ("None(a=1)", False),
        ("f(__debug__=1)", False),
    ],
)
def test_fixed_cases(text: str, read: bool) -> None:
    assert (fast_calls(text) is not None) is read
    assert_agrees(text)


def test_every_corpus_string_and_its_lines() -> None:
    texts = [json.loads(line)["raw_output"] for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    texts += [json.loads(line)["raw"] for line in REVIEW.read_text(encoding="utf-8").splitlines()]
    read = 0
    for text in texts:
        for piece in [text, text.strip(), *text.split("\n")]:
            assert_agrees(piece)
            assert_agrees(piece.strip().strip("`").strip())
            read += fast_calls(piece.strip()) is not None
    assert read > 20  # the corpora hold plain BFCL lists, so the fast path is exercised


_CHARS = st.sampled_from(list("ab Z_09é'\"\\\t\n{}[](),:=.-+#") + ["\x00", "\x0c", "\ud800", "\u2028"])
_PLAIN_CHARS = st.sampled_from(list("ab Z_09é,:()[]{}=.-+#'") + ["\u2028"])
"""Mostly what a plain string holds, so that most generated texts take the fast path; the edits
and the rarer odd pieces below reach the boundary of the subset."""


def _mostly(plain: list[str], odd: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(plain), st.sampled_from(plain), st.sampled_from(plain), st.sampled_from(odd)
    )


_STRINGS = st.one_of(
    st.text(_PLAIN_CHARS, max_size=6), st.text(_PLAIN_CHARS, max_size=6), st.text(_CHARS, max_size=4)
)
_NUMBERS = _mostly(
    ["0", "1", "-1", "1.5", "-0.0", "1e5", "1E-3", "12345678901234567890", "-2.25e+2"],
    ["00", "01", "1.", ".5", "1e", "1_0", "0x1", "1j", "- 1", "--1"],
)
_NAMES = _mostly(
    ["x", "true", "False", "None", "NULL", "celsius", "a.b", "match", "__debug__", "Null"],
    ["if", "a.if", "True.real", "é", "a . b", "x()"],
)
_SCALARS = st.one_of(
    _STRINGS.map(lambda s: '"' + s.replace('"', "") + '"'),
    _STRINGS.map(lambda s: "'" + s.replace("'", "") + "'"),
    _STRINGS.map(lambda s: '"' + s + '"'),
    _NUMBERS,
    _NAMES,
)
_SPACE = _mostly(["", "", " ", "\n", "\t", "  "], ["\x0c", "#c\n", "\\\n", "\r\n"])
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.tuples(st.lists(inner, max_size=3), _SPACE).map(lambda t: "[" + (t[1] + ", ").join(t[0]) + "]"),
        st.lists(st.tuples(_SCALARS, inner), max_size=3).map(
            lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"
        ),
        st.lists(inner, max_size=2).map(lambda xs: "(" + ", ".join(xs) + ")"),
    ),
    max_leaves=6,
)
_KWARGS = st.lists(
    st.tuples(
        _mostly(["a", "b", "c_1", "_rbtc_kw_a", "_", "match"], ["from", "True", "__debug__", "a b"]),
        _SPACE,
        _VALUES,
    ),
    max_size=3,
).map(lambda kws: ", ".join(f"{k}{sp}={sp}{v}" for k, sp, v in kws))
_CALLS = st.tuples(_mostly(["f", "a.b", "print", "g_1"], ["if", "x.True", "f ", "é"]), _KWARGS).map(
    lambda t: f"{t[0]}({t[1]})"
)
_TEXTS = st.one_of(
    _CALLS,
    st.tuples(st.lists(_CALLS, min_size=1, max_size=3), _SPACE).map(
        lambda t: "[" + ", ".join(t[0]) + t[1] + "]"
    ),
)


def test_generated_texts_mostly_take_the_fast_path() -> None:
    """The generator below is not vacuous: a good share of its texts are read by ``fast_calls``."""
    seen: list[bool] = []

    @settings(max_examples=300, deadline=None, database=None)
    @given(_TEXTS)
    def sample(text: str) -> None:
        seen.append(fast_calls(text) is not None)

    sample()
    assert sum(seen) > len(seen) // 20


@settings(max_examples=1500, deadline=None)
@given(_TEXTS, st.lists(st.tuples(st.integers(0, 200), _CHARS, st.booleans()), max_size=3))
def test_generated_texts_agree_with_the_ast_path(text: str, edits: list[tuple[int, str, bool]]) -> None:
    assert_agrees(text)
    for at, ch, insert in edits:
        i = at % (len(text) + 1)
        text = text[:i] + ch + text[i + (0 if insert else 1) :]
        assert_agrees(text)


_LINE_CHARS = st.sampled_from(list(" \t`*;.,#)]a(\r"))


@settings(max_examples=800, deadline=None)
@given(st.text(_LINE_CHARS, max_size=14), st.integers(0, 14))
def test_tail_start_is_the_tail_regex_search(line: str, lo: int) -> None:
    lo = min(lo, len(line))
    assert bare.tail_start(line, lo, len(line)) == bare._TAIL_AT_END.search(line, lo, len(line)).start()


@settings(max_examples=800, deadline=None)
@given(
    st.lists(
        st.sampled_from([*"[]</|sATZ_az\n>｜be", "bot_end", "end_of_turn", "<|", "TOOL_CALLS", "eom_id"]),
        max_size=24,
    ).map("".join)
)
def test_special_token_check_never_misses_a_token(text: str) -> None:
    if not answer._may_hold_special_token(text):
        assert answer._SPECIAL_TOKENS.search(text) is None


@settings(max_examples=800, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["[f(a=1)]", "x = f(a=1)", "import os", "  if x:", "a, b = f()", "", " ", "def g():", "ok:"]
            + [
                "<tool_call>",
                '{"name": "f"}',
                "\t$ curl x",
                "@app",
                "  _x = 1",
                "\r",
                "é = 1",
                "1 = 2",
                "\tFoo = 1",
            ]
        ),
        max_size=8,
    ),
    st.sampled_from(["\n", "\r\n", "\n\n"]),
)
def test_statement_check_is_the_multiline_search(lines: list[str], newline: str) -> None:
    text = newline.join(lines)
    assert answer._holds_statement(text) == bool(answer._STATEMENT_LINE.search(text))


def balanced_by_characters(text: str, start: int, max_len: int = scan.MAX_SEGMENT) -> str | None:
    """``scan.balanced`` as it was written before: a walk over every character."""
    if start >= len(text) or text[start] not in scan._OPENERS:
        return None
    stack: list[str] = []
    quote = ""
    i, stop = start, min(len(text), start + max_len)
    while i < stop:
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in scan._OPENERS:
            stack.append(scan._OPENERS[ch])
        elif ch in ")]}":
            if not stack or stack.pop() != ch:
                return None
            if not stack:
                return text[start : i + 1]
        i += 1
    return None


@settings(max_examples=1500, deadline=None)
@given(st.text(st.sampled_from(list("()[]{}\"'\\ax")), max_size=30), st.integers(0, 5), st.integers(1, 40))
def test_balanced_is_the_character_walk(text: str, start: int, max_len: int) -> None:
    assert scan.balanced(text, start, max_len) == balanced_by_characters(text, start, max_len)
    assert scan.balanced(text, start) == balanced_by_characters(text, start)
