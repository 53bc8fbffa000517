"""An independent reviewer's real-style outputs (the styles of Qwen, Llama, GPT, Mistral, Gemma,
DeepSeek, gpt-oss, small instruct models...) with a careful human's verdict on which calls were
made: ``data/review_cases.jsonl``, one case a line (``expected_calls``: the calls made; an
argument set of ``null`` means positional/unreadable arguments, compared by name only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from robustbench_tc.parsing import made_calls

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "review_cases.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip()
]


def _matches(expected: list[dict], got: list[dict]) -> bool:
    if len(expected) != len(got):
        return False
    rest = list(got)
    for e in expected:
        for i, g in enumerate(rest):
            if g["name"] == e["name"] and (e["arguments"] is None or g["arguments"] == e["arguments"]):
                rest.pop(i)
                break
        else:
            return False
    return True


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_made_calls_match_the_human_verdict(case: dict) -> None:
    got = [c.to_json() for c in made_calls(case["raw"], case["source"])]
    assert _matches(case["expected_calls"], got), (case["style"], case["reason"], got)


def test_the_corpus_covers_both_verdicts() -> None:
    assert sum(bool(c["expected_calls"]) for c in CASES) > 50
    assert sum(not c["expected_calls"] for c in CASES) > 30


W = 'get_weather(city="Paris")'
J = '{"name": "get_weather", "arguments": {"city": "Paris"}}'

VARIATIONS = [
    # the introducer rule on wordings the reviewer did not write
    ("bfcl_v3", f"The request was rejected (403 Forbidden):\n```\n{W}\n```\nPlease check your key.", []),
    ("bfcl_v3", f"That call returned an error. Let me correct the unit:\n{W}", ["get_weather"]),
    ("bfcl_v3", f"The previous call failed, retrying:\n[{W}]", ["get_weather"]),
    ("bfcl_v3", f"Earlier attempt:\n- {W}\n\nThe service is down; try later.", []),
    ("apibank", f"Previous attempt:\n{J}\nIt timed out. Please try again later.", []),
    # tags stand under the same rule as every reader (issue 20): a block its introducer reports as
    # failed is a quote of the failed call, not a retry
    ("apibank", f"The tool timed out:\n<tool_call>\n{J}\n</tool_call>", []),
    ("bfcl_v3", f"The call {W} failed. Please retry later.", []),
    ("bfcl_v3", f"Sure. {W}. This fetches the forecast.", ["get_weather"]),
    # native forms and Action values
    ("bfcl_v3", '[TOOL_CALLS]search_city[ARGS]{"query": "Madrid"}', ["search_city"]),
    (
        "bfcl_v3",
        "<tool_call>\n<function=search>\n<parameter=limit>\n5\n</parameter>\n</function>\n</tool_call>",
        ["search"],
    ),
    ("rotbench", "Thought: nothing to do.\nAction: no_action\nAction Input: {}", []),
    ("bfcl_v3", '<|im_start|>assistant\n{"location": "Paris"}<|im_end|>', []),  # a role word, not a tool
    ("bfcl_v3", '<|start|>assistant<|channel|>final<|message|>{"a": 1}<|end|>', []),
    (
        "bfcl_v3",
        '<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city": "Paris"}<|call|>',
        ["get_weather"],
    ),
    ("bfcl_v3", "[sqrt(x=16)]", ["sqrt"]),
    ("bfcl_v3", "The root is sqrt(16) = 4.\nsqrt(16)", []),
]


@pytest.mark.parametrize(("source", "raw", "names"), VARIATIONS)
def test_the_general_rules_on_other_wordings(source: str, raw: str, names: list[str]) -> None:
    assert [c.name for c in made_calls(raw, source)] == names
