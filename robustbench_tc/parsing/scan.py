"""Bounded, exception-free readers of JSON values and Python literals inside free text.

Every helper here is safe on hostile input: no ``eval``; Python literals are read by walking the
``ast`` ourselves (constants, containers, unary minus, names) with a depth limit; the number of
candidate positions tried per scan and the length of a candidate are bounded, so a call costs at
most ``O(MAX_ATTEMPTS * MAX_SEGMENT)`` character steps however the text looks.

>>> list(json_values('say {"a": 1} then [2, 3]'))
[{'a': 1}, [2, 3]]
>>> python_literal("{'a': (1, -2.5), 'b': None, 'c': true}")
{'a': [1, -2.5], 'b': None, 'c': True}
>>> balanced("f(a=')', b=[1, 2]) tail", 1)
"(a=')', b=[1, 2])"
>>> python_literal("10**100000") is NOT_A_LITERAL
True
"""

from __future__ import annotations

import ast
import json
import re
from bisect import bisect_left
from collections.abc import Iterator
from functools import lru_cache
from itertools import islice
from typing import Any

MAX_DEPTH = 64
"""Deepest container nesting accepted inside one literal."""
MAX_ATTEMPTS = 256
"""Most candidate start positions one scan tries."""
MAX_SEGMENT = 100_000
"""Longest bracketed segment considered (characters)."""

_OPENERS = {"(": ")", "[": "]", "{": "}"}
_NAMED_CONSTANTS = {"true": True, "false": False, "null": None, "none": None}


class _NotALiteral:
    def __repr__(self) -> str:
        return "NOT_A_LITERAL"


NOT_A_LITERAL: Any = _NotALiteral()
"""Returned by ``python_literal`` / ``ast_value`` when the text is not a plain literal."""

_DECODER = json.JSONDecoder(strict=False)
"""``strict=False``: models often write a multi-line string value with literal newlines."""


def json_at(text: str, start: int) -> tuple[Any, int] | None:
    """The JSON value starting exactly at ``start`` and where it ends, or ``None``.

    >>> json_at('x = {"k": [1, 2]} y', 4)
    ({'k': [1, 2]}, 17)
    >>> json_at('{"k": 1', 0) is None
    True
    >>> json_at('{"body": "Hi\\nBye"}', 0)[0]
    {'body': 'Hi\\nBye'}
    """
    try:
        return _DECODER.raw_decode(text, start)
    except (ValueError, RecursionError, MemoryError, OverflowError):
        return None


MAX_FAILED_DECODE = 200_000
"""Characters that failed JSON attempts of one scan may read, in all, before the scan stops."""
_RECURSION_COST = 20_000
"""What a decode that hit the recursion limit is charged (it read deeply nested brackets)."""


def json_values(
    text: str, openers: str = "{[", max_attempts: int = MAX_ATTEMPTS, keys: re.Pattern[str] | None = None
) -> Iterator[Any]:
    """Every top-level JSON object/array in ``text``, left to right, non-overlapping (``json_spans``
    without the positions)."""
    for _, _, value in json_spans(text, openers, max_attempts, keys):
        yield value


def json_spans(
    text: str, openers: str = "{[", max_attempts: int = MAX_ATTEMPTS, keys: re.Pattern[str] | None = None
) -> Iterator[tuple[int, int, Any]]:
    """``(start, end, value)`` for every top-level JSON object/array in ``text``, left to right,
    non-overlapping.

    >>> list(json_spans('a {"x": 1} b [2]'))
    [(2, 10, {'x': 1}), (13, 16, [2])]

    The work is bounded: at most ``max_attempts`` start positions, and failed attempts may read
    ``MAX_FAILED_DECODE`` characters in all.  With ``keys``, only openers followed within
    ``KEY_WINDOW`` characters by a match of ``keys`` (e.g. a quoted ``"name"``) are tried."""
    pos, attempts, failed = 0, 0, 0
    n = len(text)
    max_failed = min(MAX_FAILED_DECODE, 4 * n + 4096)
    key_starts = _KeyStarts(text, keys) if keys is not None else None
    while pos < n and attempts < max_attempts and failed < max_failed:
        start = _next_opener(text, pos, openers)
        if start < 0:
            return
        if key_starts is not None:
            key = key_starts.first_from(start)
            if key is None:
                return
            if key - start > KEY_WINDOW:
                pos = max(start + 1, key - KEY_WINDOW)
                continue
        attempts += 1
        try:
            value, end = _DECODER.raw_decode(text, start)
        except ValueError as exc:
            failed += max(1, getattr(exc, "pos", start + 1) - start)
            pos = start + 1
            continue
        except (RecursionError, MemoryError, OverflowError):
            failed += _RECURSION_COST
            pos = start + 1
            continue
        yield start, end, value
        pos = end


KEY_WINDOW = 300
"""How far after an opener a call object's name key may start (``{"id": ..., "type": "function",
"function": {"name": ...`` fits)."""
MAX_KEY_POSITIONS = 10_000


class _KeyStarts:
    """Where the first ``MAX_KEY_POSITIONS`` matches of ``keys`` start (``finditer``'s
    non-overlapping matches, left to right), read from the text only as far as asked.

    >>> import re
    >>> keys = _KeyStarts('{"a": {"name": 1}, "name": 2}', re.compile('"name"'))
    >>> keys.first_from(0), keys.first_from(8), keys.first_from(8), keys.first_from(20)
    (7, 19, 19, None)
    """

    def __init__(self, text: str, keys: re.Pattern[str]) -> None:
        self._matches = islice(keys.finditer(text), MAX_KEY_POSITIONS)
        self._starts: list[int] = []
        self._done = False

    def first_from(self, start: int) -> int | None:
        """The first key start at or after ``start``, or ``None``."""
        starts = self._starts
        while not self._done and (not starts or starts[-1] < start):
            match = next(self._matches, None)
            if match is None:
                self._done = True
            else:
                starts.append(match.start())
        i = bisect_left(starts, start)
        return starts[i] if i < len(starts) else None


def _next_opener(text: str, pos: int, openers: str) -> int:
    best = -1
    for ch in openers:
        i = text.find(ch, pos)
        if i >= 0 and (best < 0 or i < best):
            best = i
    return best


def balanced(text: str, start: int, max_len: int = MAX_SEGMENT) -> str | None:
    """The bracketed segment opening at ``text[start]`` (quote-aware), or ``None`` if it does not
    close within ``max_len`` characters or the brackets do not pair up."""
    if start >= len(text) or text[start] not in _OPENERS:
        return None
    stack: list[str] = []
    quote = ""
    escaped_at = -1  # the character after a backslash inside a quote: skipped
    for m in _BALANCE_TOKEN.finditer(text, start, min(len(text), start + max_len)):
        ch, i = m.group(), m.start()
        if quote:
            if i == escaped_at:
                continue
            if ch == "\\":
                escaped_at = i + 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in _OPENERS:
            stack.append(_OPENERS[ch])
        elif ch != "\\":
            if not stack or stack.pop() != ch:
                return None
            if not stack:
                return text[start : i + 1]
    return None


_BALANCE_TOKEN = re.compile(r"[()\[\]{}\"'\\]")
"""What ``balanced`` looks at (the characters between are skipped by the regex engine)."""


_BRACKETS = re.compile(r"[()\[\]{}]")
MAX_QUOTE_AWARE_RETRIES = 8
"""Candidates whose plain bracket match failed that get a slower quote-aware match."""


@lru_cache(maxsize=8)
def bracket_pairs(text: str) -> dict[int, int]:
    """Opening index -> closing index of every bracket pair, in one linear pass that ignores
    quotes (a mismatched closer discards whatever is open).

    >>> bracket_pairs("a[b(c)]d{")
    {3: 5, 1: 6}
    """
    stack: list[tuple[str, int]] = []
    pairs: dict[int, int] = {}
    for m in _BRACKETS.finditer(text):
        ch, i = m.group(), m.start()
        if ch in _OPENERS:
            stack.append((_OPENERS[ch], i))
        elif stack and stack[-1][0] == ch:
            pairs[stack.pop()[1]] = i
        else:
            stack.clear()
    return pairs


def segments(text: str, opener: str, limit: int = MAX_ATTEMPTS) -> Iterator[tuple[int, str]]:
    """``(start, segment)`` for the first ``limit`` occurrences of ``opener`` whose bracket closes:
    the plain pairing first, a quote-aware one for a few that do not pair up plainly.  Yields
    also the quote-aware reading when it differs (a bracket inside a string literal)."""
    pairs = bracket_pairs(text)
    retries = 0
    pos, tried = 0, 0
    while tried < limit:
        start = text.find(opener, pos)
        if start < 0:
            return
        tried += 1
        pos = start + 1
        end = pairs.get(start)
        if end is not None and end - start < MAX_SEGMENT:
            yield start, text[start : end + 1]
        if retries < MAX_QUOTE_AWARE_RETRIES:
            segment = balanced(text, start, max_len=20_000)
            if segment is not None and (end is None or len(segment) != end - start + 1):
                retries += 1
                yield start, segment
            elif end is None:
                retries += 1


def parse_expression(source: str) -> ast.expr | None:
    """``ast.parse(source, mode="eval").body`` or ``None``; never raises."""
    if len(source) > MAX_SEGMENT:
        return None
    try:
        return ast.parse(source, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError, TypeError):
        return None


def ast_value(node: ast.AST, depth: int = 0) -> Any:
    """The plain value of a literal expression node, or ``NOT_A_LITERAL``.

    Accepted: str/int/float/bool/None constants, lists, tuples and sets (as lists), dicts,
    unary +/- on numbers, and bare names (``true``/``false``/``null`` map to JSON values; any other
    name or dotted name is kept as its text, the way a call like ``f(unit=celsius)`` was meant).
    """
    if depth > MAX_DEPTH:
        return NOT_A_LITERAL
    if isinstance(node, ast.Constant):
        value = node.value
        if value is None or isinstance(value, (str, bool, int, float)):
            return value
        return NOT_A_LITERAL
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [ast_value(e, depth + 1) for e in node.elts]
        return NOT_A_LITERAL if any(i is NOT_A_LITERAL for i in items) else items
    if isinstance(node, ast.Dict):
        out: dict[str, Any] = {}
        for k, v in zip(node.keys, node.values):
            if k is None:
                return NOT_A_LITERAL
            key, value = ast_value(k, depth + 1), ast_value(v, depth + 1)
            if key is NOT_A_LITERAL or value is NOT_A_LITERAL or isinstance(key, (list, dict)):
                return NOT_A_LITERAL
            out[key if isinstance(key, str) else json.dumps(key)] = value
        return out
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = ast_value(node.operand, depth + 1)
        if isinstance(operand, (int, float)) and not isinstance(operand, bool):
            return -operand if isinstance(node.op, ast.USub) else operand
        return NOT_A_LITERAL
    if isinstance(node, ast.BinOp) and isinstance(node.op, _ARITHMETIC):
        return _arithmetic(node, depth)
    name = dotted_name(node)
    if name is not None:
        return _NAMED_CONSTANTS.get(name.lower(), name) if "." not in name else name
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):  # data['sales']
        base = dotted_name(node.value)
        key = node.slice.value
        if base is not None and isinstance(key, (str, int)) and not isinstance(key, bool):
            return f"{base}[{key!r}]"
    return NOT_A_LITERAL


_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
MAX_EXPONENT = 64
"""``10**(-12)`` is read as a number; a larger exponent (``10**100000``) is not a literal."""
MAX_OPERAND = 1e18


def _arithmetic(node: ast.BinOp, depth: int) -> Any:
    """The value of arithmetic on number literals (``5/100``, ``5*10**(-12)``), as a careful reader
    reads it; bounded (small exponents and operands), never ``eval``.

    >>> python_literal("5*10**(-12)"), python_literal("5/100"), python_literal("2**100000") is NOT_A_LITERAL
    (5e-12, 0.05, True)
    """
    left, right = ast_value(node.left, depth + 1), ast_value(node.right, depth + 1)
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right)):
        return NOT_A_LITERAL
    if abs(left) > MAX_OPERAND or abs(right) > MAX_OPERAND:
        return NOT_A_LITERAL
    try:
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            return left / right
        if abs(right) > MAX_EXPONENT or not float(right).is_integer():
            return NOT_A_LITERAL
        result = left ** int(right)
        return result if abs(result) <= MAX_OPERAND**2 else NOT_A_LITERAL
    except (ZeroDivisionError, OverflowError, ValueError):
        return NOT_A_LITERAL


def dotted_name(node: ast.AST, depth: int = 0) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else ``None``.

    >>> dotted_name(ast.parse("mutation_type.find", mode="eval").body)
    'mutation_type.find'
    """
    if depth > MAX_DEPTH:
        return None
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value, depth + 1)
        return f"{base}.{node.attr}" if base is not None else None
    return None


def python_literal(source: str) -> Any:
    """A Python (or JSON-ish) literal from text, or ``NOT_A_LITERAL``."""
    node = parse_expression(source.strip())
    return NOT_A_LITERAL if node is None else ast_value(node)


def structured_value(text: str) -> Any:
    """JSON first, then a Python literal; ``NOT_A_LITERAL`` if neither reads the whole text.

    >>> structured_value(" {'city': 'Paris'} ")
    {'city': 'Paris'}
    """
    stripped = text.strip()
    if not stripped:
        return NOT_A_LITERAL
    found = json_at(stripped, 0)
    if found is not None and found[1] == len(stripped):
        return found[0]
    return python_literal(stripped)


def strip_code_fences(text: str) -> str:
    """Drop markdown code-fence lines (```json ... ```), keeping their content.

    >>> strip_code_fences("```json\\n{}\\n```")
    '\\n{}\\n'
    """
    if "```" not in text:
        return text
    lines = text.split("\n")
    return "\n".join("" if line.lstrip().startswith("```") else line for line in lines)


def unclosed_to_end(text: str, start: int, max_len: int = MAX_SEGMENT) -> bool:
    """Whether the bracket opening at ``text[start]`` is still open where the text ends (quote-aware;
    a closing bracket that does not match, or a text longer than ``max_len``, is not a cut-off).

    >>> unclosed_to_end('{"name": "f", "arguments": {"a": [1, 2', 0), unclosed_to_end('{"a": 1} x', 0)
    (True, False)
    """
    if start >= len(text) or text[start] not in _OPENERS or len(text) - start > max_len:
        return False
    stack: list[str] = []
    quote = ""
    escaped_at = -1
    for m in _BALANCE_TOKEN.finditer(text, start):
        ch, i = m.group(), m.start()
        if quote:
            if i == escaped_at:
                continue
            if ch == "\\":
                escaped_at = i + 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch if ch == '"' else quote  # JSON: only double quotes open strings
        elif ch in _OPENERS:
            stack.append(_OPENERS[ch])
        elif ch != "\\":
            if not stack or stack.pop() != ch:
                return False
            if not stack:
                return False
    return bool(stack)
