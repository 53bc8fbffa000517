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
_STRING = (
    r'"([^"\\\x00-\x08\x0a-\x1f\ud800-\udfff]*)"'  # 1: double-quoted
    r"|'([^'\\\x00-\x08\x0a-\x1f\ud800-\udfff]*)'"  # 2: single-quoted
)
_VALUE = (
    _STRING + r"|(-?(?:0|[1-9][0-9]{0,40})(?:\.[0-9]{1,40})?(?:[eE][+-]?[0-9]{1,3})?)"  # 3: a number
    rf"|({_DOTTED})"  # 4: a name
    r"|([\[{])"  # 5: a container
)
_HEAD = re.compile(rf"({_DOTTED})\(")
_ARG = re.compile(rf"{_WS}({_IDENT}){_WS}={_WS}(?:{_VALUE})")
_ITEM = re.compile(rf"{_WS}(?:{_VALUE})")
_KEY = re.compile(rf"{_WS}(?:{_STRING}){_WS}:")
_SEP = re.compile(rf"{_WS}([,)\]}}])")
_CLOSE = re.compile(rf"{_WS}([)\]}}])")
_NAMED = {"true": True, "false": False, "null": None, "none": None}


def _name_value(name: str) -> Any:
    """What ``scan.ast_value`` makes of a bare (dotted) name; ``None`` marks a keyword (not fast).
    ``True``/``False``/``None`` come back boxed in a list so that ``None`` stays a value."""
    if "." in name:
        return None if any(part in _KEYWORDS for part in name.split(".")) else [name]
    if name in _KEYWORDS:
        return (
            [{"True": True, "False": False, "None": None}[name]]
            if name in ("True", "False", "None")
            else None
        )
    return [_NAMED.get(name.lower(), name)]


def _scalar(m: re.Match[str], base: int) -> list[Any] | None:
    """The value of a matched string/number/name (boxed), ``None`` if not fast."""
    text = m.group(base + 1)
    if text is not None:
        return [text]
    text = m.group(base + 2)
    if text is not None:
        return [text]
    text = m.group(base + 3)
    if text is not None:
        return [float(text) if "." in text or "e" in text or "E" in text else int(text)]
    return _name_value(m.group(base + 4))


def _value(text: str, m: re.Match[str], base: int, depth: int) -> tuple[Any, int] | None:
    """The value matched by ``m`` (groups from ``base``), and where it ends; ``None`` if not fast."""
    opener = m.group(base + 5)
    if opener is None:
        boxed = _scalar(m, base)
        return None if boxed is None else (boxed[0], m.end())
    if depth >= MAX_FAST_DEPTH:
        return None
    return _list(text, m.end(), depth + 1) if opener == "[" else _dict(text, m.end(), depth + 1)


def _list(text: str, pos: int, depth: int) -> tuple[Any, int] | None:
    out: list[Any] = []
    close = _CLOSE.match(text, pos)
    if close is not None:
        return (out, close.end()) if close.group(1) == "]" else None
    while True:
        m = _ITEM.match(text, pos)
        if m is None:
            return None
        read = _value(text, m, 0, depth)
        if read is None:
            return None
        out.append(read[0])
        sep = _SEP.match(text, read[1])
        if sep is None:
            return None
        if sep.group(1) == "]":
            return out, sep.end()
        if sep.group(1) != ",":
            return None
        pos = sep.end()


def _dict(text: str, pos: int, depth: int) -> tuple[Any, int] | None:
    out: dict[str, Any] = {}
    close = _CLOSE.match(text, pos)
    if close is not None:
        return (out, close.end()) if close.group(1) == "}" else None
    while True:
        k = _KEY.match(text, pos)
        if k is None:
            return None
        key = k.group(1) if k.group(1) is not None else k.group(2)
        m = _ITEM.match(text, k.end())
        if m is None:
            return None
        read = _value(text, m, 0, depth)
        if read is None:
            return None
        out[key] = read[0]
        sep = _SEP.match(text, read[1])
        if sep is None:
            return None
        if sep.group(1) == "}":
            return out, sep.end()
        if sep.group(1) != ",":
            return None
        pos = sep.end()


def _call(text: str, pos: int) -> tuple[ParsedCall, int] | None:
    """One call ``name(k=v, ...)`` from ``pos``, and where it ends; ``None`` if not fast."""
    head = _HEAD.match(text, pos)
    if head is None:
        return None
    name = head.group(1)
    if (name in _KEYWORDS) if "." not in name else any(p in _KEYWORDS for p in name.split(".")):
        return None
    arguments: dict[str, Any] = {}
    pos = head.end()
    close = _CLOSE.match(text, pos)
    if close is not None:
        return (ParsedCall(name, arguments, True), close.end()) if close.group(1) == ")" else None
    seen: set[str] = set()
    while True:
        m = _ARG.match(text, pos)
        if m is None:
            return None
        kw = m.group(1)
        if kw in _KEYWORDS or kw == "__debug__" or kw in seen:
            return None  # a keyword or a repeated keyword: a syntax error for the compiler
        seen.add(kw)
        read = _value(text, m, 1, 0)
        if read is None:
            return None
        arguments[kw.removeprefix("_rbtc_kw_")] = read[0]
        sep = _SEP.match(text, read[1])
        if sep is None:
            return None
        if sep.group(1) == ")":
            return ParsedCall(name, arguments, True), sep.end()
        if sep.group(1) != ",":
            return None
        pos = sep.end()


def fast_calls(text: str) -> list[ParsedCall] | None:
    """The calls of ``[f(a=1), g()]`` or ``f(a=1)`` in the plain layout (see the module), or
    ``None`` when the text is anything else (then ``ast.parse`` decides)."""
    if len(text) > MAX_FAST_LEN or not text:
        return None
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
        sep = _SEP.match(text, read[1])
        if sep is None:
            return None
        if sep.group(1) == "]":
            break
        if sep.group(1) != "," or len(calls) >= MAX_CALLS:
            return None
        pos = sep.end()
    return calls if sep.end() == len(text) else None
