"""The blind set (issue 20): 199 outputs in today's formats and phrasings (native formats of
current model families, quoted-call lists, plans, templates, conditional calls, format
explanations, error payloads, give-ups quoting the call, truncations), each labelled with the calls
a careful reader says were made BEFORE the rule was run on it.  A third is held out by a seeded
hash of the case id.  The figures are reported in docs/scoring.md; this test keeps them from
regressing (it is a regression test now, not evidence)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from robustbench_tc.parsing import made_calls

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "blind_cases.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip()
]
SALT = "robustbench-tc/issue-20/blind-held-out/v1:"
HELD_OUT = frozenset(
    c["id"] for c in sorted(CASES, key=lambda c: hashlib.sha256((SALT + c["id"]).encode()).hexdigest())[:66]
)
KNOWN_MISSES = {
    "b174": "the failure is reported on the line above without a colon ('Error calling get_weather: timeout')",
    "b184": "two calls in two code spans on one line",
    "b185": "two bracket lists on one line separated by ';'",
}
"""Cases the rule still reads differently from the label (development part), kept visible."""


def test_the_set_and_its_split() -> None:
    assert len(CASES) == 199 and len({c["id"] for c in CASES}) == 199
    assert len(HELD_OUT) == 66
    assert sum(bool(c["expected"]) for c in CASES) > 90 and sum(not c["expected"] for c in CASES) > 70


@pytest.mark.parametrize("case", [c for c in CASES if c["id"] not in KNOWN_MISSES], ids=lambda c: c["id"])
def test_blind_case(case: dict) -> None:
    got = [c.name for c in made_calls(case["raw"], case["source"])]
    assert got == case["expected"], (case["kind"], case["note"])


@pytest.mark.parametrize("case_id", sorted(KNOWN_MISSES))
def test_the_known_misses_are_still_misses(case_id: str) -> None:
    """A fix of one of these moves it back to the cases above (and into docs/scoring.md)."""
    case = next(c for c in CASES if c["id"] == case_id)
    assert [c.name for c in made_calls(case["raw"], case["source"])] != case["expected"]
