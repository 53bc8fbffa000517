"""ToolEyes: exact Action name; partial credit on multi-step gold sequences.

The score is the fraction of gold steps matched in order: the length of the longest common
subsequence of the predicted call names and an alternative's gold names, divided by the number
of gold steps, maximised over alternatives.  A single-step gold is therefore scored 0 or 1
(binary accuracy); arguments are not compared (the paper's rule).

>>> from robustbench_tc.parsing import ParsedCall
>>> from robustbench_tc.records import GoldAnswer, GoldCall
>>> gold = [GoldAnswer(calls=[GoldCall(name="shorten_url"), GoldCall(name="paper_rank")])]
>>> score_tooleyes([ParsedCall("shorten_url", {"url": "x"})], gold, [])
0.5
>>> score_tooleyes([ParsedCall("shorten_url"), ParsedCall("paper_rank")], gold, [])
1.0
"""

from __future__ import annotations

from collections.abc import Sequence

from robustbench_tc.parsing import ParsedCall
from robustbench_tc.records import GoldAnswer, GoldCall, Tool
from robustbench_tc.scoring.base import SourceScorer, lcs_length


def match_call(call: ParsedCall, gold: GoldCall, tools: Sequence[Tool] = ()) -> bool:
    return call.name == gold.name


def score_tooleyes(
    calls: Sequence[ParsedCall], answers: Sequence[GoldAnswer], tools: Sequence[Tool]
) -> float:
    """Best fraction of gold steps matched in order, over the alternatives."""
    names = [c.name for c in calls]
    best = 0.0
    for answer in answers:
        if answer.calls:
            gold = [g.name for g in answer.calls]
            best = max(best, lcs_length(names, gold) / len(gold))
    return best


SCORER = SourceScorer(
    source="tooleyes",
    match_call=match_call,
    score=score_tooleyes,
    rule="exact Action names; score = in-order fraction of gold steps matched (LCS / steps)",
)
