"""API-Bank: exact tool name, parameter values under API-Bank's type rules.

- the name matches exactly; the output has as many calls as the gold (one, in practice), matched
  in any order;
- every gold parameter is present (unless ``""``-optional) and no other parameter is given;
- values compare loosely by type: strings case-insensitively after trimming, numbers as numbers
  whatever their spelling (``"5" == 5 == 5.0``), booleans as ``true``/``false``.

>>> from robustbench_tc.parsing import ParsedCall
>>> from robustbench_tc.records import GoldAnswer, GoldCall
>>> gold = [GoldAnswer(calls=[GoldCall(name="QueryBalance", arguments={"token": ["p9o8i7u6y5t4r3e2w1q"]})])]
>>> score_apibank([ParsedCall("QueryBalance", {"token": "P9O8I7U6Y5T4R3E2W1Q"})], gold, [])
1.0
>>> score_apibank([ParsedCall("queryBalance", {"token": "p9o8i7u6y5t4r3e2w1q"})], gold, [])
0.0
"""

from __future__ import annotations

from collections.abc import Sequence

from robustbench_tc.parsing import ParsedCall
from robustbench_tc.records import GoldAnswer, GoldCall, Tool
from robustbench_tc.scoring.base import SourceScorer, any_answer_fits, match_arguments
from robustbench_tc.scoring.values import loosely_acceptable


def match_call(call: ParsedCall, gold: GoldCall, tools: Sequence[Tool] = ()) -> bool:
    return (
        call.name == gold.name
        and call.arguments_ok
        and match_arguments(call.arguments, gold.arguments, loosely_acceptable)
    )


def score_apibank(calls: Sequence[ParsedCall], answers: Sequence[GoldAnswer], tools: Sequence[Tool]) -> float:
    """1.0 if the calls match some gold answer call-for-call, else 0.0."""
    return any_answer_fits(calls, answers, tools, match_call)


SCORER = SourceScorer(
    source="apibank",
    match_call=match_call,
    score=score_apibank,
    rule="exact name; same parameter set; values case-insensitive strings / normalised numerics",
)
