"""``made_calls``: read the answer with the variants in the source's order until one finds calls
that stand as the answer.

Appendix I: "For each benchmark, the parser tries variants in the order shown until one returns a
non-empty list".  Here each source tries its own canonical format first, then the others in the
paper's order (BFCL AST, XML tool_call, ReAct, ToolAlpaca ad-hoc, JSON blob, bare Python).  Every
variant's spans go through the same standing test (``standing``), and a span one variant judged a
mention is not read again by a later one (the JSON inside a mentioned ``<tool_call>`` block stays
a mention).  ToolAlpaca's ad-hoc forms (``label: {json}``, ``Function: X``, ``fn?a=1``) are read
only for the source whose order names them first.

Before reading, the answer is prepared (``answer.prepare``): reasoning removed, the answer ended
where the model starts the next dialogue turn, control tokens as line breaks, markdown escapes
undone, example code blanked.

>>> parse_tool_calls('[country_info.capital(country="Brazil")]', "bfcl_v3")[0].name
'country_info.capital'
>>> parse_tool_calls('<think>[f(a=1)]?</think>\\nI cannot help.', "bfcl_v3")
[]
>>> parse_tool_calls("Action: finish\\nAction Input: {}", "rotbench")
[ParsedCall(name='finish', arguments={}, arguments_ok=True)]
>>> made_calls('Current conditions: {"temp": 20}', "bfcl_v3")   # ToolAlpaca's label form: ToolAlpaca only
[]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from robustbench_tc.parsing import variants
from robustbench_tc.parsing.answer import (
    end_of_answer,
    prepare_answer,
    strip_reasoning,
    undo_markdown_escapes,
)
from robustbench_tc.parsing.calls import Found, ParsedCall
from robustbench_tc.parsing.standing import defined_before_use, standing_calls
from robustbench_tc.parsing.variants import READERS, VARIANTS, Reader, Variant
from robustbench_tc.sources import PAPER_ORDER, SOURCES, get_source

__all__ = ["PAPER_ORDER", "made_call", "made_calls", "parse_tool_calls", "strip_reasoning"]

SOURCE_SPECIFIC: frozenset[str] = frozenset({"toolalpaca"})
"""Variants read only for a source whose own variants (``SourceInfo.first_variants``) name them:
ToolAlpaca's ad-hoc forms turn prose such as ``Current conditions: {...}`` into calls elsewhere."""


def _lower(text: str, lowered: list[str]) -> str:
    if not lowered:
        lowered.append(text.lower())
    return lowered[0]


def _may_stand(text: str, _lowered: list[str]) -> bool:
    return "(" in text or "[" in text or "'" in text or '"' in text  # a call, a list, a quoted call


_GATES: dict[str, Callable[[str, list[str]], bool]] = {
    "bfcl_ast": _may_stand,
    "python_call": _may_stand,
    "tool_call_xml": lambda text, _lowered: "<" in text,  # every tag form opens with "<"
    "react": lambda text, lowered: "action" in _lower(text, lowered) or "✿" in text,  # as `react` checks
    "toolalpaca": lambda text, lowered: (
        "{" in text or ("?" in text and "=" in text) or "function" in _lower(text, lowered)
    ),  # `label: {`, `fn?a=1`, `Function: X` (the checks `toolalpaca` makes)
    "json_blob": lambda text, _lowered: "{" in text,  # a JSON or dict object
}
"""Cheap necessary conditions for a built-in reader to find anything: a reader whose gate says no
would return ``[]``, so it is not run.  A variant registered by a plugin has no gate."""


_Step = tuple[str, Reader | None, Variant | None, Callable[[str, list[str]], bool] | None]
_PLANS: dict[str | None, tuple[tuple[int, int], tuple[tuple[_Step, ...], bool]]] = {}


def _plan(source: str | None) -> tuple[tuple[_Step, ...], bool]:
    """``(name, reader, variant, gate)`` per variant of the source's order (a plugin variant has no
    reader; ``None`` for a name not registered), without the source-specific variants the source
    does not own, and whether every step is a built-in reader (whose gates a text without any
    ``_MAY_HOLD_CALL`` match fails); kept until the source table or the variant registry changes."""
    versions = (SOURCES.version, VARIANTS.version)
    kept = _PLANS.get(source)
    if kept is not None and kept[0] == versions:
        return kept[1]
    order, own = _order(source)
    steps = []
    readers_seen = set()
    for name in order:
        if name in SOURCE_SPECIFIC and name not in own:
            continue
        registered = VARIANTS.get(name) if name in VARIANTS else None
        reader = READERS.get(name) if registered is not None and registered.__name__ == name else None
        if reader is not None and reader in readers_seen:
            continue  # `python_call` reads what `bfcl_ast` read: its spans are claimed already
        readers_seen.add(reader)
        steps.append((name, reader, registered, _GATES.get(name) if reader is not None else None))
    plan = (tuple(steps), all(step[1] is not None for step in steps))
    _PLANS[source] = (versions, plan)
    return plan


def _order(source: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The variant order of a source (its row's ``parser_order``) and the variants it owns;
    ``None``: the paper's order, owning none.  An unknown source raises ``KeyError``."""
    if source is None:
        return PAPER_ORDER, ()
    info = get_source(source)
    return info.parser_order, info.first_variants


def _overlaps(span: Found, claimed: list[Found]) -> bool:
    return any(span.start < c.end and c.start < span.end for c in claimed)


_MAY_HOLD_CALL = re.compile(r"[(\[{<'\"✿?]|[Aa][Cc][Tt][Ii][Oo][Nn]|[Ff][Uu][Nn][Cc][Tt][Ii][Oo][Nn]")
"""What some built-in reader needs in the text (a gate's characters or words)."""

_FAILURES = (RecursionError, MemoryError, ValueError, TypeError, IndexError, KeyError, AttributeError)


def made_calls(raw: str, source: str | None = None, tools: Collection[str] | None = None) -> list[ParsedCall]:
    """The tool calls the model MADE in its raw output (``[]`` if none); never raises on any ``raw``.

    This is the project's one rule for "the model made this call", shared by the scorer, the
    error-mode classifier, the harness's pass-1 injection decision, the transition-protocol check
    and the training reward (docs/scoring.md).  A call is made when it stands as the answer,
    whatever layout it is written in: its position and the words that introduce and follow it
    decide (``standing``).  Calls to tools outside the sample's registry are made calls too (the
    scorer counts them as ghost calls).

    ``source`` picks the variant order (and the source-specific variants); ``None`` uses the
    paper's order.  An unknown source name is a programming error and raises ``KeyError`` with
    close-name suggestions.  ``tools`` (the sample's tool names, optional) never decides whether a
    call was made; it only names the calls: a tool namespace a call was written with
    (``functions.f``, ``default_api.f``) is dropped unless the tools are named with it.

    >>> [c.name for c in made_calls('Here is the call:\\n```python\\nget_weather(city="Paris")\\n```')]
    ['get_weather']
    >>> made_calls('The call get_weather(city="Paris") timed out. Please try again later.')
    []
    >>> made_calls('If you had a weather tool, you could call:\\n[get_weather(city="Paris")]')
    []
    """
    plan, built_in = _plan(source)  # before the empty check: an unknown source raises whatever the text
    if not isinstance(raw, str) or not raw or raw.isspace():  # `isspace`: what `strip` removes
        return []
    if built_in and not _MAY_HOLD_CALL.search(raw):
        return []  # no bracket, quote, tag, query string, Action or Function line: every gate says no

    answer = strip_reasoning(raw)
    end = end_of_answer(answer)
    continued = end < len(
        answer
    )  # the model went on writing the next turn: nothing of the answer was cut off
    text = prepare_answer(answer[:end])
    if not text or text.isspace():
        return []
    # the functions the answer defines, read before its example code is blanked
    defined = defined_before_use(undo_markdown_escapes(answer[:end])) if "def" in answer else frozenset()

    lowered: list[str] = []  # text.lower(), computed once if a gate needs it
    claimed: list[Found] = []  # spans earlier readers found (mentions included)
    for name, reader, variant, gate in plan:
        if variant is None:
            variant = VARIANTS.get(name)  # not registered: raises, naming close names
        if gate is not None and not gate(text, lowered):
            continue
        try:
            if reader is None:  # a plugin variant: its own calls
                calls = variant(text)
            else:
                found = reader(text)
                if continued:  # the answer ended before the text did: nothing in it was cut off
                    found = [f for f in found if not f.cut]
                fresh = [f for f in found if not _overlaps(f, claimed)] if claimed else found
                calls = standing_calls(text, fresh, defined)
                claimed.extend(found)
        except _FAILURES:
            calls = []
        if calls:
            return calls if tools is None else with_tool_names(calls, tools)
    return []


def with_tool_names(calls: list[ParsedCall], tools: Collection[str]) -> list[ParsedCall]:
    """``calls`` with the namespace they were written with restored where the tools carry it
    (``functions.zero`` read as ``zero``, the tool named ``functions.zero``).

    >>> with_tool_names(made_calls("[functions.zero(f='x')]"), ["functions.zero"])[0].name
    'functions.zero'
    """
    if all(c.written is None for c in calls):
        return calls
    return [
        ParsedCall(c.written, c.arguments, c.arguments_ok)
        if c.written is not None and c.name not in tools and c.written in tools
        else c
        for c in calls
    ]


parse_tool_calls = made_calls
"""The parser's historical name (Appendix I's ``parse_tool_calls``): the same function."""


def made_call(raw: str, source: str | None = None, tools: Collection[str] | None = None) -> bool:
    """Whether the model made at least one tool call (``made_calls`` is not empty).

    >>> made_call("[f(a=1)]", "bfcl_v3"), made_call("Two points A(x1, y1) and B(x2, y2).", "bfcl_v3")
    (True, False)
    """
    return bool(made_calls(raw, source, tools))


_ = variants  # the built-in variants register on import
