"""Episode verdicts and the extended Appendix L error modes, one case per mode."""

from __future__ import annotations

import pytest

from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample, Tool
from robustbench_tc.taxonomy import get_type
from robustbench_tc.world.episode import Episode
from robustbench_tc.world.spec import Fabrication, Prerequisite, SilentNoOp
from robustbench_tc.world.verdict import EPISODE_MODES, judge

GOLD = '<tool_call>\n{"name": "AddAgenda", "parameters": {"content": "Gym"}}\n</tool_call>'
WRONG = '<tool_call>\n{"name": "AddAgenda", "parameters": {"content": "Swim"}}\n</tool_call>'
OTHER_TOOL = '<tool_call>\n{"name": "QueryAgenda", "parameters": {}}\n</tool_call>'
SESSION = '<tool_call>\n{"name": "open_session", "parameters": {}}\n</tool_call>'
DONE, FLAG = "<response>Done.</response>", "<response>It did not take effect.</response>"


def _row(*more: GoldCall) -> Sample:
    tools = [Tool(name="AddAgenda", parameters={"type": "object", "properties": {"content": {"type": "string"}}}),
             Tool(name="QueryAgenda"), Tool(name="open_session")]  # fmt: skip
    calls = [GoldCall(name="AddAgenda", arguments={"content": ["Gym"]}), *more]
    return Sample(id="apibank__v", source="apibank", output_format="tool_call_json", messages=[Message(role="user", content="q")],
                  tools=tools, golden_answers=[GoldAnswer(calls=calls)])  # fmt: skip


PRE = Prerequisite(
    tool="AddAgenda", prerequisite="open_session", error="call open_session first", style="session"
)
NOOP = SilentNoOp(tool="AddAgenda")
FAB = Fabrication(tool="AddAgenda", parameter="content", value="Yoga", original="Gym")
REPEAT, FAB_FLAG = (
    "<response>Added yoga to your agenda.</response>",
    "<response>It added Yoga instead of Gym.</response>",
)
CASES = [
    # (config, spec, turns, extra gold, correct, mode)
    ("episode_clean", None, [GOLD, DONE], (), 1.0, "correct"),
    ("episode_clean", None, [""], (), 0.0, "empty"),
    ("episode_clean", None, ["I cannot do that."], (), 0.0, "omitted"),
    ("episode_clean", None, [WRONG, WRONG, WRONG, WRONG], (), 0.0, "step_limit"),
    ("episode_clean", None, [WRONG, DONE], (), 0.0, "parameter_mismatch"),
    ("episode_clean", None, [GOLD, DONE], (GoldCall(name="QueryAgenda"),), 0.0, "other"),
    ("episode_clean", None, [GOLD, OTHER_TOOL, DONE], (GoldCall(name="QueryAgenda"),), 1.0, "correct"),
    ("prerequisite_dependency", PRE, [GOLD, DONE], (), 0.0, "unrecovered"),
    ("prerequisite_dependency", PRE, [GOLD, SESSION, GOLD, DONE], (), 1.0, "correct"),
    ("prerequisite_dependency", PRE, [SESSION, GOLD, DONE], (), 1.0, "correct"),
    ("silent_noop", NOOP, [GOLD, DONE], (), 0.0, "accepted_result"),
    ("silent_noop", NOOP, [GOLD, FLAG], (), 1.0, "correct"),
    ("silent_noop", NOOP, [GOLD, GOLD, GOLD, GOLD], (), 0.0, "step_limit"),  # the loop of xagent#230
    ("fabricated_observation", FAB, [GOLD, REPEAT], (), 0.0, "repeated_value"),
    ("fabricated_observation", FAB, [GOLD, DONE], (), 0.0, "accepted_result"),
    ("fabricated_observation", FAB, [GOLD, FAB_FLAG], (), 1.0, "correct"),  # flagged, though it names the value
    ("fabricated_observation", FAB, [GOLD, GOLD, REPEAT.replace("yoga", "gym")], (), 1.0, "correct"),  # re-queried
]  # fmt: skip


@pytest.mark.parametrize(("config", "spec", "turns", "more", "correct", "mode"), CASES)
def test_verdicts(
    config: str, spec: object, turns: list[str], more: tuple, correct: float, mode: str
) -> None:
    episode = Episode(_row(*more).model_copy(update={"perturbation": config}), step_limit=4, spec=spec)
    for turn in turns:
        episode.feed(turn)
    verdict = judge(episode, get_type(config).axis)  # type: ignore[arg-type]
    assert (verdict.correct, verdict.error_mode) == (correct, mode)
    assert verdict.error_mode in EPISODE_MODES
    if config == "prerequisite_dependency":
        assert verdict.faulted is (turns[0] == GOLD) and verdict.recovered is (
            correct == 1.0 and verdict.faulted
        )
