"""RoTBench: the Action name plus a field-by-field comparison of the Action Input, against ANY of
the sample's acceptable alternatives.

- the turn's first call is scored (a ReAct turn takes one action; RoTBench's own evaluator reads
  the first ``Action`` / ``Action Input``);
- the name matches an alternative's name exactly; for ``finish`` and ``ask_to_user`` the content
  is not compared;
- otherwise fields whose value is ``"None"`` / null / empty are dropped from the prediction (not
  given), and the remaining fields must equal the alternative's field-by-field: the same set of
  keys (a gold field whose acceptable values include ``""`` may be absent) and equal values
  (strings exact after trimming; a number equals its decimal spelling, ``5 == "5"``).

>>> from robustbench_tc.parsing import ParsedCall
>>> from robustbench_tc.records import GoldAnswer, GoldCall
>>> alts = [GoldAnswer(calls=[GoldCall(name="search_city", arguments={"query": ["Madrid"], "key": ["", "None"]})]),
...         GoldAnswer(calls=[GoldCall(name="search_country", arguments={"query": ["Spain"]})])]
>>> score_rotbench([ParsedCall("search_country", {"query": "Spain", "key": "None"})], alts, [])
1.0
>>> score_rotbench([ParsedCall("search_city", {"query": "madrid"})], alts, [])
0.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from robustbench_tc.parsing import ParsedCall
from robustbench_tc.parsing.scan import structured_value
from robustbench_tc.records import GoldAnswer, GoldCall, Tool
from robustbench_tc.scoring.base import SourceScorer, match_arguments
from robustbench_tc.scoring.values import MAX_COMPARE_DEPTH, as_number, numbers_equal
from robustbench_tc.sources import META_TOOLS, NOT_GIVEN

NOT_GIVEN_SPELLINGS = (NOT_GIVEN, "none", "null", "")
"""The spellings of "not given" a prediction may use for such an argument."""


def _not_given(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in NOT_GIVEN_SPELLINGS)


def _given(arguments: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in arguments.items() if not _not_given(v)}


def field_equal(pred: Any, gold: Any, depth: int = 0) -> bool:
    """RoTBench field equality (gold values are strings in the source)."""
    if depth > MAX_COMPARE_DEPTH:
        return False
    if isinstance(gold, str) and isinstance(pred, str):
        return pred.strip() == gold.strip()
    if isinstance(gold, str) and isinstance(pred, (list, dict)):
        decoded = structured_value(gold)
        return isinstance(decoded, (list, dict)) and field_equal(pred, decoded, depth + 1)
    if isinstance(pred, bool) or isinstance(gold, bool):
        return str(pred).strip().lower() == str(gold).strip().lower()
    pn, gn = as_number(pred), as_number(gold)
    if pn is not None and gn is not None:
        return numbers_equal(pn, gn)
    if isinstance(gold, list) and isinstance(pred, list):
        return len(gold) == len(pred) and all(field_equal(p, g, depth + 1) for p, g in zip(pred, gold))
    if isinstance(gold, dict) and isinstance(pred, dict):
        return set(gold) == set(pred) and all(field_equal(pred[k], gold[k], depth + 1) for k in gold)
    return pred == gold


def _value_ok(_param: str, value: Any, acceptable: list[Any]) -> bool:
    return any(field_equal(value, a) for a in acceptable)


def match_call(call: ParsedCall, gold: GoldCall, tools: Sequence[Tool] = ()) -> bool:
    if call.name != gold.name:
        return False
    if gold.name in META_TOOLS:
        return True
    if not call.arguments_ok:
        return False
    gold_args = {}
    for param, values in gold.arguments.items():
        given = [v for v in values if not _not_given(v)]
        gold_args[param] = [*given, ""] if len(given) < len(values) or not given else given
    return match_arguments(_given(call.arguments), gold_args, _value_ok)


def score_rotbench(
    calls: Sequence[ParsedCall], answers: Sequence[GoldAnswer], tools: Sequence[Tool]
) -> float:
    """1.0 if the first call(s) match any alternative, else 0.0."""
    for answer in answers:
        n = len(answer.calls)
        if n and len(calls) >= n and all(match_call(c, g, tools) for c, g in zip(calls[:n], answer.calls)):
            return 1.0
    return 0.0


SCORER = SourceScorer(
    source="rotbench",
    match_call=match_call,
    score=score_rotbench,
    rule="first call: exact Action name of any alternative; Action Input equal field by field "
    '("None" fields dropped; finish/ask_to_user content not compared)',
)
