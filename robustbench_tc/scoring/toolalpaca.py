"""ToolAlpaca: name match plus subset match of parameter values (the most lenient scorer).

- the calls (at least one) must match distinct gold steps in the gold's order: a single ReAct
  action that performs one of the steps is correct, and so is an output that performs several
  of them in order; a call matching no step makes the sample wrong;
- a call matches a step when the names are equal and every *required* gold parameter is present
  with an acceptable value (compared loosely: case-insensitive strings, ``"5" == 5``);
  parameters the model adds are ignored, and gold parameters marked optional (``""``; the builder
  marks the API keys that are not in the instruction) are not compared at all.

>>> from robustbench_tc.parsing import ParsedCall
>>> from robustbench_tc.records import GoldAnswer, GoldCall
>>> step = lambda q: GoldCall(name="current_get", arguments={"access_key": ["k1", ""], "query": [q]})
>>> gold = [GoldAnswer(calls=[step("New York"), step("Tokyo")])]
>>> score_toolalpaca([ParsedCall("current_get", {"query": "tokyo", "units": "m"})], gold, [])
1.0
>>> score_toolalpaca([ParsedCall("current_get", {"query": "Paris"})], gold, [])
0.0
"""

from __future__ import annotations

from collections.abc import Sequence

from robustbench_tc.parsing import ParsedCall
from robustbench_tc.records import GoldAnswer, GoldCall, Tool
from robustbench_tc.scoring.base import (
    SourceScorer,
    any_answer_fits,
    in_order_subsequence,
    match_arguments,
)
from robustbench_tc.scoring.values import loosely_acceptable


def match_call(call: ParsedCall, gold: GoldCall, tools: Sequence[Tool] = ()) -> bool:
    return (
        call.name == gold.name
        and call.arguments_ok
        and match_arguments(
            call.arguments, gold.arguments, loosely_acceptable, extra_ok=True, compare_optional=False
        )
    )


def score_toolalpaca(
    calls: Sequence[ParsedCall], answers: Sequence[GoldAnswer], tools: Sequence[Tool]
) -> float:
    """1.0 if the calls are an ordered subset of some gold answer's steps, else 0.0."""
    return any_answer_fits(calls, answers, tools, match_call, in_order_subsequence)


SCORER = SourceScorer(
    source="toolalpaca",
    match_call=match_call,
    score=score_toolalpaca,
    rule="calls are an in-order subset of the gold steps; name equal; required gold values "
    "present (loose compare), extra params ignored, optional (auth) params not compared",
)
