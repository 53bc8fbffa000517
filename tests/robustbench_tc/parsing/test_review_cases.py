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
