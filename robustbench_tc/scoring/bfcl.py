"""BFCL V3 (ST): AST match, implemented from BFCL's documented rules.

- the function name matches exactly, and the output has as many calls as the gold (matched in
  any order);
- every required parameter is present: the possible answer marks an optional one with ``""``
  (an empty string or an empty list also leaves it out), and a parameter the tool's schema lists
  as required must be given even so (BFCL's checker enforces both);
- no parameter outside the possible answer;
- each value has the declared type (an int is accepted where a float is declared, also inside a
  list; a bool is never a number; a string where the possible answer holds one: BFCL's
  "variable" reading) and is among the acceptable values;
- strings compare after BFCL's standardisation (case, spaces and ``, . / - _ * ^`` ignored);
- lists compare element-wise (same length and order; a different order must be listed as its
  own acceptable value, as BFCL's possible answers do); a dict value in the possible answer maps
  each key to its own list of acceptable values (``""`` again marks an optional key).

>>> from robustbench_tc.parsing import ParsedCall
>>> from robustbench_tc.records import GoldAnswer, GoldCall
>>> gold = [GoldAnswer(calls=[GoldCall(name="mutation_type.find",
...         arguments={"snp_id": ["rs6034464"], "species": ["Homo sapiens", ""]})])]
>>> score_bfcl([ParsedCall("mutation_type.find", {"snp_id": "RS6034464"})], gold, [])
1.0
>>> score_bfcl([ParsedCall("mutation_type.find", {"snp_id": "rs6034464", "x": 1})], gold, [])
0.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from robustbench_tc.parsing import ParsedCall
from robustbench_tc.records import OPTIONAL, GoldAnswer, GoldCall, Tool
from robustbench_tc.scoring.base import (
    SourceScorer,
    any_answer_fits,
    declared_type,
    match_arguments,
)
from robustbench_tc.scoring.values import MAX_COMPARE_DEPTH, bfcl_standardize, is_optional


def type_ok(value: Any, kind: str | None) -> bool:
    """BFCL's type check against the declared JSON-Schema type.

    >>> type_ok(3, "number"), type_ok(3.0, "integer"), type_ok(True, "integer"), type_ok("x", None)
    (True, False, False, True)
    """
    if kind is None:
        return True
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return True


def _nested_answer(gold: dict[str, Any]) -> bool:
    return all(isinstance(v, list) for v in gold.values())


def bfcl_equal(pred: Any, gold: Any, depth: int = 0) -> bool:
    """One predicted value against one acceptable value (recursively)."""
    if depth > MAX_COMPARE_DEPTH:
        return False
    if isinstance(gold, str):
        return isinstance(pred, str) and (pred == gold or bfcl_standardize(pred) == bfcl_standardize(gold))
    if isinstance(gold, bool) or isinstance(pred, bool):
        return isinstance(gold, bool) and isinstance(pred, bool) and gold == pred
    if isinstance(gold, (int, float)):
        return isinstance(pred, (int, float)) and pred == gold
    if isinstance(gold, list):
        return (
            isinstance(pred, list)
            and len(pred) == len(gold)
            and all(bfcl_equal(p, g, depth + 1) for p, g in zip(pred, gold))
        )
    if isinstance(gold, dict):
        if not isinstance(pred, dict):
            return False
        if not _nested_answer(gold):
            return set(pred) == set(gold) and all(bfcl_equal(pred[k], gold[k], depth + 1) for k in gold)
        return match_arguments(
            pred, gold, lambda _p, v, acceptable: any(bfcl_equal(v, a, depth + 1) for a in acceptable)
        )
    return pred is None and gold is None


def _variable(value: Any, acceptable: list[Any]) -> bool:
    """BFCL's "variable" reading: where the possible answer holds a string for a parameter declared
    otherwise (``x=["data['sales']"]`` for an array), a string value is compared as a string."""
    return isinstance(value, str) and any(isinstance(a, str) and a != OPTIONAL for a in acceptable)


def match_call(call: ParsedCall, gold: GoldCall, tools: Sequence[Tool]) -> bool:
    """``match_arguments`` with BFCL's value check (an empty value fits an optional parameter
    unless the tool's schema requires it; otherwise the declared type, or a string where the
    possible answer holds one, and one acceptable value), written out as one loop: it runs once
    per predicted and gold call pair, and the tools' declared types are read once per call."""
    if call.name != gold.name or not call.arguments_ok:
        return False
    pred = call.arguments
    expected = gold.arguments
    named: list[Tool] | None = None
    props: dict[str, Any] | None = None
    for param, acceptable in expected.items():
        value = pred.get(param, OPTIONAL) if param in pred else None
        if param not in pred or ((value == OPTIONAL or value == []) and is_optional(acceptable)):
            if not is_optional(acceptable):
                return False
            if named is None:
                named = [tool for tool in tools if tool.name == gold.name]
            if param in pred:
                continue  # "" or [] for an optional parameter leaves it out (BFCL's checker agrees)
            if named and all(param in _required(tool) for tool in named):
                return False  # the tool's schema requires it, whatever the possible answer says
            continue
        if named is None:
            named = [tool for tool in tools if tool.name == gold.name]
        if props is None:
            props = named[0].properties if len(named) == 1 else {}
        if len(named) == 1:  # one tool of that name (no same-name distractor): its declaration
            node = props.get(param)
            kind = node.get("type") if isinstance(node, dict) else None
            kind = kind if isinstance(kind, str) else None
        else:
            kind = declared_type(named, gold.name, param)
        if not type_ok(value, kind) and not _variable(value, acceptable):
            return False
        for option in acceptable:
            if option != OPTIONAL and bfcl_equal(value, option):
                break
        else:
            return False
    return pred.keys() <= expected.keys()  # no parameter outside the possible answer


def _required(tool: Tool) -> frozenset[str]:
    required = tool.parameters.get("required")
    return frozenset(r for r in required if isinstance(r, str)) if isinstance(required, list) else frozenset()


def score_bfcl(calls: Sequence[ParsedCall], answers: Sequence[GoldAnswer], tools: Sequence[Tool]) -> float:
    """1.0 if the calls match some gold answer call-for-call (any order), else 0.0
    (``any_answer_fits`` with ``one_to_one``; a single call is matched directly)."""
    for answer in answers:
        gold = answer.calls
        if len(gold) != len(calls):
            continue
        if len(gold) == 1:
            if match_call(calls[0], gold[0], tools):
                return 1.0
        elif any_answer_fits(calls, [answer], tools, match_call):
            return 1.0
    return 0.0


SCORER = SourceScorer(
    source="bfcl_v3",
    match_call=match_call,
    score=score_bfcl,
    rule="AST match: name, required params, no extra params, typed values in the acceptable "
    "lists (BFCL string standardisation), same number of calls",
)
