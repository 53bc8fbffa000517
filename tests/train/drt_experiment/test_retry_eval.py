"""The retry-after-fault and right-tool measures of DR+T (``train/drt_experiment/retry_eval.py``), case by case."""

from __future__ import annotations

import math

import pytest

from train.drt_experiment.retry_eval import (
    episode_outcomes,
    forced_first_turn,
    paired_difference,
    rate_with_interval,
)
from train.transition import Episode, ToolWorld


def block(*names: str) -> str:
    lines = "\n".join(f'{{"name": "{n}", "parameters": {{}}}}' for n in names)
    return f"<think>t</think>\n<tool_call>\n{lines}\n</tool_call>"


GOLD = block("Search Managers")
GIVE_UP = "<think>t</think>\n<response>The call Search Managers() timed out; try later.</response>"


def episode(*turns: str, fault: str | None = "429") -> Episode:
    calls = [1 if "<tool_call>" in t else 0 for t in turns]
    observations = ["fault"] if fault is not None and len(turns) > 1 else []
    return Episode(ToolWorld(["Search Managers"], fault), [], turns=list(turns), calls=calls,
                   observations=observations)  # fmt: skip


@pytest.mark.parametrize(
    ("episodes", "retried", "right_tool"),
    [
        ([episode(GOLD, GOLD)], [1], [1]),  # retried the right tool
        ([episode(GOLD, block("Other"))], [1], [0]),  # retried, wrong tool
        ([episode(GOLD, block("Search Managers", "Search Managers"))], [1], [0]),  # not the target's calls
        ([episode(GOLD, GIVE_UP)], [0], [0]),  # gave up, quoting the call
        ([episode(GOLD, fault=None)], [], []),  # no fault: not counted
        ([episode(GOLD, GOLD), episode(GOLD, GIVE_UP), episode(GOLD, fault=None)], [1, 0], [1, 0]),
    ],
)
def test_episode_outcomes(episodes: list[Episode], retried: list[int], right_tool: list[int]) -> None:
    assert episode_outcomes(episodes, GOLD) == (retried, right_tool)


@pytest.mark.parametrize(
    ("per_row", "rate"),
    [
        ({"a": [1, 1], "b": [0, 0]}, 0.5),
        ({"a": [1, 0, 1], "b": [1], "c": []}, 0.75),  # rows without a fault are left out
        ({"a": [0], "b": [0]}, 0.0),
    ],
)
def test_rate_with_interval_pools_rows(per_row: dict[str, list[int]], rate: float) -> None:
    got, lo, hi = rate_with_interval(per_row, n_boot=500, seed=0)
    assert got == pytest.approx(rate)
    assert lo <= got <= hi


def test_rate_interval_is_over_rows_not_episodes() -> None:
    # one row that always retries and one that never does: resampling rows gives [0, 1]
    _, lo, hi = rate_with_interval({"a": [1] * 50, "b": [0] * 50}, n_boot=2000, seed=0)
    assert lo == 0.0 and hi == 1.0


def test_rate_without_faults_is_nan() -> None:
    assert all(math.isnan(x) for x in rate_with_interval({"a": []}, n_boot=10))


def test_paired_difference() -> None:
    first = {"a": [0, 0], "b": [1, 0], "c": [0]}
    second = {"a": [1, 1], "b": [1, 1], "c": []}  # row c has no fault in the second arm: left out
    diff, lo, hi = paired_difference(first, second, n_boot=1000, seed=0)
    assert diff == pytest.approx(1.0 - 0.25)
    assert lo <= diff <= hi
    same, lo, hi = paired_difference(first, first, n_boot=200, seed=0)
    assert (same, lo, hi) == (0.0, 0.0, 0.0)


def test_forced_first_turn_only_replaces_the_first_generation() -> None:
    seen: list[int] = []

    def generate(prompts: list[list[int]], n: int) -> tuple[list[list[int]], None]:
        seen.append(len(prompts))
        return [[7] for _ in prompts], None

    policy = forced_first_turn(generate, [1, 2, 3])
    assert policy([[0], [0]], 2) == ([[1, 2, 3], [1, 2, 3]], None)
    assert policy([[0]], 1) == ([[7]], None)
    assert seen == [1]
