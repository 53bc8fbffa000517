from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample, Tool
from robustbench_tc.taxonomy import TRANSITION_ERRORS


def _sample(**overrides):
    fields = dict(
        id="apibank__level1_213",
        source="apibank",
        messages=[Message(role="user", content="Can you help me query my balance?")],
        tools=[
            Tool(
                name="QueryBalance",
                description="Query balance",
                parameters={
                    "type": "object",
                    "properties": {"token": {"type": "string"}},
                    "required": ["token"],
                },
            )
        ],
        golden_answers=[GoldAnswer(calls=[GoldCall(name="QueryBalance", arguments={"token": ["p9o8"]})])],
        output_format="tool_call_json",
    )
    fields.update(overrides)
    return Sample(**fields)


def test_row_round_trip_is_lossless_and_json():
    sample = _sample(perturbation="CD", perturbation_metadata={"suffix": "x"}, generator="rules")
    row = sample.to_row()
    assert isinstance(row["tools"], str) and isinstance(row["golden_answers"], str)
    assert row["component"] == "reward"
    again = Sample.from_row(json.loads(json.dumps(row)))
    assert again == sample


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"perturbation": "CD-AB"}, "did you mean 'CD_AB'"),
        ({"golden_answers": []}, "no golden answer"),
        ({"perturbation": "transient_timeout"}, "transition_error must be"),
        ({"transition_error": "boom"}, "transition_error must be"),
        ({"source": "toolbench"}, "source"),
        ({"output_format": "xml"}, "output_format"),
    ],
)
def test_invalid_samples_are_rejected_with_a_reason(overrides, message):
    with pytest.raises(ValidationError, match=message):
        _sample(**overrides)


def test_transition_sample_carries_its_fault_string():
    s = _sample(
        perturbation="transient_rate_limit", transition_error=TRANSITION_ERRORS["transient_rate_limit"]
    )
    assert s.key == ("apibank__level1_213", "transient_rate_limit")
    assert s.component == "transition"


def test_gold_first_values_skip_optional_only_params():
    call = GoldCall(name="f", arguments={"a": ["x", "y"], "b": ["", "z"]})
    assert call.first_values() == {"a": "x"}
