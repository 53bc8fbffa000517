"""A fast reader of the plain call layout ``[f(a=1, b="x"), g.h(c=[1, 2])]``, exact or silent.

``fast_calls`` reads a Python call list (or one call) whose arguments are all keywords with plain
literal values: strings without a backslash or a control character, decimal numbers,
``True``/``False``/``None`` and bare (dotted) names, and lists and string-keyed dicts of these.
For such a text it returns exactly what ``ast.parse`` + ``ast_value`` give (``variants.
_calls_from_expression``), in a few regex steps instead of building a syntax tree; for any other
text (a positional argument, a tuple, an escape, a comment, a keyword used as a name, a
duplicate keyword, odd whitespace, deep nesting...) it returns ``None`` and the caller takes the
``ast`` path.  It never returns ``[]``.  Every accepted text is also ``standing.well_formed``
(its brackets and quotes pair up and nest shallowly).

Why the subset is exact: without a backslash a Python string literal is its characters; the
number spellings accepted are the ones where ``int()``/``float()`` read what the compiler reads
(no ``_``, no leading zero, digits on both sides of a point); identifiers are ASCII, so no
NFKC normalisation applies; whitespace is only spaces, tabs and newlines inside brackets.  A test
compares both paths on the parser corpora and on generated texts.

>>> fast_calls('[f(a=1, b="x"), g.h(c=[1.5, -2], d={"k": None}, e=true)]')
[ParsedCall(name='f', arguments={'a': 1, 'b': 'x'}, arguments_ok=True), ParsedCall(name='g.h', arguments={'c': [1.5, -2], 'd': {'k': None}, 'e': True}, arguments_ok=True)]
>>> fast_calls("f(unit=celsius)")[0].arguments
{'unit': 'celsius'}
>>> [fast_calls(t) for t in ("[f(1)]", "[f(a='\\\\n')]", "[f(a=1, a=2)]", "[f(from=1)]", "[]", "f(a=1) # c")]
[None, None, None, None, None, None]
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from robustbench_tc.parsing.calls import MAX_CALLS, ParsedCall

MAX_FAST_DEPTH = 16
"""Containers nested deeper than this inside one value are left to the ``ast`` path."""
MAX_FAST_LEN = 100_000
"""Longer texts are left to the ``ast`` path (``scan.MAX_SEGMENT``: it reads none of them)."""

_KEYWORDS = frozenset(keyword.kwlist)
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = rf"{_IDENT}(?:\.{_IDENT})*"
_WS = r"[ \t\n]*"
_SCALAR = (
    r'"([^"\\\x00-\x08\x0a-\x1f]*)"'  # a double-quoted string
    r"|'([^'\\\x00-\x08\x0a-\x1f]*)'"  # a single-quoted string
    r"|(-?(?:0|[1-9][0-9]{0,40})(?:\.[0-9]{1,40}(?:[eE][+-]?[0-9]{1,3})?|[eE][+-]?[0-9]{1,3}))"  # a float
    r"|(-?(?:0|[1-9][0-9]{0,40}))"  # an int
    rf"|({_DOTTED})"  # a name
)
_SEP = rf"{_WS}([,)\]}}])"
_HEAD = re.compile(rf"({_DOTTED})\(")
_ARG = re.compile(rf"{_WS}({_IDENT}){_WS}={_WS}(?:{_SCALAR}){_SEP}")
"""A keyword argument with a scalar value, and the separator after it."""
_ARG_OPEN = re.compile(rf"{_WS}({_IDENT}){_WS}={_WS}([\[{{])")
"""A keyword argument whose value opens a list or a dict."""
_ITEM = re.compile(rf"{_WS}(?:{_SCALAR}){_SEP}")
_ITEM_OPEN = re.compile(rf"{_WS}([\[{{])")
_KEY = re.compile(rf'{_WS}(?:"([^"\\\x00-\x08\x0a-\x1f]*)"|\'([^\'\\\x00-\x08\x0a-\x1f]*)\'){_WS}:')
_AFTER = re.compile(_SEP)
_CLOSE = re.compile(rf"{_WS}([)\]}}])")
_NAMED = {"true": True, "false": False, "null": None, "none": None}
_CONSTANTS = {"True": True, "False": False, "None": None}
_NOT_FAST: Any = object()


_BAD_PARAMETERS = _KEYWORDS | {"__debug__"}
"""Parameter names the compiler rejects (``f(if=1)``, ``f(__debug__=1)``)."""


def _name(name: str) -> Any:
    """The value of a bare (dotted) name, as ``scan.ast_value`` reads it; ``_NOT_FAST`` for a
    keyword used as a name."""
    if "." in name:
        return name if _KEYWORDS.isdisjoint(name.split(".")) else _NOT_FAST
    if name in _KEYWORDS:
        return _CONSTANTS.get(name, _NOT_FAST)
    return _NAMED.get(name.lower(), name)


def _scalar(dq: str | None, sq: str | None, flt: str | None, integer: str | None, name: str | None) -> Any:
    """The value of one matched scalar (``_NOT_FAST``: not read here)."""
    if dq is not None:
        return dq
    if sq is not None:
        return sq
    if integer is not None:
        return int(integer)
    if flt is not None:
        return float(flt)
    return _name(name) if name is not None else _NOT_FAST


def _container(text: str, opener: str, pos: int, depth: int) -> tuple[Any, int] | None:
    """The list or dict opened just before ``pos``, and where it ends; ``None`` if not fast."""
    if depth > MAX_FAST_DEPTH:
        return None
    close = _CLOSE.match(text, pos)
    if close is not None:
        if close.group(1) != ("]" if opener == "[" else "}"):
            return None
        return ([] if opener == "[" else {}), close.end()
    end_mark = "]" if opener == "[" else "}"
    items: list[Any] = []
    out: dict[str, Any] = {}
    while True:
        if opener == "{":
            k = _KEY.match(text, pos)
            if k is None:
                return None
            key = k.group(1) if k.group(1) is not None else k.group(2)
            pos = k.end()
        m = _ITEM.match(text, pos)
        if m is not None:
            value = _scalar(*m.group(1, 2, 3, 4, 5))
            if value is _NOT_FAST:
                return None
            sep, pos = m.group(6), m.end()
        else:
            m = _ITEM_OPEN.match(text, pos)
            if m is None:
                return None
            read = _nested(text, m.group(1), m.end(), depth + 1)
            if read is None:
                return None
            value, sep, pos = read
        if opener == "{":
            out[key] = value
        else:
            items.append(value)
        if sep == end_mark:
            return (items if opener == "[" else out), pos
        if sep != ",":
            return None


def _nested(text: str, opener: str, pos: int, depth: int) -> tuple[Any, str, int] | None:
    """A list or dict value opened just before ``pos``, the separator after it and where that ends."""
    read = _container(text, opener, pos, depth)
    if read is None:
        return None
    after = _AFTER.match(text, read[1])
    return None if after is None else (read[0], after.group(1), after.end())


def _call(text: str, pos: int) -> tuple[ParsedCall, int] | None:
    """One call ``name(k=v, ...)`` from ``pos``, and where it ends; ``None`` if not fast."""
    head = _HEAD.match(text, pos)
    if head is None:
        return None
    name = head.group(1)
    if (name in _KEYWORDS) if "." not in name else not _KEYWORDS.isdisjoint(name.split(".")):
        return None
    arguments: dict[str, Any] = {}
    pos = head.end()
    if text.startswith(")", pos):
        return ParsedCall(name, arguments, True), pos + 1
    seen: set[str] = set()
    while True:
        m = _ARG.match(text, pos)
        if m is not None:
            kw, dq, sq, flt, integer, bare, sep = m.groups()
            if dq is not None:
                value = dq
            elif sq is not None:
                value = sq
            elif integer is not None:
                value = int(integer)
            elif flt is not None:
                value = float(flt)
            else:
                value = _name(bare)
                if value is _NOT_FAST:
                    return None
            pos = m.end()
        else:
            m = _ARG_OPEN.match(text, pos)
            if m is None:
                close = _CLOSE.match(text, pos)  # `f( )`
                ok = close is not None and close.group(1) == ")" and not seen
                return (ParsedCall(name, arguments, True), close.end()) if ok and close else None
            kw = m.group(1)
            read = _nested(text, m.group(2), m.end(), 1)
            if read is None:
                return None
            value, sep, pos = read
        if kw in _BAD_PARAMETERS or kw in seen:
            return None  # a keyword or a repeated keyword: a syntax error for the compiler
        seen.add(kw)
        arguments[kw.removeprefix("_rbtc_kw_") if kw[0] == "_" else kw] = value
        if sep == ")":
            return ParsedCall(name, arguments, True), pos
        if sep != ",":
            return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def fast_calls(text: str) -> list[ParsedCall] | None:
    """The calls of ``[f(a=1), g()]`` or ``f(a=1)`` in the plain layout (see the module), or
    ``None`` when the text is anything else (then ``ast.parse`` decides)."""
    if len(text) > MAX_FAST_LEN or not text or text.count('"') % 2 or text.count("'") % 2:
        return None  # an odd quote count: mostly a broken string (rarely `"it's"`: the ast path reads it)
    if not text.isascii() and not _encodable(text):
        return None  # a lone surrogate: the compiler cannot encode the text
    if text[0] != "[":
        read = _call(text, 0)
        return [read[0]] if read is not None and read[1] == len(text) else None
    calls: list[ParsedCall] = []
    pos = 1
    while True:
        while text.startswith((" ", "\t", "\n"), pos):
            pos += 1
        read = _call(text, pos)
        if read is None:
            return None
        calls.append(read[0])
        after = _AFTER.match(text, read[1])
        if after is None:
            return None
        if after.group(1) == "]":
            break
        if after.group(1) != "," or len(calls) >= MAX_CALLS:
            return None
        pos = after.end()
    return calls if after.end() == len(text) else None
