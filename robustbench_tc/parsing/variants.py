"""The readers of Appendix I's format variants, and the variants themselves.

A *reader* finds what is written as a call in one layout and returns it as ``Found`` spans; a
*variant* is a reader followed by the one standing test (``standing.standing_calls``): the calls
of the spans that stand as the answer.  ``dispatch`` tries the variants in a source-specific
order.  None raises.

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

from robustbench_tc.parsing.bare import standalone_spans
from robustbench_tc.parsing.calls import (
    ARGUMENT_KEYS,
    MAX_CALLS,
    NAME_KEYS,
    PARALLEL_WRAPPER,
    Found,
    ParsedCall,
    arguments_from,
    call_from_mapping,
    calls_from_json,
    clean_name,
    flattened_call,
    without_namespace,
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
    unclosed_to_end,
)
from robustbench_tc.parsing.standing import standing_calls
from robustbench_tc.registry import Registry

Variant = Callable[[str], list[ParsedCall]]
Reader = Callable[[str], list[Found]]
VARIANTS: Registry[Variant] = Registry("parser variant")
READERS: dict[str, Reader] = {}
"""The built-in variants' readers, by variant name (``dispatch`` reads spans through them)."""

PARSE_BUDGET = 1_000_000
"""Characters handed to ``ast.parse`` per variant call, at most."""
MAX_LINES = 400
"""Lines of a tag block's body inspected one by one."""


def variant(name: str) -> Callable[[Reader], Reader]:
    """Register ``reader`` under ``name``, and the variant ``name`` = the reader + the standing test."""

    def register(reader: Reader) -> Reader:
        READERS[name] = reader

        def read_standing(text: str) -> list[ParsedCall]:
            return standing_calls(text, reader(text))

        read_standing.__name__ = name
        read_standing.__doc__ = reader.__doc__
        VARIANTS.register(name, read_standing)
        return reader

    return register


# --------------------------------------------------------------------------- Python-call helpers
def _call_from_node(node: ast.expr) -> ParsedCall | None:
    if not isinstance(node, ast.Call):
        return None
    name = dotted_name(node.func)
    if name is None:
        return None
    if name == PARALLEL_WRAPPER and len(node.args) == 1 and not node.keywords:  # (tool_uses=...) as a dict
        wrapped = ast_value(node.args[0])
        if isinstance(wrapped, dict):
            return ParsedCall(name, wrapped, True)
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


_CALL_HEAD = re.compile(r"[A-Za-z_][\w.]{0,255}\(")


def _calls_from_tree(source: str, depth: int = 0) -> list[ParsedCall]:
    """``_calls_from_expression`` through ``ast.parse`` (any layout)."""
    node = parse_expression(source)
    if node is None and "=" in source:
        patched = _KEYWORD_ARG.sub(rf"\1{_KEYWORD_MARK}\2\3", source)
        node = parse_expression(patched) if patched != source else None
    if node is None:
        return []
    nodes = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
    if nodes and all(isinstance(n, ast.Constant) and isinstance(n.value, str) for n in nodes[:MAX_CALLS]):
        return _quoted_list(nodes[:MAX_CALLS]) if depth == 0 else []
    calls = [_call_from_node(n) for n in nodes[:MAX_CALLS]]
    if not calls or any(c is None for c in calls):
        return []
    return calls  # type: ignore[return-value]


def _quoted_list(nodes: list[ast.expr]) -> list[ParsedCall]:
    """``['f(a=1)', "g(b=2)"]`` or ``'f(a=1)'``: each string is a call (BFCL's decoder reads this
    form too); ``[]`` unless every string is one."""
    calls: list[ParsedCall] = []
    for node in nodes:
        text = node.value.strip() if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""
        read = _calls_from_tree(text, depth=1) if text[:1] == "[" or _CALL_HEAD.match(text) else []
        if not read:
            return []
        calls.extend(read)
    return calls[:MAX_CALLS]


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


# --------------------------------------------------------------------------- the readers
def calls_from_segment(segment: str, fast_tried: bool = False) -> list[ParsedCall]:
    """Calls from one statement: ``f(a=1)``, ``[f(a=1), g()]``, ``[f(a:1)]``,
    ``[func_name="X", params={...}]`` or a quoted-call list ``['f(a=1)']``; ``[]`` if it is none of
    these.  ``fast_tried``: the caller already knows ``fast_calls(segment)`` is ``None``."""
    calls = (_calls_from_tree(segment) if fast_tried else _calls_from_expression(segment)) or _colon_variant(
        segment
    )
    if not calls and segment.startswith("[") and segment.endswith("]"):
        calls = _keyword_list_variant(segment)
    return calls


@variant("bfcl_ast")
def read_bfcl_ast(text: str) -> list[Found]:
    """BFCL's ``[func(a=1), g(b="x")]`` plus ``[f(a:1)]``, ``[func_name="X", params={...}]``, the
    quoted-call list ``['f(a=1)']`` and an unclosed list cut off at the end, each standing alone:
    the whole output, or its own line(s) (``bare``; parallel calls may come one per line)."""
    return standalone_spans(text)


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


def function_tags(text: str) -> list[Found]:
    """Qwen3-Coder / Qwen3.5's ``<function=f><parameter=a>1</parameter></function>`` and Llama 3.1's
    ``<function=f>{"a": 1}</function>``.

    >>> [c.to_json() for f in function_tags("<function=f>\\n<parameter=a>\\n1\\n</parameter>\\n</function>") for c in f.calls]
    [{'name': 'f', 'arguments': {'a': 1}}]
    >>> function_tags('<function=g>{"b": "x"}</function>')[0].calls[0].arguments
    {'b': 'x'}
    """
    found: list[Found] = []
    if "<function=" not in text:
        return found
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
            call = ParsedCall(m.group(1), arguments, True)
        elif body.strip():
            call = ParsedCall(m.group(1), *_arguments_of(_first_json_object(body)))
        else:
            call = ParsedCall(m.group(1), {}, True)
        stop = close.end() if close is not None and not nxt else end
        found.append(Found(m.start(), stop, [call]))
    return found


@lru_cache(maxsize=64)
def _closing_tag(tag: str) -> re.Pattern[str]:
    return re.compile(rf"</\s*{re.escape(tag)}\s*>", re.IGNORECASE)


_INVOKE = re.compile(
    r"<(?:[A-Za-z_]{1,20}:)?invoke[ \t]+name[ \t]*=[ \t]*[\"']([^\"'<>\n]{1,256})[\"'][ \t]*>"
)
_INVOKE_PARAMETER = re.compile(
    r"<(?:[A-Za-z_]{1,20}:)?parameter[ \t]+name[ \t]*=[ \t]*[\"']([^\"'<>\n]{1,256})[\"'][ \t]*>(.*?)"
    r"</(?:[A-Za-z_]{1,20}:)?parameter>",
    re.DOTALL,
)
_INVOKE_CLOSE = re.compile(r"</(?:[A-Za-z_]{1,20}:)?invoke>")


def invoke_tags(text: str) -> list[Found]:
    """Claude's ``<invoke name="f"><parameter name="a">1</parameter></invoke>`` (also with a
    namespace prefix such as ``antml:``), inside ``<function_calls>`` or not.

    >>> [c.to_json() for f in invoke_tags('<invoke name="f">\\n<parameter name="a">2</parameter>\\n</invoke>') for c in f.calls]
    [{'name': 'f', 'arguments': {'a': 2}}]
    """
    found: list[Found] = []
    if "invoke" not in text:
        return found
    for m in islice(_INVOKE.finditer(text), MAX_CALLS):
        close = _INVOKE_CLOSE.search(text, m.end(), m.end() + MAX_PARAMETER_CHARS)
        end = close.end() if close else min(len(text), m.end() + MAX_PARAMETER_CHARS)
        body = text[m.end() : close.start() if close else end]
        arguments = {p.group(1): _parameter_value(p.group(2)) for p in _INVOKE_PARAMETER.finditer(body)}
        name = clean_name(without_namespace(m.group(1)))
        if name is not None:
            found.append(
                Found(m.start(), end, [ParsedCall(name, arguments, close is not None or bool(arguments))])
            )
    return found


_ARG_PAIR = re.compile(r"<arg_key>(.*?)</arg_key>\s*<arg_value>(.*?)</arg_value>", re.DOTALL)


def _arg_pairs(body: str) -> ParsedCall | None:
    """GLM-4.5's block body: the name on the first line, then ``<arg_key>k</arg_key>``
    ``<arg_value>v</arg_value>`` pairs."""
    name_line = body.lstrip().split("\n", 1)[0].split("<", 1)[0].strip()
    name = clean_name(without_namespace(name_line))
    if name is None:
        return None
    arguments = {k.strip(): _parameter_value(v) for k, v in _ARG_PAIR.findall(body)}
    return ParsedCall(name, arguments, True)


@variant("tool_call_xml")
def read_tool_call_xml(text: str) -> list[Found]:
    """``<tool_call>{json}</tool_call>`` (one or several JSON objects/lines, or a list) and the
    variants ``<tool>X</tool>\\n{json}``, ``<tool name="X" parameters={...}/>``,
    ``<toolcall tool="X">{json}</toolcall>``, ``<tool_call tool_name="X">{json}</tool_call>``,
    GLM-4.5's ``<arg_key>``/``<arg_value>`` body, ``<function=f><parameter=k>`` bodies, a Python
    call inside the tags; and outside them Claude's ``<invoke name=...>`` and Llama 3.1's bare
    ``<function=f>{json}</function>``.  A block cut off by the token limit is a call whose
    arguments are unreadable."""
    found: list[Found] = []
    pos = 0
    n_calls = 0
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
        block = (m.start(), pos)
        name = next((clean_name(attrs[k]) for k in _NAME_ATTRS if isinstance(attrs.get(k), str)), None)
        if name is not None:
            arg_attr = next((k for k in _ARG_ATTRS if k in attrs), None)
            if arg_attr is not None:
                arguments, ok = arguments_from(attrs[arg_attr])
            elif content.strip():
                arguments, ok = _arguments_of(_first_json_object(content))
            else:
                arguments, ok = {}, True
            found.append(Found(*block, [ParsedCall(name, arguments, ok)]))
            n_calls += 1
            continue
        body = strip_code_fences(content)
        if "<function=" in body:
            calls = [c for f in function_tags(body) for c in f.calls]
            found.append(Found(*block, calls))
            n_calls += len(calls)
            continue
        if "<arg_key>" in body:
            glm = _arg_pairs(body)
            if glm is not None:
                found.append(Found(*block, [glm]))
                n_calls += 1
                continue
        bare = clean_name(body) if tag == "tool" else None
        if bare is not None:
            # <tool>X</tool> then the arguments as JSON right after the closing tag
            rest = text[pos:].lstrip()
            value = json_at(rest, 0) if rest.startswith("{") else None
            arguments, ok = _arguments_of(value[0]) if value is not None else ({}, True)
            if value is not None:
                pos = len(text) - len(text[pos:].lstrip()) + value[1]
            found.append(Found(block[0], pos, [ParsedCall(bare, arguments, ok)]))
            n_calls += 1
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
            found_calls = [c for f in standalone_spans(body.strip()) for c in f.calls]
        was_cut = False
        if not found_calls:  # cut off by the token limit: the call is made, its arguments unreadable
            cut = _CUT_CALL.match(body)
            cut_name = clean_name(cut.group(1), spaces=True) if cut else None
            if cut_name is not None:
                found_calls, was_cut = [ParsedCall(cut_name, {}, False)], True
        if found_calls:
            found.append(Found(*block, found_calls, cut=was_cut))
            n_calls += len(found_calls)
        if n_calls >= MAX_CALLS:
            break
    if not found:  # no tool_call tags: Claude's <invoke>, Llama 3.1's bare `<function=f>{json}</function>`
        found = invoke_tags(text) or function_tags(text)
    return found


_REACT_LEAD = r"^[ \t>#-]*(?:\d{1,3}[.)][ \t]*)?(?:assistant[ \t]*:?[ \t]*)?\**"
"""Line start: indentation, quote/list markers (``1.``), an ``ASSISTANT`` prefix, bold."""
_STEP = r"(?:[ \t]*\d{1,3})?"
"""An optional step number: ``Action 2:``."""
_REACT_ACTION = re.compile(
    _REACT_LEAD + r"(?:action|actioncode|✿function✿)" + _STEP + r"\**[ \t]*:\**[ \t]*(.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_REACT_INPUT = re.compile(
    _REACT_LEAD + r"(?:action[ \t_]*input|✿args✿)" + _STEP + r"\**[ \t]*:\**[ \t]*",
    re.IGNORECASE | re.MULTILINE,
)
_REACT_INPUT_ALIAS = re.compile(
    _REACT_LEAD + r"(?:input|parameters|arguments|params|args)\**[ \t]*:\**[ \t]*",
    re.IGNORECASE | re.MULTILINE,
)
"""Read only when the Action's block has no ``Action Input``."""
_REACT_STOP = re.compile(
    _REACT_LEAD
    + r"(?:observation|thought|action|actioncode|final[ \t]*answer|✿result✿|✿return✿|✿function✿)"
    + _STEP
    + r"\**[ \t]*:",
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
_ACTION_BRACKET = re.compile(r"[`*]{0,3}([A-Za-z_][\w.\-]{0,255})\[(.{0,2000})\][`*]{0,3}[ \t]*[.,;]?")
"""The ReAct paper's ``Action: Search[query]``: the tool and its one positional argument."""
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
        return None if name.lower() in _NULL_ACTIONS else clean_name(without_namespace(name))
    first = _ACTION_NAME.match(value.strip())
    if first is not None and _IDENTIFIER_SHAPED.fullmatch(first.group(1)):
        return clean_name(without_namespace(first.group(1)))
    return None


@variant("react")
def read_react(text: str) -> list[Found]:
    """``Action: X`` + ``Action Input: {json}`` (RoTBench, ToolEyes, ToolAlpaca), also the
    ``ActionCode:`` alias, markdown-bold labels, Qwen-Agent's ``✿FUNCTION✿:``/``✿ARGS✿:`` and the
    ReAct paper's ``Action: Search[query]`` (a positional argument: unreadable as keywords); one
    call per Action line."""
    found: list[Found] = []
    lowered = text.lower()
    if "action" not in lowered and "✿" not in text:
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
            found.append(Found(m.start(), m.end(), [inline[0]]))
            continue
        if raw_name.startswith(("```", "{", "[")):
            # Command-R's `Action: ```json [{"tool_name": ...}]````: the calls are in the body
            body = strip_code_fences(text[m.start(1) : block_end])
            calls = [
                c
                for value in json_values(body, keys=_CALL_KEY, max_attempts=16)
                for c in calls_from_json(value)
            ]
            if calls:
                found.append(Found(m.start(), block_end, calls))
            continue
        bracket = _ACTION_BRACKET.fullmatch(raw_name) if inp is None and raw_name.endswith("]") else None
        if bracket is not None:
            name = clean_name(bracket.group(1))
            if name is not None and name.lower() not in _NULL_ACTIONS:
                found.append(Found(m.start(), m.end(), [ParsedCall(name, {}, not bracket.group(2).strip())]))
            continue
        name = _action_name(raw_name)
        if name is None:
            continue
        end = m.end()
        if inp is not None:
            nxt = _REACT_STOP.search(text, inp.end())
            end = nxt.start() if nxt else len(text)
            arguments, ok = _react_input(text[inp.end() : end])
        else:
            arguments, ok = {}, True
        found.append(Found(m.start(), len(text[:end].rstrip()), [ParsedCall(name, arguments, ok)]))
    return found


_TA_FUNCTION = re.compile(
    r"^[ \t>-]*\**function(?:[ \t_]*name)?\**[ \t]*:\**[ \t]*(.+)$", re.IGNORECASE | re.MULTILINE
)
_TA_PARAMS = re.compile(
    r"^[ \t>-]*\**(?:parameters|arguments|args|params|input)\**[ \t]*:\**[ \t]*",
    re.IGNORECASE | re.MULTILINE,
)
_LABEL_LINE = re.compile(r"^[ \t>*`-]*([A-Za-z_][\w.\-]{0,255})[`*]{0,2}[ \t]*:[ \t]*(?=\{)", re.MULTILINE)
"""ToolAlpaca's ``func_name: {json}``: the label is the whole text before the colon on its line."""
_IDENTIFIER_SHAPED = re.compile(r"[\w\-]*(?:[_.]|[a-z][A-Z])[\w.\-]*")
"""A name that cannot be a plain word (``get_weather``, ``getWeather``, ``a.b``): needed when lines
stand between it and its JSON."""
_QUERY_MARK = re.compile(r"(?<=[\w.\-])\?(?=[^\s?#&=]+=)")
_QUERY_TAIL = re.compile(r"[^\s?#&=]+=[^\s&#]*(?:&[^\s?#&=]+=[^\s&#]*)*")
_REVERSED_LABEL = re.compile(r"[\w.\-]{1,256}")
_LABEL_START = re.compile(r"[A-Za-z_]")


def _query_strings(text: str) -> Iterator[tuple[int, int, str, str]]:
    """``(start, end, name, query)`` for each ``fn?p1=v1&p2=v2`` whose name starts the text or
    follows whitespace, a quote, a backtick or ``(``; found from the ``?`` with one bounded look back."""
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
            yield start, tail.end(), name, tail.group()


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


@variant("toolalpaca")
def read_toolalpaca(text: str) -> list[Found]:
    """ToolAlpaca's ad-hoc forms (read only for the ToolAlpaca source, ``dispatch``):
    ``Function: X`` + ``Parameters: Y``; ``func_name: {json}`` with the label alone before the
    colon on its line; and an inline query string ``fn?p1=v1&p2=v2``.

    >>> [c.to_json() for f in read_toolalpaca('get_weather: {"city": "Paris"}') for c in f.calls]
    [{'name': 'get_weather', 'arguments': {'city': 'Paris'}}]
    >>> read_toolalpaca('Current conditions: {"temp": 20}')   # the label is not the whole line start
    []
    """
    found: list[Found] = []
    lowered = text.lower()
    matches = _TA_FUNCTION.finditer(text) if "function" in lowered else iter(())
    for m in list(islice(matches, MAX_CALLS)):
        name = clean_name(m.group(1).strip().split()[0] if m.group(1).split() else "")
        if name is None:
            continue
        params = _TA_PARAMS.search(text, m.end())
        nxt = _TA_FUNCTION.search(text, m.end())
        end = m.end()
        if params is not None and (nxt is None or params.start() < nxt.start()):
            end = nxt.start() if nxt else len(text)
            arguments, ok = _loose_arguments(text[params.end() : end])
        else:
            arguments, ok = {}, True
        found.append(Found(m.start(), len(text[:end].rstrip()), [ParsedCall(name, arguments, ok)]))
    if found:
        return found
    for m in islice(_LABEL_LINE.finditer(text) if "{" in text else iter(()), MAX_ATTEMPTS):
        name = m.group(1)
        if name.lower() in _RESERVED_LABELS or name.lower() in NAME_KEYS + ARGUMENT_KEYS:
            continue
        value = json_at(text, m.end())
        if value is not None and isinstance(value[0], dict) and not _is_call_object(value[0]):
            found.append(Found(m.start(), value[1], [ParsedCall(name, value[0])]))
        if len(found) >= MAX_CALLS:
            break
    if found:
        return found
    queries = _query_strings(text) if "?" in text and "=" in text else iter(())
    for start, end, name, query in list(islice(queries, MAX_CALLS)):
        query = query.rstrip("`'\").,;")
        try:
            pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=256)
        except ValueError:
            continue
        if pairs:
            found.append(Found(start, end, [ParsedCall(name, dict(pairs))]))
    return found


_CALL_KEY = re.compile(
    r"""["'](?:name|function|tool|func_name|tool_name|action|recipient_name|tool_calls|tool_uses)["']""",
    re.IGNORECASE,
)
"""A quoted name (or ``tool_calls``) key: a call object holds one near its start."""
_LOOSE_CALL_KEY = re.compile(
    r"""(?:["']|\b)(?:name|function|tool|func_name|tool_name|action|tool_calls)["']?[ \t]*:""", re.IGNORECASE
)
"""The same key in a Python-dict spelling (``{'name': ...}``, ``{name: ...}``)."""
_NATIVE_NAME_JSON = re.compile(
    r"^[ \t]*(?:[A-Za-z]{1,20}[ \t]+to=(?:functions\.)?|function=|functions\.)?`?([A-Za-z_][\w.\-]{0,255})`?"
    r"(?::\d{1,3})?[ \t]*\n((?:[ \t]*(?:json)?[ \t]*\n){0,3})[ \t]*(?=\{)",
    re.MULTILINE,
)
"""A model's native ``name\\n{json}`` form: a line holding only the tool name (gpt-oss's
``commentary to=functions.name``, Kimi-K2's ``functions.name:0``), its arguments below; between
them at most a few blank lines (a dropped fence marker, a control token) or a ``json`` label line.
With control tokens read as line breaks this is also Mistral's ``[TOOL_CALLS]f[ARGS]{json}``,
Functionary's ``>>>f\\n{json}`` and DeepSeek-V3's ``<｜tool▁sep｜>f``."""
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
_CUT_JSON_CALL = re.compile(
    r"""\{\s*["'](?:name|function|tool_name|recipient_name)["']\s*:\s*["']([^"'\n]{1,256})["']\s*,"""
)
"""The start of a call object whose JSON the text ends inside (cut off by the token limit)."""
MAX_CUT_CHECKS = 4
_SCHEMA_KEY = re.compile(r"""["'](?:description|properties|required)["'][ \t]*:""")
"""A key of a tool's schema: a cut-off object holding one is a schema echoed back, not a call."""


def _native_forms(text: str) -> list[Found]:
    found: list[Found] = []
    for m in list(_NATIVE_NAME_JSON.finditer(text))[:MAX_ATTEMPTS] if "{" in text and "\n" in text else ():
        name = m.group(1)
        if name.lower() in _RESERVED_LABELS or name.lower() in _LANGUAGE_LABELS:
            continue
        if m.group(2) and not _IDENTIFIER_SHAPED.fullmatch(name):
            continue
        value = json_at(text, m.end())
        if value is not None and isinstance(value[0], dict) and not _is_call_object(value[0]):
            found.append(Found(m.start(), value[1], [ParsedCall(without_namespace(name), value[0])]))
        elif value is None and unclosed_to_end(text, m.end()):  # cut off: made, arguments unreadable
            found.append(
                Found(m.start(), len(text), [ParsedCall(without_namespace(name), {}, False)], cut=True)
            )
        if len(found) >= MAX_CALLS:
            break
    return found


def _cut_objects(text: str, after: int) -> list[Found]:
    """A call object the text ends inside, after position ``after`` (nothing decoded past it)."""
    found: list[Found] = []
    tail_from = max(after, len(text) - 20_000)
    for m in list(islice(_CUT_JSON_CALL.finditer(text, tail_from), 64))[-MAX_CUT_CHECKS:]:
        if unclosed_to_end(text, m.start()) and not _SCHEMA_KEY.search(text, m.start()):
            name = clean_name(m.group(1), spaces=True)
            if name is not None:
                found.append(
                    Found(m.start(), len(text), [ParsedCall(without_namespace(name), {}, False)], cut=True)
                )
            break
    return found


_NAME_KEYED = re.compile(
    r"""^[ \t>*`-]*(?:\[[ \t\n]*)?\{[ \t\n]*["'][A-Za-z_][\w.]{0,255}["'][ \t]*:[ \t\n]*\{""", re.MULTILINE
)
"""A line opening BFCL's possible-answer layout ``[{"func.name": {"a": 1}}, ...]``."""


def _name_keyed(text: str) -> list[Found]:
    """Calls written in BFCL's possible-answer layout: a list (or one object) of single-key objects
    mapping a tool name to its arguments, standing on its own lines.

    >>> [c.to_json() for f in _name_keyed("[{'t_test': {'alpha': 0.05}}]") for c in f.calls]
    [{'name': 't_test', 'arguments': {'alpha': 0.05}}]
    """
    found: list[Found] = []
    for m in islice(_NAME_KEYED.finditer(text), MAX_CALLS):
        opener = m.start() + len(m.group()) - len(m.group().lstrip(" \t>*`-"))
        segment = balanced(text, opener, max_len=20_000)
        value = structured_value(segment) if segment is not None else NOT_A_LITERAL
        items = value if isinstance(value, list) else [value]
        calls: list[ParsedCall] = []
        for item in items[:MAX_CALLS]:
            if not (isinstance(item, dict) and len(item) == 1):
                calls = []
                break
            ((key, arguments),) = item.items()
            name = (
                clean_name(key) if isinstance(arguments, dict) and _IDENTIFIER_SHAPED.fullmatch(key) else None
            )
            if name is None:
                calls = []
                break
            calls.append(ParsedCall(name, arguments))
        if calls and segment is not None:
            found.append(Found(opener, opener + len(segment), calls))
    return found


@variant("json_blob")
def read_json_blob(text: str) -> list[Found]:
    """JSON objects/lists with name and argument aliases anywhere in the text (also OpenAI
    function-calling ``tool_calls`` lists and leaked ``multi_tool_use.parallel`` ``tool_uses``);
    Python-dict spellings with single quotes; a model's native ``name`` line followed by its JSON
    arguments; BFCL's possible-answer layout ``[{"func": {args}}]``; and a call object cut off by
    the token limit (its name written)."""
    found: list[Found] = []
    last_end = 0
    if _CALL_KEY.search(text):
        for start, end, value in json_spans(text, keys=_CALL_KEY):
            calls = calls_from_json(value)
            if calls:
                found.append(Found(start, end, calls))
                last_end = end
            if len(found) >= MAX_CALLS:
                return found
        if "{" in text[last_end:]:
            found.extend(_cut_objects(text, last_end))
    if not found and _LOOSE_CALL_KEY.search(text):
        pos, budget = 0, PARSE_BUDGET
        for start, segment in segments(text, "{", limit=64):
            if start < pos:
                continue
            budget -= len(segment)
            if budget < 0:
                break
            value = structured_value(segment)
            if isinstance(value, dict):
                calls = calls_from_json(value)
                if calls:
                    found.append(Found(start, start + len(segment), calls))
                    pos = start + len(segment)
    if not found:
        found = _native_forms(text)
    if not found and "{" in text:
        found = _name_keyed(text)
    return found


variant("python_call")(read_bfcl_ast)
"""Appendix I's "bare Python" variant reads what ``bfcl_ast`` reads (calls standing alone as
statements): the same reader, so ``dispatch`` does not read a text with it twice."""


bfcl_ast = VARIANTS.get("bfcl_ast")
tool_call_xml = VARIANTS.get("tool_call_xml")
react = VARIANTS.get("react")
toolalpaca = VARIANTS.get("toolalpaca")
json_blob = VARIANTS.get("json_blob")
python_call = VARIANTS.get("python_call")
