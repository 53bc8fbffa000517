"""Episodes: when they stop, and what the world answers on the way."""

from __future__ import annotations

import pytest

from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample, Tool
from robustbench_tc.world.episode import Episode

CALL = 'Thought: x\nAction: search_city\nAction Input: {"query": "Madrid"}'
FINISH = 'Thought: done\nAction: finish\nAction Input: {"answer": "Madrid"}'


def _row() -> Sample:
    return Sample(id="rotbench__x", source="rotbench", output_format="react",
                  messages=[Message(role="user", content="Madrid?")],
                  tools=[Tool(name="search_city"), Tool(name="ask_to_user"), Tool(name="finish")],
                  golden_answers=[GoldAnswer(calls=[GoldCall(name="search_city", arguments={"query": ["Madrid"]})])])  # fmt: skip


@pytest.mark.parametrize(
    ("outputs", "limit", "steps", "by_answer", "observed"),
    [
        (["I don't know."], 4, 1, True, [0]),  # no call: the first turn is the final answer
        ([CALL, "Madrid is in Spain."], 4, 2, True, [1, 0]),
        ([CALL, FINISH], 4, 2, True, [1, 0]),  # a meta-tool call is an answer, not a call to execute
        ([CALL, CALL, CALL, CALL], 4, 4, False, [1, 1, 1, 1]),  # cut by the limit; its calls were made
        ([CALL, CALL], 2, 2, False, [1, 1]),
        ([""], 4, 1, True, [0]),
    ],
)
def test_episode_stops(
    outputs: list[str], limit: int, steps: int, by_answer: bool, observed: list[int]
) -> None:
    ep = Episode(_row(), step_limit=limit)
    for text in outputs:
        assert not ep.done
        ep.feed(text)
    assert ep.done and len(ep.steps) == steps and ep.ended_by_answer is by_answer
    assert [len(s.observations) for s in ep.steps] == observed
    assert ep.final_output == outputs[-1]
    with pytest.raises(ValueError, match="is over"):
        ep.feed(CALL)


def test_step_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Episode(_row(), step_limit=0)
