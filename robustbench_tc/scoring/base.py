"""The per-source scorer registry and the helpers the scorers share.

A ``SourceScorer`` has two functions over parsed calls, gold answers and the sample's tools:
``score`` (the sample's correctness in [0, 1]) and ``match_call`` (does one predicted call match
one gold call); the latter also drives the "other" error mode.

>>> from robustbench_tc.parsing import ParsedCall
>>> from robustbench_tc.records import GoldCall
>>> same = lambda p, g: p.name == g.name
>>> one_to_one([ParsedCall("b"), ParsedCall("a")], [GoldCall(name="a"), GoldCall(name="b")], same)
True
>>> steps = [GoldCall(name="a"), GoldCall(name="b"), GoldCall(name="c")]
>>> in_order_subsequence([ParsedCall("a"), ParsedCall("c")], steps, same)
True
>>> lcs_length(["a", "x", "b"], ["a", "b", "c"])
2
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from robustbench_tc.parsing import ParsedCall
from robustbench_tc.records import GoldAnswer, GoldCall, Tool
from robustbench_tc.scoring.values import is_optional

CallMatcher = Callable[[ParsedCall, GoldCall], bool]


@dataclass(frozen=True)
class SourceScorer:
    """How one source benchmark decides correctness."""

    source: str
    match_call: Callable[[ParsedCall, GoldCall, Sequence[Tool]], bool]
    score: Callable[[Sequence[ParsedCall], Sequence[GoldAnswer], Sequence[Tool]], float]
    rule: str
    """One line for docs and reports."""


def match_arguments(
    pred: dict[str, Any],
    gold: dict[str, list[Any]],
    value_ok: Callable[[str, Any, list[Any]], bool],
    *,
    extra_ok: bool = False,
    compare_optional: bool = True,
) -> bool:
    """Every required gold parameter present; every present gold parameter has an acceptable value
    (``value_ok(param, value, acceptable)``); unknown parameters fail unless ``extra_ok``.  With
    ``compare_optional=False`` values of optional (``""``-marked) parameters are not checked."""
    for param, acceptable in gold.items():
        if param not in pred:
            if not is_optional(acceptable):
                return False
            continue
        if not compare_optional and is_optional(acceptable):
            continue
        if not value_ok(param, pred[param], acceptable):
            return False
    return extra_ok or all(p in gold for p in pred)


def one_to_one(calls: Sequence[ParsedCall], gold: Sequence[GoldCall], match: CallMatcher) -> bool:
    """Same number of calls and a perfect matching between them, in any order (bipartite
    matching by augmenting paths; outputs have at most ``MAX_CALLS`` calls)."""
    if len(calls) != len(gold):
        return False
    if len(calls) == 1:  # the usual case: one call against one gold call
        return match(calls[0], gold[0])
    edges = [[j for j, g in enumerate(gold) if match(c, g)] for c in calls]
    owner: dict[int, int] = {}

    def assign(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or assign(owner[j], seen):
                owner[j] = i
                return True
        return False

    return all(assign(i, set()) for i in range(len(calls)))


def in_order_subsequence(calls: Sequence[ParsedCall], gold: Sequence[GoldCall], match: CallMatcher) -> bool:
    """The calls (at least one) match distinct gold steps in the gold's order (greedy earliest
    match, which finds an embedding whenever one exists)."""
    if not calls:
        return False
    j = 0
    for call in calls:
        while j < len(gold) and not match(call, gold[j]):
            j += 1
        if j == len(gold):
            return False
        j += 1
    return True


def any_answer_fits(
    calls: Sequence[ParsedCall],
    answers: Sequence[GoldAnswer],
    tools: Sequence[Tool],
    match_call: Callable[[ParsedCall, GoldCall, Sequence[Tool]], bool],
    fits: Callable[[Sequence[ParsedCall], Sequence[GoldCall], CallMatcher], bool] = one_to_one,
) -> float:
    """1.0 if the calls fit some gold answer (by ``fits``, default call-for-call), else 0.0."""
    for answer in answers:
        if fits(calls, answer.calls, lambda c, g: match_call(c, g, tools)):
            return 1.0
    return 0.0


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (dynamic programming, O(len(a)·len(b)))."""
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def declared_type(tools: Sequence[Tool], tool_name: str, param: str) -> str | None:
    """The JSON-Schema type the tool(s) named ``tool_name`` declare for ``param``; ``None`` if
    untyped, unknown, or ambiguous (same-name distractors declaring different types)."""
    found = False
    declared: str | None = None
    for tool in tools:
        if tool.name == tool_name:
            node = tool.properties.get(param)
            if isinstance(node, dict):
                kind = node.get("type")
                kind = kind if isinstance(kind, str) else None
                if found and kind != declared:
                    return None  # two different declarations
                found, declared = True, kind
    return declared
