"""The parser's output type and the mapping of JSON-ish call objects onto it.

A call object names its tool under one of ``NAME_KEYS`` and its arguments under one of
``ARGUMENT_KEYS`` (Appendix I's aliases); OpenAI-style ``{"type": "function", "function": {"name",
"arguments": "<json string>"}}`` entries and ``{"tool_calls": [...]}`` wrappers are unwrapped.

>>> calls_from_json({"name": "QueryBalance", "parameters": {"token": "x"}})
[ParsedCall(name='QueryBalance', arguments={'token': 'x'}, arguments_ok=True)]
>>> calls_from_json([{"type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}])
[ParsedCall(name='f', arguments={'a': 1}, arguments_ok=True)]
>>> calls_from_json({"action": "search_city", "action_input": {"query": "Madrid"}})[0].name
'search_city'
>>> calls_from_json({"type": "tool_use", "name": "f", "input": {"a": 1}})[0].arguments
{'a': 1}
>>> calls_from_json({"name": "John", "age": 30})   # a plain record, not a call
[]
>>> calls_from_json({"tool_uses": [{"recipient_name": "functions.f", "parameters": {"a": 1}}]})
[ParsedCall(name='f', arguments={'a': 1}, arguments_ok=True)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from robustbench_tc.parsing.scan import structured_value

NAME_KEYS: tuple[str, ...] = (
    "name",
    "function",
    "tool",
    "func_name",
    "tool_name",
    "action",
    "recipient_name",
)
ARGUMENT_KEYS: tuple[str, ...] = ("parameters", "arguments", "params", "args", "action_input")
_HARMLESS_KEYS = frozenset({"type", "id", "index", "call_id"})

MAX_CALLS = 64
"""More calls than this in one output are cut off (no benchmark sample needs more than 5)."""
MAX_NAME_LEN = 256
_NAME_RE = re.compile(r"[^\s<>{}()\[\]\"'`,;]{1,256}")
_SPACED_NAME_RE = re.compile(r"[^\s<>{}()\[\]\"'`,;]{1,128}(?: [^\s<>{}()\[\]\"'`,;]{1,128}){0,7}")
"""Inside a JSON call object a name may hold single spaces (ToolRL's RL data: "Search Managers")."""


@dataclass(slots=True)
class Found:
    """What a reader found: the calls written in ``text[start:end]`` (a block, a JSON value, a
    statement), before the standing test decides whether they stand as the answer."""

    start: int
    end: int
    calls: list[ParsedCall]
    cut: bool = False
    """The text ends inside this span (a call cut off by the token limit)."""


@dataclass(slots=True)
class ParsedCall:
    """One tool call read from a model's raw output.

    ``arguments_ok`` is False when the call's name was readable but its arguments were not (e.g.
    ``Action Input: <garbage>`` or positional arguments): such a call never matches a gold call
    that is compared on arguments, but it still counts as "a call was made" for error modes.
    """

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    arguments_ok: bool = True
    written: str | None = field(default=None, compare=False, repr=False)
    """The name as written when a tool namespace was dropped from it (``functions.f`` read as ``f``):
    ``made_calls`` restores it when the sample's tools are named so (BFCL has ``functions.zero``)."""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments}


def clean_name(raw: Any, spaces: bool = False) -> str | None:
    """A tool name as written, trimmed of quotes/backticks/markup; ``None`` if implausible.
    ``spaces``: single spaces between words are allowed (a name read from a JSON call object).

    >>> clean_name(" `mutation_type.find` "), clean_name("**search_city**"), clean_name("two words")
    ('mutation_type.find', 'search_city', None)
    """
    if not isinstance(raw, str):
        return None
    name = raw.strip().strip("`'\"*").strip()
    if name.endswith("()"):
        name = name[:-2]
    pattern = _SPACED_NAME_RE if spaces and " " in name else _NAME_RE
    if not name or len(name) > MAX_NAME_LEN or not pattern.fullmatch(name):
        return None
    if " " in name and not all(any(ch.isalpha() for ch in word) for word in name.split(" ")):
        return None  # "... ...": a placeholder
    return name


def arguments_from(value: Any) -> tuple[dict[str, Any], bool]:
    """Arguments from a decoded value or a JSON/Python-literal string; ``({}, False)`` if unusable.

    >>> arguments_from('{"a": 1}'), arguments_from(None), arguments_from("garbage")
    (({'a': 1}, True), ({}, True), ({}, False))
    """
    if value is None:
        return {}, True
    if isinstance(value, dict):
        return value, True
    if isinstance(value, str):
        if value.strip().lower() in ("", "none", "null", "{}", "n/a"):
            return {}, True
        decoded = structured_value(value)
        if isinstance(decoded, dict):
            return decoded, True
    return {}, False


def is_tool_definition(obj: dict[str, Any]) -> bool:
    """A tool's schema echoed back (``{"name", "description", "parameters": {"type": "object",
    "properties": ...}}``) is a mention of the tool, not a call.

    >>> is_tool_definition({"name": "f", "parameters": {"type": "object", "properties": {}}})
    True
    >>> is_tool_definition({"name": "f", "parameters": {"type": "object"}})
    False
    """
    if "description" in obj and ("parameters" in obj or "properties" in obj or "required" in obj):
        return True
    for key in ARGUMENT_KEYS:
        params = obj.get(key)
        if isinstance(params, dict):
            return params.get("type") == "object" and isinstance(params.get("properties"), dict)
    return False


def call_from_mapping(obj: dict[str, Any], depth: int = 0) -> ParsedCall | None:
    """A call from one JSON object, or ``None`` if the object is not a call (nor a tool schema)."""
    if depth > 2 or is_tool_definition(obj):
        return None
    inner = obj.get("function")
    if isinstance(inner, dict) and "name" in inner:
        return call_from_mapping(inner, depth + 1)
    arg_key = None
    for key in ARGUMENT_KEYS:
        if key in obj:
            arg_key = key
            break
    spaces = arg_key is not None  # {"name": "Search Managers", "parameters": {...}} is a call object
    name = written = None
    for key in NAME_KEYS:  # the first name key holding a string decides
        value = obj.get(key)
        if isinstance(value, str):
            name = clean_name(without_namespace(value) if key == "recipient_name" else value, spaces)
            written = value if key == "recipient_name" and name != value else None
            break
    if name is None:
        return None
    if arg_key is None and isinstance(obj.get("input"), dict):  # Anthropic ``tool_use``: {"name", "input"}
        arg_key = "input"
    if arg_key is None:
        if set(obj) - set(NAME_KEYS) - _HARMLESS_KEYS:
            return None
        return ParsedCall(name, {}, True, written)
    arguments, ok = arguments_from(obj[arg_key])
    return ParsedCall(name, arguments, ok, written)


def flattened_call(obj: dict[str, Any]) -> ParsedCall | None:
    """A call object whose arguments sit beside its name, or ``None``.  Read only inside explicit
    tool-call tags, where the object cannot be a plain record.

    >>> flattened_call({"name": "get_activity_by_type", "type": "social"})
    ParsedCall(name='get_activity_by_type', arguments={'type': 'social'}, arguments_ok=True)
    """
    key = next((k for k in NAME_KEYS if isinstance(obj.get(k), str)), None)
    if key is None or any(k in obj for k in ARGUMENT_KEYS):
        return None
    name = clean_name(obj[key])
    return None if name is None else ParsedCall(name, {k: v for k, v in obj.items() if k != key})


_NAMESPACE = re.compile(r"(?:default_api|functions)\.(?=[A-Za-z_])")


def without_namespace(name: str) -> str:
    """``functions.f`` / ``default_api.f`` (the namespaces tool prompts put tools in) -> ``f``.

    >>> without_namespace("functions.get_weather"), without_namespace("math.sqrt")
    ('get_weather', 'math.sqrt')
    """
    m = _NAMESPACE.match(name)
    return name[m.end() :] if m else name


PARALLEL_WRAPPER = "multi_tool_use.parallel"
"""OpenAI's wrapper for parallel calls, which models leak as text: its ``tool_uses`` are the calls."""


def expand_wrappers(calls: list[ParsedCall]) -> list[ParsedCall]:
    """``multi_tool_use.parallel(tool_uses=[...])`` -> the calls it wraps."""
    if not any(c.name == PARALLEL_WRAPPER for c in calls):
        return calls
    out: list[ParsedCall] = []
    for call in calls:
        inner = call.arguments.get("tool_uses") if call.name == PARALLEL_WRAPPER else None
        out.extend(calls_from_json(inner) if isinstance(inner, list) else [call])
    return out[:MAX_CALLS]


def calls_from_json(value: Any, depth: int = 0) -> list[ParsedCall]:
    """Calls from a decoded JSON value: a call object, a list of them, or a ``tool_calls`` /
    ``tool_uses`` wrapper."""
    if depth > 3:
        return []
    if isinstance(value, dict):
        for wrapper in ("tool_calls", "tool_uses"):
            wrapped = value.get(wrapper)
            if isinstance(wrapped, list):
                return calls_from_json(wrapped, depth + 1)
        call = call_from_mapping(value)
        if call is not None and call.name == PARALLEL_WRAPPER:
            return expand_wrappers([call])
        return [call] if call is not None else []
    if isinstance(value, list):
        calls: list[ParsedCall] = []
        for item in value[:MAX_CALLS]:
            if isinstance(item, (dict, list)):
                calls.extend(calls_from_json(item, depth + 1))
        return calls[:MAX_CALLS]
    return []
