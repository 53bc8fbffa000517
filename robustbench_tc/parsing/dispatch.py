"""``parse_tool_calls``: try the variants in the source's order until one returns calls.

Appendix I: "For each benchmark, the parser tries variants in the order shown until one returns a
non-empty list".  Here each source tries its own canonical format first, then the others in the
paper's order (BFCL AST, XML tool_call, ReAct, ToolAlpaca ad-hoc, JSON blob, bare Python).

Before parsing, reasoning is removed: text up to the last ``</think>``; an unclosed ``<think>``
(reasoning cut off by the token limit) drops everything from it.

>>> parse_tool_calls('[country_info.capital(country="Brazil")]', "bfcl_v3")[0].name
'country_info.capital'
>>> parse_tool_calls('<think>[f(a=1)]?</think>\\nI cannot help.', "bfcl_v3")
[]
>>> parse_tool_calls("Action: finish\\nAction Input: {}", "rotbench")
[ParsedCall(name='finish', arguments={}, arguments_ok=True)]
"""

from __future__ import annotations

from collections.abc import Callable

from robustbench_tc.parsing import variants
from robustbench_tc.parsing.calls import ParsedCall
from robustbench_tc.parsing.standing import prepare
from robustbench_tc.parsing.variants import VARIANTS, Variant
from robustbench_tc.sources import PAPER_ORDER, get_source


def strip_reasoning(raw: str) -> str:
    """The part of an output after its reasoning block.

    >>> strip_reasoning("<think>maybe f()</think> [g()]"), strip_reasoning("<think>cut off")
    (' [g()]', '')
    >>> strip_reasoning('[f(a="<think>")]')
    '[f(a="<think>")]'

    """
    end = raw.rfind("</think>")
    if end >= 0:
        return raw[end + len("</think>") :]
    start = raw.find("<think>")
    while (
        start >= 0
        and raw[raw.rfind("\n", max(0, start - 200), start) + 1 or max(0, start - 200) : start].strip()
    ):
        start = raw.find("<think>", start + 1)  # `f(a="<think>")`: inside a line, not a reasoning block
    return raw[:start] if start >= 0 else raw


def _lower(text: str, lowered: list[str]) -> str:
    if not lowered:
        lowered.append(text.lower())
    return lowered[0]


def _may_stand(text: str, _lowered: list[str]) -> bool:
    return "(" in text or "[" in text  # every standalone call or list opens one


_GATES: dict[Variant, Callable[[str, list[str]], bool]] = {
    variants.bfcl_ast: _may_stand,
    variants.python_call: _may_stand,
    variants.tool_call_xml: lambda text, _lowered: "<" in text,  # every tag form opens with "<"
    variants.react: lambda text, lowered: "action" in _lower(text, lowered),  # as `react` itself checks
    variants.toolalpaca: lambda text, lowered: (
        "{" in text or ("?" in text and "=" in text) or "function" in _lower(text, lowered)
    ),  # `label: {`, `name\n{json}`, `fn?a=1`, `Function: X` (the checks `toolalpaca` makes)
    variants.json_blob: lambda text, _lowered: '"' in text or "'" in text,  # a quoted name key
}
"""Cheap necessary conditions for a built-in variant to find a call: a variant whose gate says no
would return ``[]``, so it is not run.  A variant registered under another function has no gate."""


_Step = tuple[str, Variant | None, Callable[[str, list[str]], bool] | None]
_PLANS: dict[tuple[str, ...], tuple[int, tuple[_Step, ...]]] = {}


def _plan(order: tuple[str, ...]) -> tuple[_Step, ...]:
    """``(name, variant, gate)`` for each variant of ``order`` (``None`` for a name not registered),
    kept until the registry changes."""
    kept = _PLANS.get(order)
    if kept is not None and kept[0] == VARIANTS.version:
        return kept[1]
    steps = []
    for name in order:
        variant = VARIANTS.get(name) if name in VARIANTS else None
        steps.append((name, variant, _GATES.get(variant) if variant is not None else None))
    plan = tuple(steps)
    _PLANS[order] = (VARIANTS.version, plan)
    return plan


def _order(source: str | None) -> tuple[str, ...]:
    """The variant order of a source (its row's ``parser_order``); ``None``: the paper's order."""
    return PAPER_ORDER if source is None else get_source(source).parser_order


def made_calls(raw: str, source: str | None = None) -> list[ParsedCall]:
    """The tool calls the model MADE in its raw output (``[]`` if none); never raises on any ``raw``.

    This is the project's one rule for "the model made this call", shared by the scorer, the
    error-mode classifier, the harness's pass-1 injection decision, the transition-protocol check
    and the training reward (docs/scoring.md).  A call is made when it stands as an answer: a
    structured block, or a bare Python call standing alone as a statement; a call inside a
    sentence, an argument of another call, the right of an assignment, example code or math is
    a mention (``standing``).

    ``source`` picks the variant order; ``None`` uses the paper's order.  An unknown source name
    is a programming error and raises ``KeyError`` with close-name suggestions.

    >>> [c.name for c in made_calls('Here is the call:\\n```python\\nget_weather(city="Paris")\\n```')]
    ['get_weather']
    >>> made_calls('The call get_weather(city="Paris") timed out. Please try again later.')
    []
    """
    order = _order(source)
    if not isinstance(raw, str) or not raw or raw.isspace():  # `isspace`: what `strip` removes
        return []

    text = prepare(strip_reasoning(raw))
    if not text or text.isspace():
        return []

    lowered: list[str] = []  # text.lower(), computed once if a gate needs it
    for name, variant, gate in _plan(order):
        if variant is None:
            variant = VARIANTS.get(name)  # not registered: raises, naming close names
        if gate is not None and not gate(text, lowered):
            continue
        try:
            calls = variant(text)
        except (RecursionError, MemoryError, ValueError, TypeError, IndexError, KeyError, AttributeError):
            calls = []
        if calls:
            return calls
    return []


parse_tool_calls = made_calls
"""The parser's historical name (Appendix I's ``parse_tool_calls``): the same function."""


def made_call(raw: str, source: str | None = None) -> bool:
    """Whether the model made at least one tool call (``made_calls`` is not empty).

    >>> made_call("[f(a=1)]", "bfcl_v3"), made_call("Two points A(x1, y1) and B(x2, y2).", "bfcl_v3")
    (True, False)
    """
    return bool(made_calls(raw, source))
