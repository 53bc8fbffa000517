"""The format variants of Appendix I, each a function ``text -> list[ParsedCall]``.

Each variant returns ``[]`` when it finds nothing; none raises.  ``dispatch`` tries them in a
source-specific order.

>>> bfcl_ast('[country_info.capital(country="Brazil")]')
[ParsedCall(name='country_info.capital', arguments={'country': 'Brazil'}, arguments_ok=True)]
>>> bfcl_ast('[f(a:1)]')[0].arguments
{'a': 1}
>>> bfcl_ast('[func_name="get_x", params={"k": 2}]')[0].to_json()
{'name': 'get_x', 'arguments': {'k': 2}}
>>> tool_call_xml('<tool_call>{"name":"QueryBalance","parameters":{"token":"t"}}</tool_call> ok')[0].name
'QueryBalance'
>>> react('Thought: x\\nAction: search_city\\nAction Input: {"query": "Madrid"}')[0].arguments
{'query': 'Madrid'}
>>> toolalpaca('getRandomCat?width=500&height=300')[0].arguments
{'width': '500', 'height': '300'}
>>> json_blob('{"tool": "f", "args": {"x": 1}}')[0].to_json()
{'name': 'f', 'arguments': {'x': 1}}
>>> python_call('I will run:\\nsearch_city(query="Madrid")')[0].name
'search_city'
>>> python_call('I will run search_city(query="Madrid") now')   # a mention inside a sentence
[]
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import islice
from urllib.parse import parse_qsl

from robustbench_tc.parsing.calls import (
    ARGUMENT_KEYS,
    MAX_CALLS,
    NAME_KEYS,
    ParsedCall,
    arguments_from,
    call_from_mapping,
    calls_from_json,
    clean_name,
    flattened_call,
)
from robustbench_tc.parsing.fastcalls import fast_calls
from robustbench_tc.parsing.scan import (
    MAX_ATTEMPTS,
    NOT_A_LITERAL,
    ast_value,
    balanced,
    dotted_name,
    json_at,
    json_spans,
    json_values,
    parse_expression,
    segments,
    strip_code_fences,
    structured_value,
)
from robustbench_tc.parsing.standing import quoted_at, standalone_calls
from robustbench_tc.registry import Registry

Variant = Callable[[str], list[ParsedCall]]
VARIANTS: Registry[Variant] = Registry("parser variant")

PARSE_BUDGET = 1_000_000
"""Characters handed to ``ast.parse`` per variant call, at most."""
MAX_LINES = 400
"""Lines of a long output inspected one by one (unbracketed calls)."""


# --------------------------------------------------------------------------- Python-call helpers
def _call_from_node(node: ast.expr) -> ParsedCall | None:
    if not isinstance(node, ast.Call):
        return None
    name = dotted_name(node.func)
    if name is None:
        return None
    arguments, ok = {}, not node.args
    for kw in node.keywords:
        if kw.arg is None:
            ok = False
            continue
        value = ast_value(kw.value)
        if value is NOT_A_LITERAL:
            ok = False
            continue
        arguments[kw.arg.removeprefix(_KEYWORD_MARK)] = value
    return ParsedCall(name, arguments, ok)


_KEYWORD_MARK = "_rbtc_kw_"
_KEYWORD_ARG = re.compile(
    r"([(,]\s*)("
    + "|".join(k for k in keyword.kwlist if k not in ("True", "False", "None"))
    + r")(\s*=)(?!=)"
)


def _calls_from_expression(source: str) -> list[ParsedCall]:
    """Calls from ``[f(a=1), g()]``, ``(f(), g())`` or a single ``f(a=1)``; ``[]`` otherwise.
    Parameters named like Python keywords (``from=``, ``class=``) are read too.

    >>> _calls_from_expression('[book(from="NYC", to="LA")]')[0].arguments
    {'from': 'NYC', 'to': 'LA'}
    """
    fast = fast_calls(source)  # the plain layout, read without building a syntax tree
    if fast is not None:
        return fast
    return _calls_from_tree(source)


def _calls_from_tree(source: str) -> list[ParsedCall]:
    """``_calls_from_expression`` through ``ast.parse`` (any layout)."""
    node = parse_expression(source)
    if node is None and "=" in source:
        patched = _KEYWORD_ARG.sub(rf"\1{_KEYWORD_MARK}\2\3", source)
        node = parse_expression(patched) if patched != source else None
    if node is None:
        return []
    nodes = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
    calls = [_call_from_node(n) for n in nodes[:MAX_CALLS]]
    if not calls or any(c is None for c in calls):
        return []
    return calls  # type: ignore[return-value]


_COLON_ARG = re.compile(r"([(,]\s*)([A-Za-z_]\w*)\s*:(?!=)")


def _colon_variant(segment: str) -> list[ParsedCall]:
    """``[f(a:1, b:"x")]`` (Qwen2.5-1.5B ToolRL) read as ``[f(a=1, b="x")]``."""
    if ":" not in segment:
        return []
    return _calls_from_expression(_COLON_ARG.sub(r"\1\2=", segment))


def _keyword_list_variant(segment: str) -> list[ParsedCall]:
    """``[func_name="X", params={...}]`` (SFT-Clean), also several name/params pairs in a row."""
    node = parse_expression("_(" + segment[1:-1] + ")")
    if not isinstance(node, ast.Call) or node.args or not node.keywords:
        return []
    calls: list[ParsedCall] = []
    for kw in node.keywords:
        value = ast_value(kw.value) if kw.arg is not None else NOT_A_LITERAL
        if kw.arg in NAME_KEYS and isinstance(value, str) and clean_name(value):
            calls.append(ParsedCall(clean_name(value) or value, {}))
        elif kw.arg in ARGUMENT_KEYS and calls:
            arguments, ok = arguments_from(value if value is not NOT_A_LITERAL else "<?>")
            calls[-1].arguments, calls[-1].arguments_ok = arguments, ok
        else:
            return []
    return calls[:MAX_CALLS]


# --------------------------------------------------------------------------- the variants
def calls_from_segment(segment: str, fast_tried: bool = False) -> list[ParsedCall]:
    """Calls from one statement: ``f(a=1)``, ``[f(a=1), g()]``, ``[f(a:1)]`` or
    ``[func_name="X", params={...}]``; ``[]`` if it is none of these.  ``fast_tried``: the
    caller already knows ``fast_calls(segment)`` is ``None``."""
    calls = (_calls_from_tree(segment) if fast_tried else _calls_from_expression(segment)) or _colon_variant(
        segment
    )
    if not calls and segment.startswith("[") and segment.endswith("]"):
        calls = _keyword_list_variant(segment)
    return calls


@VARIANTS.register("bfcl_ast")
def bfcl_ast(text: str) -> list[ParsedCall]:
    """BFCL's ``[func(a=1), g(b="x")]`` plus ``[f(a:1)]``, ``[func_name="X", params={...}]`` and an
    unbracketed ``f(a=1)``, each standing alone: the whole output, or its own line(s)
    (``standing.standalone_calls``; parallel calls may come one per line)."""
    return standalone_calls(text)


_XML_OPEN = re.compile(r"<(tool_call|toolcall|function_call|tool)(?=[\s/>])", re.IGNORECASE)
_ATTR_NAME = re.compile(r"([A-Za-z_][\w\-]{0,63})[ \t\r\n]*")
_BARE_VALUE = re.compile(r"[^\s/>]{1,1000}")
_NAME_ATTRS = ("name", "tool", "tool_name", "function", "func_name")
_ARG_ATTRS = ("parameters", "arguments", "params", "args")


def _read_attributes(text: str, pos: int) -> tuple[dict[str, object], int, bool] | None:
    """Attributes of an opening tag from ``pos``; (attrs, index after the tag, self-closing)."""
    attrs: dict[str, object] = {}
    n = len(text)
    for _ in range(32):
        while pos < n and text[pos].isspace():
            pos += 1
        if text.startswith("/>", pos):
            return attrs, pos + 2, True
        if text.startswith(">", pos):
            return attrs, pos + 1, False
        m = _ATTR_NAME.match(text, pos)
        if not m:
            return None
        key, pos = m.group(1).lower(), m.end()
        if not text.startswith("=", pos):
            attrs[key] = True
            continue
        pos += 1
        while pos < n and text[pos].isspace():
            pos += 1
        if pos >= n:
            return None
        ch = text[pos]
        if ch in "\"'":
            end = text.find(ch, pos + 1)
            if end < 0:
                return None
            raw = text[pos + 1 : end]
            inner = json_at(raw, 0) if raw.lstrip()[:1] in ("{", "[") else None
            attrs[key] = inner[0] if inner is not None and inner[1] == len(raw) else raw
            pos = end + 1
        elif ch in "{[":
            found = json_at(text, pos)
            if found is not None:
                attrs[key], pos = found
            else:
                segment = balanced(text, pos)
                if segment is None:
                    return None
                attrs[key], pos = structured_value(segment), pos + len(segment)
        else:
            m2 = _BARE_VALUE.match(text, pos)
            if not m2:
                return None
            attrs[key], pos = m2.group(0), m2.end()
    return None


def _first_json_object(text: str) -> object:
    for value in json_values(text, "{", max_attempts=16):
        return value
    stripped = text.strip()
    if stripped.startswith("{"):
        segment = balanced(stripped, 0)
        if segment is not None:
            value = structured_value(segment)
            if value is not NOT_A_LITERAL:
                return value
    return None


def _arguments_of(value: object) -> tuple[dict, bool]:
    """Arguments from a content object that is either the arguments or ``{"parameters": ...}``."""
    if isinstance(value, dict):
        key = next((k for k in ARGUMENT_KEYS if k in value), None)
        if key is not None and set(value) <= {key, *NAME_KEYS}:
            return arguments_from(value[key])
        return value, True
    return arguments_from(value)


_CUT_CALL = re.compile(r"""\s*(?:```\w*\s*)?\{\s*"(?:name|function|tool_name)"\s*:\s*"([^"\n]{1,256})"\s*,""")
"""The start of a call object whose JSON never closes (``{"name": "f", "parameters": {...`` cut off)."""


_FUNCTION_TAG = re.compile(r"<function=([A-Za-z_][\w.\-]{0,255})>")
_FUNCTION_CLOSE = re.compile(r"</function>")
_PARAMETER_TAG = re.compile(r"<parameter=([A-Za-z_][\w.\-]{0,255})>(.*?)</parameter>", re.DOTALL)
MAX_PARAMETER_CHARS = 100_000
"""Characters of one ``<function=...>`` body searched for parameter tags."""


def _parameter_value(raw: str) -> object:
    """A ``<parameter=k>`` value: JSON when it reads as a JSON number, boolean, null, object or list;
    otherwise the text itself (Qwen3-Coder writes strings unquoted).

    >>> _parameter_value(" 2 "), _parameter_value("Paris, France"), _parameter_value('["a"]')
    (2, 'Paris, France', ['a'])
    """
    value = raw.strip()
    if value[:1] in "{[-0123456789tfn" and value:
        found = json_at(value, 0)
        if found is not None and found[1] == len(value):
            return found[0]
    return value


def function_tags(text: str) -> list[ParsedCall]:
    """Qwen3-Coder / Qwen3.5's ``<function=f><parameter=a>1</parameter></function>`` and Llama 3.1's
    ``<function=f>{"a": 1}</function>``.

    >>> function_tags("<function=f>\\n<parameter=a>\\n1\\n</parameter>\\n</function>")
    [ParsedCall(name='f', arguments={'a': 1}, arguments_ok=True)]
    >>> function_tags('<function=g>{"b": "x"}</function>')[0].arguments
    {'b': 'x'}
    """
    calls: list[ParsedCall] = []
    if "<function=" not in text:
        return calls
    for m in islice(_FUNCTION_TAG.finditer(text), MAX_CALLS):
        close = _FUNCTION_CLOSE.search(text, m.end(), m.end() + MAX_PARAMETER_CHARS)
        nxt = _FUNCTION_TAG.search(text, m.end(), close.start() if close else m.end() + MAX_PARAMETER_CHARS)
        end = (
            nxt.start()
            if nxt
            else (close.start() if close else min(len(text), m.end() + MAX_PARAMETER_CHARS))
        )
        body = text[m.end() : end]
        if "<parameter=" in body:
            arguments = {p.group(1): _parameter_value(p.group(2)) for p in _PARAMETER_TAG.finditer(body)}
            calls.append(ParsedCall(m.group(1), arguments, True))
        elif body.strip():
            calls.append(ParsedCall(m.group(1), *_arguments_of(_first_json_object(body))))
        else:
            calls.append(ParsedCall(m.group(1), {}, True))
    return calls


@lru_cache(maxsize=64)
def _closing_tag(tag: str) -> re.Pattern[str]:
    return re.compile(rf"</\s*{re.escape(tag)}\s*>", re.IGNORECASE)


@VARIANTS.register("tool_call_xml")
def tool_call_xml(text: str) -> list[ParsedCall]:
    """``<tool_call>{json}</tool_call>`` (one or several JSON objects/lines, or a list) and the
    variants ``<tool>X</tool>\\n{json}``, ``<tool name="X" parameters={...}/>``,
    ``<toolcall tool="X">{json}</toolcall>``, ``<tool_call tool_name="X">{json}</tool_call>``."""
    calls: list[ParsedCall] = []
    pos = 0
    for _ in range(MAX_CALLS):
        m = _XML_OPEN.search(text, pos)
        if m is None:
            break
        tag = m.group(1).lower()
        read = _read_attributes(text, m.end())
        if read is None:
            pos = m.end()
            continue
        attrs, after, self_closing = read
        content, pos = "", after
        if not self_closing:
            close = _closing_tag(m.group(1)).search(text, after)
            nxt = _XML_OPEN.search(text, after)
            end = close.start() if close else (nxt.start() if nxt else len(text))
            if close and nxt and nxt.start() < close.start():
                end = nxt.start()
            content = text[after:end]
            pos = close.end() if close and end == close.start() else end
        name = next((clean_name(attrs[k]) for k in _NAME_ATTRS if isinstance(attrs.get(k), str)), None)
        if name is not None:
            arg_attr = next((k for k in _ARG_ATTRS if k in attrs), None)
            if arg_attr is not None:
                arguments, ok = arguments_from(attrs[arg_attr])
            elif content.strip():
                arguments, ok = _arguments_of(_first_json_object(content))
            else:
                arguments, ok = {}, True
            calls.append(ParsedCall(name, arguments, ok))
            continue
        body = strip_code_fences(content)
        if "<function=" in body:
            calls.extend(function_tags(body))
            continue
        bare = clean_name(body) if tag == "tool" else None
        if bare is not None:
            # <tool>X</tool> then the arguments as JSON right after the closing tag
            rest = text[pos:].lstrip()
            found = json_at(rest, 0) if rest.startswith("{") else None
            arguments, ok = _arguments_of(found[0]) if found is not None else ({}, True)
            if found is not None:
                pos = len(text) - len(text[pos:].lstrip()) + found[1]
            calls.append(ParsedCall(bare, arguments, ok))
            continue
        found_calls: list[ParsedCall] = []
        for value in json_values(body, keys=_CALL_KEY):
            from_json = calls_from_json(value)
            flat = flattened_call(value) if not from_json and isinstance(value, dict) else None
            found_calls.extend(from_json or ([flat] if flat is not None else []))
        if not found_calls:
            for line in body.split("\n")[:MAX_LINES]:
                line = line.strip()
                if line.startswith("{"):
                    segment = balanced(line, 0)
                    value = structured_value(segment) if segment else NOT_A_LITERAL
                    if isinstance(value, dict):
                        call = call_from_mapping(value)
                        if call is not None:
                            found_calls.append(call)
        if not found_calls:  # <tool_call>f(a=1)</tool_call>, <tool_call>[f(a=1)]</tool_call>
            found_calls = standalone_calls(body.strip())
        if not found_calls:  # cut off by the token limit: the call is made, its arguments unreadable
            cut = _CUT_CALL.match(body)
            name = clean_name(cut.group(1), spaces=True) if cut else None
            if name is not None:
                found_calls = [ParsedCall(name, {}, False)]
        calls.extend(found_calls)
        if len(calls) >= MAX_CALLS:
            break
    if not calls:  # no tool_call tags: Llama 3.1's bare `<function=f>{json}</function>`
        calls = function_tags(text)
    return calls[:MAX_CALLS]


_REACT_LEAD = r"^[ \t>#-]*(?:\d{1,3}[.)][ \t]*)?(?:assistant[ \t]*:?[ \t]*)?\**"
"""Line start: indentation, quote/list markers (``1.``), an ``ASSISTANT`` prefix, bold."""
_STEP = r"(?:[ \t]*\d{1,3})?"
"""An optional step number: ``Action 2:``."""
_REACT_ACTION = re.compile(
    _REACT_LEAD + r"(?:action|actioncode)" + _STEP + r"\**[ \t]*:\**[ \t]*(.*)$", re.IGNORECASE | re.MULTILINE
)
_REACT_INPUT = re.compile(
    _REACT_LEAD + r"action[ \t_]*input" + _STEP + r"\**[ \t]*:\**[ \t]*", re.IGNORECASE | re.MULTILINE
)
_REACT_INPUT_ALIAS = re.compile(
    _REACT_LEAD + r"(?:input|parameters|arguments|params|args)\**[ \t]*:\**[ \t]*",
    re.IGNORECASE | re.MULTILINE,
)
"""Read only when the Action's block has no ``Action Input``."""
_REACT_STOP = re.compile(
    _REACT_LEAD + r"(?:observation|thought|action|actioncode|final[ \t]*answer)" + _STEP + r"\**[ \t]*:",
    re.IGNORECASE | re.MULTILINE,
)


def _react_input(segment: str) -> tuple[dict, bool]:
    """Arguments from the text after ``Action Input:`` (JSON, Python dict, or nothing)."""
    body = strip_code_fences(segment).strip()
    if body[:1] == "`" and body[1:2] in ("{", "["):  # an inline code span: `{"a": 1}`
        body = body.strip("`").strip()
    if not body or body.lower() in ("none", "null", "{}", "n/a", '""'):
        return {}, True
    if body[0] in "{[":
        found = json_at(body, 0)
        if found is not None:
            value = found[0]
            if isinstance(value, dict):
                return value, True
            return {}, False
        segment_ = balanced(body, 0, max_len=20_000)
        if segment_ is not None:
            value = structured_value(segment_)
            if isinstance(value, dict):
                return value, True
    pairs = _pairs(body) if body[0] not in "{[" else {}
    return (pairs, True) if pairs else arguments_from(body)


_ACTION_NAME = re.compile(r"[`*]{0,3}([A-Za-z_][\w.\-]{0,255})(?:\(\))?[`*]{0,3}[ \t]*[.,;]?")
_NULL_ACTIONS = frozenset("none null nil n/a na nothing no noop no_action no-action no_tool".split())


def _action_name(value: str) -> str | None:
    """The tool an ``Action:`` value names: one identifier (backticks, bold, a trailing ``()``
    allowed), or an identifier-shaped first token followed by prose; ``None`` for a null word
    (``None``, ``N/A``), ``Final Answer`` or prose.

    >>> [_action_name(v) for v in ("`search_city`", "None", "Final Answer", "get_weather for Paris", "N/A")]
    ['search_city', None, None, 'get_weather', None]
    """
    whole = _ACTION_NAME.fullmatch(value.strip())
    if whole is not None:
        name = whole.group(1)
        return None if name.lower() in _NULL_ACTIONS else clean_name(name)
    first = _ACTION_NAME.match(value.strip())
    if first is not None and _IDENTIFIER_SHAPED.fullmatch(first.group(1)):
        return clean_name(first.group(1))
    return None


@VARIANTS.register("react")
def react(text: str) -> list[ParsedCall]:
    """``Action: X`` + ``Action Input: {json}`` (RoTBench, ToolEyes, ToolAlpaca), also the
    ``ActionCode:`` alias and markdown-bold labels; one call per Action line."""
    calls: list[ParsedCall] = []
    if "action" not in text.lower():
        return []
    for m in list(islice(_REACT_ACTION.finditer(text), MAX_CALLS)):
        after = m.end()
        stop = _REACT_STOP.search(text, after)
        block_end = stop.start() if stop else len(text)
        inp = _REACT_INPUT.search(text, after, block_end) or _REACT_INPUT_ALIAS.search(text, after, block_end)
        raw_name = m.group(1).strip()
        # `Action: f(a=1)` carries its arguments inline; a bare `f()` defers to an Action Input
        inline = _calls_from_expression(raw_name.strip("`")) if raw_name.endswith(")") else []
        if inline and (inline[0].arguments or inp is None):
            calls.append(inline[0])
            continue
        if raw_name.startswith(("```", "{", "[")):
            # Command-R's `Action: ```json [{"tool_name": ...}]````: the calls are in the body
            body = strip_code_fences(text[m.start(1) : block_end])
            for value in json_values(body, keys=_CALL_KEY, max_attempts=16):
                calls.extend(calls_from_json(value))
            continue
        name = _action_name(raw_name)
        if name is None:
            continue
        if inp is not None:
            nxt = _REACT_STOP.search(text, inp.end())
            segment = text[inp.end() : nxt.start() if nxt else len(text)]
            arguments, ok = _react_input(segment)
        else:
            arguments, ok = {}, True
        calls.append(ParsedCall(name, arguments, ok))
    return calls


_TA_FUNCTION = re.compile(
    r"^[ \t>-]*\**function(?:[ \t_]*name)?\**[ \t]*:\**[ \t]*(.+)$", re.IGNORECASE | re.MULTILINE
)
_TA_PARAMS = re.compile(
    r"^[ \t>-]*\**(?:parameters|arguments|args|params|input)\**[ \t]*:\**[ \t]*",
    re.IGNORECASE | re.MULTILINE,
)
_COLON_BRACE = re.compile(r":[ \t]*\{")
_REVERSED_LABEL = re.compile(r"[\w.\-]{1,256}")
_LABEL_START = re.compile(r"[A-Za-z_]")


def _labels_before_objects(text: str) -> Iterator[tuple[str, int]]:
    """``(label, index of "{")`` for each ``label: {`` (the label at a line start or after
    whitespace, a backtick, ``*`` or ``>``); found from the ``: {`` with one bounded look back."""
    for m in islice(_COLON_BRACE.finditer(text), 4 * MAX_ATTEMPTS):
        end = m.start()
        while end > 0 and text[end - 1] in " \t":
            end -= 1
        if end == 0 or not (text[end - 1].isalnum() or text[end - 1] in "_.-"):
            continue
        found = _REVERSED_LABEL.match(text[max(0, end - 257) : end][::-1])
        if found is None:
            continue
        label = found.group()[::-1]
        start = end - len(label)
        if _LABEL_START.match(label) and (start == 0 or text[start - 1] in " \t\r\n`*>"):
            yield label, m.end() - 1


_NATIVE_NAME_JSON = re.compile(
    r"^[ \t]*(?:[A-Za-z]{1,20}[ \t]+to=(?:functions\.)?|function=)?`?([A-Za-z_][\w.\-]{0,255})`?[ \t]*\n"
    r"((?:[ \t]*(?:json)?[ \t]*\n){0,3})[ \t]*(?=\{)",
    re.MULTILINE,
)
"""A model's native ``name\\n{json}`` form: a line holding only the tool name (or gpt-oss's
``commentary to=functions.name``), its arguments below; between them at most a few blank lines (a
dropped fence marker, a control token) or a ``json`` label line."""
_IDENTIFIER_SHAPED = re.compile(r"[\w\-]*(?:[_.]|[a-z][A-Z])[\w.\-]*")
"""A name that cannot be a plain word (``get_weather``, ``getWeather``, ``a.b``): needed when lines
stand between it and its JSON."""
_LANGUAGE_LABELS = frozenset(
    {
        "json",
        "python",
        "jsonc",
        "js",
        "javascript",
        "text",
        "output",
        "input",
        "request",
        "query",
        "payload",
        "schema",
    }
)
_QUERY_MARK = re.compile(r"(?<=[\w.\-])\?(?=[^\s?#&=]+=)")
_QUERY_TAIL = re.compile(r"[^\s?#&=]+=[^\s&#]*(?:&[^\s?#&=]+=[^\s&#]*)*")


def _query_strings(text: str) -> Iterator[tuple[str, str]]:
    """``(name, query)`` for each ``fn?p1=v1&p2=v2`` whose name starts the text or follows
    whitespace, a quote, a backtick or ``(``; found from the ``?`` with one bounded look back."""
    for m in islice(_QUERY_MARK.finditer(text), 4 * MAX_ATTEMPTS):
        end = m.start()
        found = _REVERSED_LABEL.match(text[max(0, end - 257) : end][::-1])
        if found is None:
            continue
        name = found.group()[::-1]
        start = end - len(name)
        if not _LABEL_START.match(name) or (start > 0 and text[start - 1] not in " \t\r\n`'\"("):
            continue
        tail = _QUERY_TAIL.match(text, m.end())
        if tail is not None:
            yield name, tail.group()


_RESERVED_LABELS = frozenset(
    "action input actioncode thought observation parameters arguments args params function tool "
    "response output answer json result example note tool_call call data body payload"
    " assistant user system ipython analysis commentary final".split()  # chat-template role/channel words
)


def _is_call_object(obj: dict) -> bool:
    """``{"name": "f", "arguments": {...}}`` after a label (``Sure: {...}``) is the call itself,
    left to ``json_blob``, not the arguments of a tool named like the label."""
    return bool(set(obj) & {*ARGUMENT_KEYS, "function", "tool_calls"}) and bool(calls_from_json(obj))


def _loose_arguments(text: str) -> tuple[dict, bool]:
    """ToolAlpaca-style argument text: JSON, a Python dict, ``a=1&b=2`` or ``a=1, b=2``."""
    body = strip_code_fences(text).strip()
    if not body:
        return {}, True
    if body[0] in "{[":
        return _react_input(body)
    out = _pairs(body)
    return (out, True) if out else arguments_from(body)


def _pairs(body: str) -> dict[str, str]:
    """``a=1&b=2`` or ``a=1, b=2`` on the first line, as strings; ``{}`` if none.

    >>> _pairs("width=500&height=300"), _pairs("just text")
    ({'width': '500', 'height': '300'}, {})
    """
    first_line = body.split("\n", 1)[0].strip()
    if "=" not in first_line:
        return {}
    sep = "&" if "&" in first_line else ","
    pairs = [p.split("=", 1) for p in first_line.split(sep) if "=" in p]
    return {k.strip().strip("\"'`"): v.strip().strip("\"'`") for k, v in pairs if k.strip()}


@VARIANTS.register("toolalpaca")
def toolalpaca(text: str) -> list[ParsedCall]:
    """ToolAlpaca's ad-hoc forms: ``Function: X`` + ``Parameters: Y``; ``func_name: {json}``; the
    native ``func_name\\n{json}``; and an inline query string ``fn?p1=v1&p2=v2``.

    >>> toolalpaca('get_weather\\n{"city": "Paris"}')[0].to_json()
    {'name': 'get_weather', 'arguments': {'city': 'Paris'}}
    """
    calls: list[ParsedCall] = []
    lowered = text.lower()
    matches = _TA_FUNCTION.finditer(text) if "function" in lowered else iter(())
    for m in list(islice(matches, MAX_CALLS)):
        name = clean_name(m.group(1).strip().split()[0] if m.group(1).split() else "")
        if name is None:
            continue
        params = _TA_PARAMS.search(text, m.end())
        nxt = _TA_FUNCTION.search(text, m.end())
        if params is not None and (nxt is None or params.start() < nxt.start()):
            end = nxt.start() if nxt else len(text)
            arguments, ok = _loose_arguments(text[params.end() : end])
        else:
            arguments, ok = {}, True
        calls.append(ParsedCall(name, arguments, ok))
    if calls:
        return calls
    for name, after in islice(_labels_before_objects(text), MAX_ATTEMPTS):
        if name.lower() in _RESERVED_LABELS or name.lower() in NAME_KEYS + ARGUMENT_KEYS:
            continue
        found = json_at(text, after)
        if found is not None and isinstance(found[0], dict) and not _is_call_object(found[0]):
            calls.append(ParsedCall(name, found[0]))
        if len(calls) >= MAX_CALLS:
            break
    if calls:
        return calls
    for m in list(_NATIVE_NAME_JSON.finditer(text))[:MAX_ATTEMPTS] if "{" in text and "\n" in text else ():
        name = m.group(1)
        if name.lower() in _RESERVED_LABELS or name.lower() in _LANGUAGE_LABELS:
            continue
        if m.group(2) and not _IDENTIFIER_SHAPED.fullmatch(name):
            continue
        found = json_at(text, m.end())
        if found is not None and isinstance(found[0], dict) and not _is_call_object(found[0]):
            calls.append(ParsedCall(name, found[0]))
        if len(calls) >= MAX_CALLS:
            break
    if calls:
        return calls
    queries = _query_strings(text) if "?" in text and "=" in text else iter(())
    for name, query in list(islice(queries, MAX_CALLS)):
        query = query.rstrip("`'\").,;")
        try:
            pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=256)
        except ValueError:
            continue
        if pairs:
            calls.append(ParsedCall(name, dict(pairs)))
    return calls


_CALL_KEY = re.compile(
    r"""["'](?:name|function|tool|func_name|tool_name|action|tool_calls)["']""", re.IGNORECASE
)
"""A quoted name (or ``tool_calls``) key: a call object holds one near its start."""
_LOOSE_CALL_KEY = re.compile(
    r"""(?:["']|\b)(?:name|function|tool|func_name|tool_name|action|tool_calls)["']?[ \t]*:""", re.IGNORECASE
)
"""The same key in a Python-dict spelling (``{'name': ...}``, ``{name: ...}``)."""


@VARIANTS.register("json_blob")
def json_blob(text: str) -> list[ParsedCall]:
    """JSON objects/lists with name and argument aliases anywhere in the text (also OpenAI
    function-calling ``tool_calls`` lists); Python-dict spellings with single quotes too."""
    calls: list[ParsedCall] = []
    if not _CALL_KEY.search(text):
        return []
    for start, value in json_spans(text, keys=_CALL_KEY):
        found = calls_from_json(value)
        if found and not quoted_at(text, start):  # `I tried {...} but it timed out.` is a mention
            calls.extend(found)
        if len(calls) >= MAX_CALLS:
            return calls[:MAX_CALLS]
    if calls or not _LOOSE_CALL_KEY.search(text):
        return calls
    pos, budget = 0, PARSE_BUDGET
    for start, segment in segments(text, "{", limit=64):
        if start < pos:
            continue
        budget -= len(segment)
        if budget < 0:
            break
        value = structured_value(segment)
        if isinstance(value, dict):
            found = calls_from_json(value)
            if found:
                if not quoted_at(text, start):
                    calls.extend(found)
                pos = start + len(segment)
    return calls[:MAX_CALLS]


@VARIANTS.register("python_call")
def python_call(text: str) -> list[ParsedCall]:
    """Bare Python calls that stand alone as statements (the fallback for raw-Python outputs; a
    call inside a sentence is a mention, see ``standing``)."""
    return standalone_calls(text)
