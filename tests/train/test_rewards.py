"""ToolRL's reward pinned on fixed examples (values worked out by hand from the formula)."""

from __future__ import annotations

import json

import pytest

from train.rewards import (
    CORRECT_MAX,
    CORRECT_MIN,
    completion_text,
    correctness_score,
    format_score,
    match_score,
    multiset_jaccard,
    parse_tool_calls,
    toolrl_correctness_reward,
    toolrl_format_reward,
)


def calls_block(*calls: dict) -> str:
    return "<tool_call>\n" + "\n".join(json.dumps(c) for c in calls) + "\n</tool_call>"


def call(tool: str, **params: object) -> dict:
    return {"name": tool, "parameters": params}


THINK = "<think> reasoning </think>"
RESPONSE = "<response> Done. </response>"
CALL_TARGET = f"{THINK}\n" + calls_block(call("Search Managers", name="Alex Ferguson"))
RESPONSE_TARGET = f"{THINK}\n{RESPONSE}"
BOTH_TARGET = f"{CALL_TARGET}\n{RESPONSE}"
NEITHER_TARGET = THINK
F_CALL = calls_block(call("Search Managers", name="Alex Ferguson"))


@pytest.mark.parametrize(
    ("completion", "target", "expected"),
    [
        (f"<think>a</think>\n{F_CALL}", CALL_TARGET, 1.0),
        (f"  <think>a</think>\n{F_CALL}\n", CALL_TARGET, 1.0),  # outer whitespace is stripped
        (F_CALL, CALL_TARGET, 0.0),  # no think
        (f"<think>a</think>{F_CALL}", CALL_TARGET, 0.0),  # no newline between blocks
        (f"<think>a</think>\n{F_CALL}\n{RESPONSE}", CALL_TARGET, 0.0),  # extra response
        (f"<think>a</think>\n{F_CALL}\n{F_CALL}", CALL_TARGET, 0.0),  # two tool_call blocks
        (f"<think>a</think>\n{RESPONSE}", RESPONSE_TARGET, 1.0),
        (f"<think>a</think>\n{F_CALL}", RESPONSE_TARGET, 0.0),
        (f"<think>a</think>\n{RESPONSE}\n{RESPONSE}", RESPONSE_TARGET, 0.0),
        (f"<think>a</think>\n{F_CALL}\n{RESPONSE}", BOTH_TARGET, 1.0),
        (f"<think>a</think>\n{RESPONSE}\n{F_CALL}", BOTH_TARGET, 0.0),  # wrong order
        ("<think>only thinking</think>", NEITHER_TARGET, 1.0),
        (f"<think>a</think>\n{RESPONSE}", NEITHER_TARGET, 0.0),
        # the target's thought mentioning a tag does not change the expected shape
        (f"<think>a</think>\n{F_CALL}", f"<think>no <response> yet</think>\n{F_CALL}", 1.0),
    ],
)
def test_format_score(completion: str, target: str, expected: float) -> None:
    assert format_score(completion, target) == expected


GOLD_TWO = f"{THINK}\n" + calls_block(call("f", a=1, b="x"), call("g", c=True))
# S_max = 1 + (1 + 2) + (1 + 1) = 6; R = -3 + 6 * score / 6 = score - 3.


@pytest.mark.parametrize(
    ("predicted", "expected"),
    [
        (calls_block(call("f", a=1, b="x"), call("g", c=True)), 3.0),  # exact
        (calls_block(call("g", c=True), call("f", a=1, b="x")), 3.0),  # order does not matter
        (calls_block(call("f", a=1, b="y"), call("g", c=True)), 2.0),  # one value wrong: 5/6
        (calls_block(call("f", a=1, b="x")), -3 + 6 * (0.5 + 3) / 6),  # g missing
        (calls_block(call("f", a=1), call("g", c=True)), -3 + 6 * (1 + 0.5 + 1 + 2) / 6),  # key b missing
        (calls_block(call("f", a=1, b="x", z=0), call("g", c=True)), -3 + 6 * (1 + 2 / 3 + 2 + 2) / 6),
        (calls_block(call("h", a=1, b="x"), call("k", c=True)), -3.0),  # all names wrong
        (calls_block(call("f", a="1", b="x"), call("g", c=True)), 2.0),  # 1 != "1": exact values
        (calls_block(call("f", a=1, b="x"), call("g", c=True), call("g", c=True)), -3 + 6 * (2 / 3 + 5) / 6),
        ("<think>a</think>\n<response>no call</response>", CORRECT_MIN),  # no block
        ("<tool_call>\n{not json}\n</tool_call>", CORRECT_MIN),
        ('<tool_call>\n{"name": "f"}\n</tool_call>', CORRECT_MIN),  # no parameters object
        ("<tool_call>\n\n</tool_call>", -3.0),  # empty block: nothing matches
    ],
)
def test_correctness_score(predicted: str, expected: float) -> None:
    assert correctness_score(predicted, GOLD_TWO) == pytest.approx(expected)


F_OK, G_OK = json.dumps(call("f", a=1, b="x")), json.dumps(call("g", c=True))


@pytest.mark.parametrize(
    ("predicted", "expected"),
    [
        # ToolRL reads the stripped block split on "\n" and json.loads every line: a blank line fails
        (f"<tool_call>\n{F_OK}\n\n{G_OK}\n</tool_call>", CORRECT_MIN),
        (f"<tool_call>\n\n{F_OK}\n{G_OK}\n\n</tool_call>", 3.0),  # outer blank lines are stripped
        # only "\n" separates calls: U+2028 inside a JSON string is not a line break (b is wrong)
        (
            "<tool_call>\n"
            + json.dumps(call("f", a=1, b="x\u2028y"), ensure_ascii=False)
            + f"\n{G_OK}\n</tool_call>",
            2.0,
        ),
        # a call needs a "name"; its "parameters" are read only when its name is a gold name
        (
            f'<tool_call>\n{F_OK}\n{G_OK}\n{{"name": "h", "arguments": {{}}}}\n</tool_call>',
            -3 + 6 * (2 / 3 + 5) / 6,
        ),
        (f'<tool_call>\n{F_OK}\n{G_OK}\n{{"name": 7}}\n</tool_call>', -3 + 6 * (2 / 3 + 5) / 6),
        (
            f'<tool_call>\n{F_OK}\n{G_OK}\n{{"name": "g", "arguments": {{"c": true}}}}\n</tool_call>',
            CORRECT_MIN,
        ),
        (f'<tool_call>\n{F_OK}\n{{"name": "g", "parameters": [true]}}\n</tool_call>', CORRECT_MIN),
        (f'<tool_call>\n{F_OK}\n{G_OK}\n{{"tool": "h", "parameters": {{}}}}\n</tool_call>', CORRECT_MIN),
        (f'<tool_call>\n{F_OK}\n{G_OK}\n["h"]\n</tool_call>', CORRECT_MIN),
    ],
)
def test_correctness_score_reads_calls_as_toolrl_does(predicted: str, expected: float) -> None:
    assert correctness_score(predicted, GOLD_TWO) == pytest.approx(expected)


@pytest.mark.parametrize("completion", ["<think>a</think>\n" + F_CALL, "garbage", RESPONSE])
def test_response_only_target_gives_zero_correctness(completion: str) -> None:
    assert correctness_score(completion, RESPONSE_TARGET) == 0.0


def test_unparseable_target_is_an_error() -> None:
    with pytest.raises(ValueError, match="unparseable"):
        correctness_score(F_CALL, f"{THINK}\n<tool_call>\nnot json\n</tool_call>")


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (["a"], ["a"], 1.0),
        ([], [], 1.0),
        (["a"], [], 0.0),
        (["a", "a"], ["a"], 0.5),
        (["a", "b"], ["b", "c"], 1 / 3),
    ],
)
def test_multiset_jaccard(first: list[str], second: list[str], expected: float) -> None:
    assert multiset_jaccard(first, second) == pytest.approx(expected)


def test_match_score_uses_each_prediction_once() -> None:
    gold = [call("f", a=1), call("f", a=2)]
    score, maximum = match_score(gold, [call("f", a=1)])
    # names: {f,f} vs {f} = 1/2; first gold matches (1 + 1), second finds nothing left
    assert (score, maximum) == (2.5, 5.0)


def test_parse_tool_calls_reads_after_the_thought() -> None:
    text = "<think>I will put calls in <tool_call> tags</think>\n" + calls_block(call("f", a=1))
    assert parse_tool_calls(text) == [call("f", a=1)]


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        ("plain", "plain"),
        ([{"role": "assistant", "content": "<think>x</think>"}], "<think>x</think>"),
        (
            [
                {
                    "role": "assistant",
                    "content": "<think>x</think>",
                    "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"a": 1}}}],
                }
            ],
            '<think>x</think>\n<tool_call>\n{"name": "f", "parameters": {"a": 1}}\n</tool_call>',
        ),
    ],
)
def test_completion_text(completion: object, expected: str) -> None:
    assert completion_text(completion) == expected


def test_trl_reward_functions_read_the_ground_truth_column() -> None:
    completions = [
        [{"role": "assistant", "content": f"<think>a</think>\n{F_CALL}"}],
        [{"role": "assistant", "content": f"<think>a</think>\n{RESPONSE}"}],
    ]
    kwargs = {"ground_truth": [CALL_TARGET, CALL_TARGET], "prompts": [[], []], "perturbation": ["CD", "CD"]}
    assert toolrl_format_reward(completions, **kwargs) == [1.0, 0.0]
    assert toolrl_correctness_reward(completions, **kwargs) == [CORRECT_MAX, CORRECT_MIN]
