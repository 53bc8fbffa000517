"""The retry-aware reward of ToolRL-DR+T (train.rewards.retry_aware_scores), case by case."""

from __future__ import annotations

import pytest

from train.rewards import (
    CORRECT_MIN,
    correctness_score,
    drt_correctness_reward,
    drt_format_reward,
    format_score,
    retry_after_fault,
    retry_aware_scores,
    toolrl_correctness_reward,
    toolrl_format_reward,
    with_extra_call_cost,
)

GOLD = '<think>t</think>\n<tool_call>\n{"name": "f", "parameters": {"a": 1, "b": 2}}\n</tool_call>'
RESPONSE_ONLY = "<think>t</think>\n<response>Hello!</response>"


def call(*lines: str) -> str:
    return "<think>r</think>\n<tool_call>\n" + "\n".join(lines) + "\n</tool_call>"


RIGHT = call('{"name": "f", "parameters": {"a": 1, "b": 2}}')
WRONG_ARGS = call('{"name": "f", "parameters": {"a": 1, "b": 3}}')
WRONG_TOOL = call('{"name": "g", "parameters": {"a": 1, "b": 2}}')
TRIPLE = call(*['{"name": "f", "parameters": {"a": 1, "b": 2}}'] * 3)
GAVE_UP = "<think>the tool timed out</think>\n<response>The service is down, please try later.</response>"
THOUGHT_ONLY = "<think>it failed, nothing to do</think>"
BFCL_STYLE = "[f(a=1, b=2)]"  # a call by the benchmark's rule, unreadable for ToolRL's reader
HELLO = "<think>x</think>\n<response>Hi</response>"

# (case, turns, calls per turn, target, fault injected, extra-call cost, expected (format, correctness))
CASES = [
    ("no fault: ToolRL on turn 1", [RIGHT], [1], GOLD, False, 0.1, (1.0, 3.0)),
    ("no fault: ToolRL wrong args", [WRONG_ARGS], [1], GOLD, False, 0.1, (1.0, correctness_score(WRONG_ARGS, GOLD))),
    ("no fault: no call", [GAVE_UP], [0], GOLD, False, 0.1, (0.0, CORRECT_MIN)),
    ("turn 1 made no call, so no fault", [GAVE_UP], [0], GOLD, False, 0.1, (0.0, CORRECT_MIN)),
    ("fault, retried right tool and args", [RIGHT, RIGHT], [1, 1], GOLD, True, 0.1, (1.0, 3.0)),
    ("fault, wrong first call then right retry", [WRONG_TOOL, RIGHT], [1, 1], GOLD, True, 0.1, (1.0, 3.0)),
    ("fault, gave up with a response: no call, format 0", [RIGHT, GAVE_UP], [1, 0], GOLD, True, 0.1,
     (0.0, CORRECT_MIN)),
    ("fault, gave up with a thought only", [RIGHT, THOUGHT_ONLY], [1, 0], GOLD, True, 0.1, (0.0, CORRECT_MIN)),
    ("fault, gave up in an empty turn", [RIGHT, ""], [1, 0], GOLD, True, 0.1, (0.0, CORRECT_MIN)),
    ("fault, wrong first call then gave up", [WRONG_TOOL, GAVE_UP], [1, 0], GOLD, True, 0.1, (0.0, CORRECT_MIN)),
    ("fault, unreadable first call then gave up", [BFCL_STYLE, GAVE_UP], [1, 0], GOLD, True, 0.1,
     (0.0, CORRECT_MIN)),
    ("fault, gave up over two turns", [RIGHT, THOUGHT_ONLY, GAVE_UP], [1, 0, 0], GOLD, True, 0.1,
     (0.0, CORRECT_MIN)),
    ("fault, retried the wrong tool", [RIGHT, WRONG_TOOL], [1, 1], GOLD, True, 0.1,
     (1.0, correctness_score(WRONG_TOOL, GOLD))),
    ("fault, retried with wrong args", [RIGHT, WRONG_ARGS], [1, 1], GOLD, True, 0.1,
     (1.0, correctness_score(WRONG_ARGS, GOLD))),
    ("fault, retried in a form ToolRL cannot read", [RIGHT, BFCL_STYLE], [1, 1], GOLD, True, 0.1,
     (0.0, CORRECT_MIN)),
    ("fault, three copies in the retry: 2 extra calls", [RIGHT, TRIPLE], [1, 3], GOLD, True, 0.1,
     (1.0, correctness_score(TRIPLE, GOLD) - 0.2)),
    ("fault, blind loop free without a cost", [RIGHT, TRIPLE], [1, 3], GOLD, True, 0.0,
     (1.0, correctness_score(TRIPLE, GOLD))),
    ("fault, retry then retry again after success", [RIGHT, RIGHT, RIGHT], [1, 1, 1], GOLD, True, 0.1, (1.0, 2.9)),
    ("fault, retry then an answer after success", [RIGHT, RIGHT, HELLO], [1, 1, 0], GOLD, True, 0.1, (1.0, 3.0)),
    ("fault, cost never goes below the floor", [RIGHT, WRONG_TOOL, WRONG_TOOL], [1, 1, 1], GOLD, True, 5.0,
     (1.0, CORRECT_MIN)),
    ("response-only target, no fault", [HELLO], [0], RESPONSE_ONLY, False, 0.1, (1.0, 0.0)),
    ("response-only target, called, fault, then answered", [RIGHT, HELLO], [1, 0], RESPONSE_ONLY, True, 0.1,
     (1.0, 0.0)),
    ("response-only target, called again after the fault", [RIGHT, RIGHT], [1, 1], RESPONSE_ONLY, True, 0.1,
     (0.0, 0.0)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("turns", "calls", "target", "injected", "cost", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_retry_aware_scores(
    turns: list[str],
    calls: list[int],
    target: str,
    injected: bool,
    cost: float,
    expected: tuple[float, float],
) -> None:
    got = retry_aware_scores(turns, calls, target, fault_injected=injected, extra_call_cost=cost)
    assert got == pytest.approx(expected)


def test_giving_up_earns_the_floor_and_retrying_right_the_maximum() -> None:
    gave_up = retry_aware_scores([RIGHT, GAVE_UP], [1, 0], GOLD, fault_injected=True)
    retried = retry_aware_scores([RIGHT, RIGHT], [1, 1], GOLD, fault_injected=True)
    wrong_args = retry_aware_scores([RIGHT, WRONG_ARGS], [1, 1], GOLD, fault_injected=True)
    wrong_tool = retry_aware_scores([RIGHT, WRONG_TOOL], [1, 1], GOLD, fault_injected=True)
    never_called = retry_aware_scores([GAVE_UP], [0], GOLD, fault_injected=False)
    unreadable = retry_aware_scores([RIGHT, BFCL_STYLE], [1, 1], GOLD, fault_injected=True)
    assert sum(never_called) == sum(gave_up) == sum(unreadable) == CORRECT_MIN
    # a retry is never worse than giving up; one ToolRL can read is better, a right one the best
    assert sum(gave_up) < sum(wrong_tool) <= sum(wrong_args) < sum(retried) == 4.0
    assert gave_up == (0.0, CORRECT_MIN)  # the correctness floor, and no call: no format


def test_without_a_fault_it_is_toolrl_exactly() -> None:
    completions = [RIGHT, WRONG_ARGS, WRONG_TOOL, GAVE_UP, TRIPLE, BFCL_STYLE, HELLO]
    targets = [GOLD] * 6 + [RESPONSE_ONLY]
    trajectories = [{"turns": [c], "calls": [1], "fault_injected": False} for c in completions]
    assert drt_format_reward(completions, targets, trajectories) == toolrl_format_reward(completions, targets)
    assert drt_correctness_reward(completions, targets, trajectories) == toolrl_correctness_reward(
        completions, targets
    )
    assert [format_score(c, t) for c, t in zip(completions, targets, strict=True)] == drt_format_reward(
        completions, targets, trajectories
    )


def test_trl_wrappers_read_the_trajectory_not_the_decoded_completion() -> None:
    # TRL decodes the whole rollout (turns and the masked fault between them) into one completion
    decoded = [RIGHT + "\nuser\n<obs> HTTP 429 </obs>\nassistant\n" + GAVE_UP] * 2
    trajectories = [
        {"turns": [RIGHT, GAVE_UP], "calls": [1, 0], "fault_injected": True},
        {"turns": [RIGHT, RIGHT], "calls": [1, 1], "fault_injected": True},
    ]
    assert drt_correctness_reward(decoded, [GOLD, GOLD], trajectories) == [CORRECT_MIN, 3.0]
    assert drt_format_reward(decoded, [GOLD, GOLD], trajectories) == [0.0, 1.0]  # gave up: no call, format 0
    assert retry_after_fault(decoded, trajectories) == [0.0, 1.0]
    assert retry_after_fault(decoded[:1], [{"turns": [RIGHT], "calls": [1], "fault_injected": False}]) == [
        None
    ]


def test_extra_call_cost_binding_keeps_the_logged_name() -> None:
    bound = with_extra_call_cost(drt_correctness_reward, 0.0)
    assert bound.__name__ == "drt_correctness_reward"
    trajectory = [{"turns": [RIGHT, TRIPLE], "calls": [1, 3], "fault_injected": True}]
    assert bound([TRIPLE], [GOLD], trajectory) == [correctness_score(TRIPLE, GOLD)]


def test_an_episode_needs_one_call_count_per_turn() -> None:
    with pytest.raises(ValueError, match="one call count per turn"):
        retry_aware_scores([RIGHT, RIGHT], [1], GOLD, fault_injected=True)
