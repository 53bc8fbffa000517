"""The paper's general scoring rules on inputs beyond the shown examples (review findings)."""

from __future__ import annotations

import pytest

from robustbench_tc.parsing import ParsedCall
from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample, Tool
from robustbench_tc.scoring import score_sample, scorer_for
from robustbench_tc.scoring.values import loose_equal


def C(name: str, args: dict | None = None) -> ParsedCall:
    return ParsedCall(name, args or {})


# API-Bank keeps list/dict gold values as their Python repr (the source's spelling); a model that
# writes the value as a JSON list/dict must still match ("API-Bank's per-parameter type rules").
MEETING = [
    GoldAnswer(
        calls=[
            GoldCall(
                name="ModifyMeeting",
                arguments={
                    "token": ["o8i7"],
                    "attendees": ["['Jackie Lee', 'Mike Chen']"],
                    "health_data": ["[{'name': 'blood_pressure', 'value': '120/80'}]"],
                },
            )
        ]
    )
]


@pytest.mark.parametrize(
    "attendees, health, expected",
    [
        ("['Jackie Lee', 'Mike Chen']", "[{'name': 'blood_pressure', 'value': '120/80'}]", 1.0),  # as written
        (["Jackie Lee", "Mike Chen"], [{"name": "blood_pressure", "value": "120/80"}], 1.0),  # JSON values
        (["jackie lee", "Mike Chen "], [{"value": "120/80", "name": "Blood_Pressure"}], 1.0),  # loose strings
        (
            '["Jackie Lee","Mike Chen"]',
            '[{"name": "blood_pressure", "value": "120/80"}]',
            1.0,
        ),  # other spelling
        (["Mike Chen", "Jackie Lee"], [{"name": "blood_pressure", "value": "120/80"}], 0.0),  # order kept
        (["Jackie Lee"], [{"name": "blood_pressure", "value": "120/80"}], 0.0),
        ("Jackie Lee, Mike Chen", [{"name": "blood_pressure", "value": "120/80"}], 0.0),
        (["Jackie Lee", "Mike Chen"], [{"name": "blood_pressure", "value": "120/90"}], 0.0),
    ],
)
def test_apibank_structured_values_match_their_repr(attendees, health, expected):
    call = C("ModifyMeeting", {"token": "o8i7", "attendees": attendees, "health_data": health})
    assert scorer_for("apibank").score([call], MEETING, []) == expected


@pytest.mark.parametrize(
    "pred, gold, expected",
    [
        (["a", 1], "['a', 1]", True),
        ("['a', '1']", ["A", 1], True),
        ({"k": [1, 2]}, "{'k': [1, 2]}", True),
        ("[1, 2]", "[1,2]", True),
        ("[1, 2", "[1, 2]", False),
        (["a"], "a", False),
    ],
)
def test_loose_equal_decodes_structured_strings(pred, gold, expected):
    assert loose_equal(pred, gold) is expected


def test_toolalpaca_structured_values_match_their_repr():
    answers = [GoldAnswer(calls=[GoldCall(name="f", arguments={"ids": ["[1, 2]"]})])]
    assert scorer_for("toolalpaca").score([C("f", {"ids": [1, 2]})], answers, []) == 1.0


# ------------------------------------------------------------------ end to end: raw output -> score
def _sample(source: str, fmt: str, name: str, arguments: dict) -> Sample:
    return Sample(
        id=f"{source}__x",
        source=source,
        messages=[Message(role="user", content="q")],
        tools=[Tool(name=name)],
        output_format=fmt,
        golden_answers=[GoldAnswer(calls=[GoldCall(name=name, arguments=arguments)])],
    )


@pytest.mark.parametrize(
    "source, fmt, raw",
    [
        # a multi-line string value written with a literal newline (not valid strict JSON)
        (
            "apibank",
            "tool_call_json",
            '<tool_call>{"name": "SendEmail", "parameters": {"body": "Hi\nBye"}}</tool_call>',
        ),
        ("rotbench", "react", 'Action: SendEmail\nAction Input: {"body": "Hi\nBye"}'),
        ("rotbench", "react", 'Action: SendEmail\nAction Input: `{"body": "Hi\\nBye"}`'),  # inline code span
        (
            "rotbench",
            "react",
            'Action: SendEmail()\nAction Input: {"body": "Hi\\nBye"}',
        ),  # "()" after the name
    ],
)
def test_react_and_xml_inputs_are_read(source, fmt, raw):
    sample = _sample(source, fmt, "SendEmail", {"body": ["Hi\nBye"]})
    assert score_sample(sample, raw).correct == 1.0


# ------------------------------------------------------------------ Appendix L error modes
ALARM = _sample("apibank", "tool_call_json", "ModifyAlarm", {"token": ["abc"]})


@pytest.mark.parametrize(
    "raw, mode",
    [
        ("", "empty"),
        (" \n\t", "empty"),
        ("<|im_end|>", "empty"),  # "empty ... after stripping the chat template"
        ("<|im_start|>assistant\n<|im_end|>", "empty"),
        ("<|start_header_id|>assistant<|end_header_id|>\n\n<|eot_id|>", "empty"),
        ("</s>", "empty"),
        ("<think>the tool timed out</think>", "omitted"),  # the model emitted text, no call
        ("It seems the tool timed out, please try again later.<|im_end|>", "omitted"),
        (
            '<tool_call>{"name": "ModifyAlarm", "parameters": {"token": "xyz"}}</tool_call>',
            "parameter_mismatch",
        ),
        ('<tool_call>{"name": "SetAlarm", "parameters": {"token": "abc"}}</tool_call>', "parameter_mismatch"),
        (
            '<tool_call>{"name": "ModifyAlarm", "parameters": {"token": "abc"}}</tool_call><|im_end|>',
            "correct",
        ),
    ],
)
def test_error_mode_rubric(raw, mode):
    assert score_sample(ALARM, raw).error_mode == mode
