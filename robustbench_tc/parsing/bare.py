"""The bare-call reader: Python calls and BFCL bracket lists that stand alone as statements.

A candidate starts a line (after a list marker, a code span, bold, a ``...:`` preamble or a
sentence's end) and its closing bracket ends the line (before a ``;``, ``.``, ``,``, a closing
code span, a comment or a new sentence); a multi-line call or list counts when its closing bracket
ends its last line.  Also read: a **quoted call** (``'f(a=1)'``, ``"[f(a=1)]"``), a **quoted-call
list** (``['f(a=1)', "g(b=2)"]``, which BFCL's own decoder accepts), Gemma's markdown-link
``[f(a=1)]()``, Gemma's ``tool_code`` ``print(default_api.f(a=1))``, and ``multi_tool_use.parallel``
(its ``tool_uses`` are the calls).  A statement the text ends inside (cut off by the token
limit) is read as far as it goes: its complete calls, and the cut one with unreadable arguments.

Which candidates stand as the answer is decided by ``standing.mention``, as for every reader.

>>> [c.name for f in standalone_spans('Here is the call:\\n```python\\nget_weather(city="Paris")\\n```') for c in f.calls]
['get_weather']
>>> [c.to_json() for f in standalone_spans("['rectangle.area(length=12, width=5)']") for c in f.calls]
[{'name': 'rectangle.area', 'arguments': {'length': 12, 'width': 5}}]
>>> [(c.name, c.arguments_ok) for f in standalone_spans('[f(a=1), g(b="cut') for c in f.calls]
[('f', True), ('g', False)]
>>> standalone_spans("print(get_weather(city='Paris'))"), standalone_spans("x = get_weather(city='Paris')")
([], [])
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import islice

from robustbench_tc.parsing.answer import depth_change
from robustbench_tc.parsing.calls import MAX_CALLS, Found, ParsedCall, expand_wrappers, without_namespace
from robustbench_tc.parsing.fastcalls import fast_calls
from robustbench_tc.parsing.scan import balanced, python_literal
from robustbench_tc.parsing.standing import MAX_TAIL, is_tool_call

MAX_LINES = 2000
"""Line visits spent looking for standalone calls in one output (later lines are not read)."""
MAX_CALL_LINES = 200
"""Lines one multi-line call statement may span."""
MAX_CALL_CHARS = 20_000
"""Characters one multi-line call statement may span."""

_LEAD = re.compile(r"[ \t]*(?:(?:[-*+>]|\d{1,3}[.)])[ \t]+)?[`*]{0,3}[ \t]*")
"""A line's start: indentation, a list or quote marker, an opening code span or bold."""
_PREAMBLE = re.compile(
    r"[ \t]*(?:(?:[-*+>]|\d{1,3}[.)])[ \t]+)?[^\n:(){}\[\]`\"'=]{1,200}:[*_]{0,3}[ \t]+[`*]{0,3}[ \t]*"
)
"""``Here is the function call: f(a=1)``: a short preamble ending in a colon on the call's line."""
_CALL_HEAD = re.compile(r"[A-Za-z_]\w{0,127}(?:\.[A-Za-z_]\w{0,127}){0,8}(?=\()")
_TAIL_AT_END = re.compile(r"[ \t]*[`*]{0,3}[ \t]*[;.,]?[ \t]*(?:#[^\n]*)?$", re.MULTILINE)
"""What may follow a standalone call at the end of its line: a closing code span or bold, ``;``,
``.`` or ``,``, a comment."""


def _end_before_tail(text: str, start: int, line_end: int) -> int:
    """Where a line's content ends once its allowed tail (closing backticks or bold, ``;``, ``.``,
    ``,``, a ``# comment``) is cut off."""
    end = len(text[start:line_end].rstrip(" \t`*;.,\r")) + start
    if end > start and text[end - 1] in ")]":
        return end
    return tail_start(text, max(start, line_end - MAX_TAIL), line_end)


def tail_start(text: str, lo: int, hi: int) -> int:
    """Where ``_TAIL_AT_END`` first matches in ``text[lo:hi]`` (one line: no newline in it), found
    from the right in a few steps instead of by a regex search that retries every position.

    The tail is ``_`` ``[`*]{0,3}`` ``_`` ``[;.,]?`` ``_`` (``_``: spaces and tabs), then an optional
    ``# comment``.  Without a ``#`` the leftmost match starts where the longest such suffix
    starts; with one, the comment starts at the first ``#`` (a later ``#`` or the comment-free
    suffix starts after it), preceded by the longest such suffix of the text before it.

    >>> t = "f(a=1) `;  # note"
    >>> tail_start(t, 0, len(t)), _TAIL_AT_END.search(t, 0, len(t)).start()
    (6, 6)
    """
    hash_at = text.find("#", lo, hi)
    i = hash_at if hash_at >= 0 else hi
    while i > lo and text[i - 1] in " \t":
        i -= 1
    if i > lo and text[i - 1] in ";.,":
        i -= 1
        while i > lo and text[i - 1] in " \t":
            i -= 1
    marks = 0
    while marks < 3 and i > lo and text[i - 1] in "`*":
        i -= 1
        marks += 1
    if marks:
        while i > lo and text[i - 1] in " \t":
            i -= 1
    return i


_SENTENCE_AFTER = re.compile(r"[.!?][ \t]+[`*\"'(]{0,3}[A-Z0-9]")
_SENTENCE_AFTER_LIST = re.compile(r"[.!?]?[ \t]+[`*\"'(]{0,3}[A-Z0-9]")
"""A sentence after a call on its line (``f(a=1). This returns ...``; a bracket list needs no
period: ``[f(a=1)] This call returns ...``)."""
_SENTENCE_BREAK = re.compile(r"[.!?][ \t]+[`*]{0,3}")
"""The start of a line's next sentence: a call may stand there (``Sure! [f(a=1)]``)."""
MAX_SENTENCE_STARTS = 4
"""Sentence starts tried per line (after the line's own start)."""


def _end_before_sentence(text: str, start: int, opener: int, line_end: int) -> int | None:
    """Where a call closing before a new sentence on its line ends, or ``None``."""
    if not _SENTENCE_AFTER_LIST.search(text, opener, line_end):
        return None
    segment = balanced(text, opener, max_len=min(line_end - opener, MAX_CALL_CHARS))
    if segment is None:
        return None
    end = opener + len(segment)
    if start < opener and text.startswith("[", start):  # `[f(a=1)]`: the list's own bracket closes
        close = text.find("]", end, line_end)
        end = close + 1 if close >= 0 and not text[end:close].strip() else -1
    after = _SENTENCE_AFTER_LIST if text.startswith("[", start) else _SENTENCE_AFTER
    return end if end > 0 and after.match(text, end, line_end) else None


def _statement_end(text: str, start: int, opener: int, line_end: int, budget: list[int]) -> int | None:
    """Where the statement opening its bracket at ``opener`` ends (the index after its closing
    bracket), or ``None``.  On its own line the closing bracket must end the line (before an
    allowed tail); a multi-line statement ends on the first later line where the bracket count
    returns to zero.  Brackets are counted per line with ``str.count`` (quotes ignored); the
    parse that follows decides."""
    line = text[opener:line_end]
    depth = depth_change(line)
    end = _end_before_tail(text, opener, line_end)
    closed = end > opener and text[end - 1] in ")]"
    if closed and (depth <= 0 or well_formed(text[start:end])):  # a bracket inside a string: '"{"'
        return end
    if depth <= 0:
        return _end_before_sentence(text, start, opener, line_end)
    pos, lines = line_end + 1, 0
    n = len(text)
    while pos <= n and lines < MAX_CALL_LINES and pos - opener < MAX_CALL_CHARS and budget[0] > 0:
        budget[0] -= 1
        nxt = text.find("\n", pos)
        nxt = n if nxt < 0 else nxt
        depth += depth_change(text[pos:nxt])
        lines += 1
        if depth <= 0:
            end = _end_before_tail(text, pos, nxt)
            return end if end > pos and text[end - 1] in ")]" else None
        pos = nxt + 1
    return -min(pos, n + 1)  # never closes: the caller skips to here


_PRINT_WRAP = re.compile(r"print\(\s*((?:default_api|functions)\.[A-Za-z_][\w.]*\(.*\))\s*\)", re.DOTALL)
"""``print(default_api.f(a=1))``: Gemma's ``tool_code`` convention prints the tool call it makes."""


def _without_namespace(call: ParsedCall) -> ParsedCall:
    name = without_namespace(call.name)
    return call if name == call.name else ParsedCall(name, call.arguments, call.arguments_ok, call.name)


_TOKEN = re.compile(r"[()\[\]{}\"'\\]")
_BETWEEN_CALLS = re.compile(r"[ \t]*[,;][ \t]*[A-Za-z_][\w.]*[ \t]*")
_PAIR = {"(": ")", "[": "]", "{": "}"}
MAX_NESTING = 64
"""Deeper bracket nesting than this is never a tool call (and is not handed to ``ast.parse``)."""


def well_formed(segment: str) -> bool:
    """A cheap check before ``ast.parse``: the brackets pair up (quote-aware), nest at most
    ``MAX_NESTING`` deep, and between top-level groups stand only ``, name`` (``f(a=1), g(b=2)``).
    Python's parser can spend long on a long malformed candidate; this walk is linear.

    >>> well_formed('[f(a=")")]'), well_formed("f(a=1), g(b=2)"), well_formed("f(x) and g(y)")
    (True, True, False)
    >>> well_formed("[f(x=" + "[" * 100 + "]" * 100 + ")]")
    False
    """
    stack: list[str] = []
    quote = ""
    last_close = -1
    escaped_at = -1
    for m in _TOKEN.finditer(segment):
        ch, i = m.group(), m.start()
        if quote:
            if i == escaped_at:
                pass  # the character after a backslash
            elif ch == "\\":
                escaped_at = i + 1
            elif ch == quote:
                quote = ""
            continue
        if ch == "\\":
            continue
        if ch in "\"'":
            quote = ch
        elif ch in _PAIR:
            if not stack and last_close >= 0 and not _BETWEEN_CALLS.fullmatch(segment, last_close + 1, i):
                return False
            stack.append(_PAIR[ch])
            if len(stack) > MAX_NESTING:
                return False
        else:
            if not stack or stack.pop() != ch:
                return False
            if not stack:
                last_close = i
    return not stack and not quote


_SEGMENT_READER: list[Callable[[str, bool], list[ParsedCall]]] = []


def calls_from_segment(segment: str, fast_tried: bool = False) -> list[ParsedCall]:
    """``variants.calls_from_segment`` (``variants`` imports this module: it is looked up once)."""
    if not _SEGMENT_READER:
        from robustbench_tc.parsing.variants import calls_from_segment as read

        _SEGMENT_READER.append(read)
    return _SEGMENT_READER[0](segment, fast_tried)


_QUOTES = "'\""
_SEMICOLON_TOKEN = re.compile(r"[()\[\]{}\"';\\]")


def _semicolons_as_commas(segment: str) -> str:
    """``f(a=1); g(b="x;y")`` -> ``f(a=1), g(b="x;y")``: the top-level semicolons of a well-formed
    segment (quote-aware) separate its calls as commas do.

    >>> _semicolons_as_commas('f(a=1); g(b="x;y")')
    'f(a=1), g(b="x;y")'
    """
    out = list(segment)
    depth, quote, escaped = 0, "", False
    for m in _SEMICOLON_TOKEN.finditer(segment):
        ch, i = m.group(), m.start()
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in _QUOTES:
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == ";" and depth == 0:
            out[i] = ","
    return "".join(out)


def _quoted_calls(text: str, start: int, line_end: int) -> Found | None:
    """A quoted call or bracket list standing on its line: ``'f(a=1)'``, ``"[f(a=1)]"``."""
    quote = text[start]
    close = text.rfind(quote, start + 1, line_end)
    if close < 0 or text[close + 1 : line_end].strip(" \t`*;.,"):
        return None
    inner = python_literal(text[start : close + 1])
    if not isinstance(inner, str) or not (inner.startswith("[") or _CALL_HEAD.match(inner)):
        return None
    calls = [_without_namespace(c) for c in calls_from_segment(inner.strip()) if is_tool_call(c, True)]
    return Found(start, close + 1, calls) if calls else None


_ITEM_END = re.compile(r"[()\[\]{}\"',\\]")


def truncated_calls(segment: str) -> list[ParsedCall]:
    """The calls of a statement the text ends inside: the complete ones, and the cut one (its
    name written) with unreadable arguments.

    >>> truncated_calls('[f(a=1), g(b=[1, 2')
    [ParsedCall(name='f', arguments={'a': 1}, arguments_ok=True), ParsedCall(name='g', arguments={}, arguments_ok=False)]
    >>> truncated_calls("get_weather(city='Par"), truncated_calls("[[[[")
    ([ParsedCall(name='get_weather', arguments={}, arguments_ok=False)], [])
    """
    body = segment[1:] if segment.startswith("[") else segment
    if not _CALL_HEAD.match(body.lstrip()):
        return []  # not even the first call's name is complete
    items: list[str] = []
    depth, quote, escaped, begin = 0, "", False, 0
    for m in _ITEM_END.finditer(body):
        ch, i = m.group(), m.start()
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
            continue
        if ch in _QUOTES:
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                break
        elif ch == "," and depth == 0:
            items.append(body[begin:i])
            begin = i + 1
        if len(items) >= MAX_CALLS:
            break
    items.append(body[begin:])
    calls: list[ParsedCall] = []
    for item in items[:MAX_CALLS]:
        item = item.strip()
        head = _CALL_HEAD.match(item)
        if head is None:
            break
        read = calls_from_segment(item) if item.endswith(")") else []
        calls.extend(read or [ParsedCall(head.group(), {}, False)])
    return [_without_namespace(c) for c in calls if is_tool_call(c, True)]


def standalone_spans(text: str) -> list[Found]:
    """Every bare call or bracket list standing alone as a statement (see the module), as spans.
    Lines inside a candidate (its arguments) are never candidates themselves, so each character is
    parsed at most once or twice, and the brackets are matched by ``ast.parse`` itself."""
    whole_not_fast = False  # `fast_calls(text)` is known to be None
    if text.startswith("[") and "\n" not in text:
        # One line opening with "[": the loop's first candidate is the list's own bracket at 0.
        # A plain list that `fast_calls` reads (so `well_formed` accepts it) is taken whole,
        # unless none of its calls is a tool.
        if text.endswith("]"):
            parsed = fast_calls(text)
            found = [_without_namespace(c) for c in parsed if is_tool_call(c, True)] if parsed else []
            if found:
                return [Found(0, len(text), expand_wrappers(found)[:MAX_CALLS])]
            whole_not_fast = parsed is None
        else:  # the loop's first candidate would be the list's own bracket at 0: never closed?
            first_end = _statement_end(text, 0, 0, len(text), [MAX_LINES])
            if first_end is not None and first_end < 0:
                cut = truncated_calls(text.rstrip()) if len(text) <= MAX_CALL_CHARS else []
                return [Found(0, len(text), cut, cut=True)] if cut else []
    spans: list[Found] = []
    n_calls = 0
    pos, n = 0, len(text)
    budget = [MAX_LINES]  # line visits, the multi-line scans' included
    while budget[0] > 0:
        budget[0] -= 1
        if pos > n:
            break
        line_end = text.find("\n", pos)
        line_end = n if line_end < 0 else line_end
        next_pos = line_end + 1
        starts = [
            m.end() for m in (_LEAD.match(text, pos, line_end), _PREAMBLE.match(text, pos, line_end)) if m
        ]
        sentences = _SENTENCE_BREAK.finditer(text, pos, min(line_end, pos + MAX_TAIL))
        starts.extend(m.end() for m in islice(sentences, MAX_SENTENCE_STARTS))
        for start in starts:
            if start < line_end and text[start] in _QUOTES:
                quoted = _quoted_calls(text, start, line_end)
                if quoted is not None:
                    spans.append(quoted)
                    n_calls += len(quoted.calls)
                    break
                continue
            head = _CALL_HEAD.match(text, start, line_end)
            opener = head.end() if head else (start if text.startswith("[", start) else -1)
            if opener < 0:
                continue
            end = _statement_end(text, start, opener, line_end, budget)
            if end is None:
                continue
            if end < 0:  # an unclosed bracket: everything up to where the search stopped is inside it
                if -end > n and n - start <= MAX_CALL_CHARS:  # the text ends inside it: cut off
                    cut = truncated_calls(text[start:].rstrip())
                    if cut:
                        spans.append(Found(start, n, cut, cut=True))
                        n_calls += len(cut)
                next_pos = max(next_pos, -end)
                break
            segment = text[start:end]
            if segment.startswith("[") and segment.endswith("]()"):  # Gemma's markdown link `[f(a=1)]()`
                segment = segment[:-2]
            if end > line_end:
                nxt = text.find("\n", end)
                next_pos = n + 1 if nxt < 0 else nxt + 1
            # the plain layout: well formed, no print wrapper
            parsed = None if whole_not_fast and end - start == n else fast_calls(segment)
            if parsed is None:
                if not well_formed(segment):
                    continue
                if ";" in segment:  # `f(a=1); g(b=2)`: statements on one line (NexusRaven)
                    segment = _semicolons_as_commas(segment)
                wrapped = _PRINT_WRAP.fullmatch(segment)  # Gemma's tool_code `print(default_api.f(a=1))`
                if wrapped is not None:
                    segment = wrapped.group(1)
                parsed = calls_from_segment(segment, fast_tried=wrapped is None)
            found = [_without_namespace(c) for c in parsed if is_tool_call(c, segment.startswith("["))]
            if found:
                spans.append(Found(start, end, expand_wrappers(found)))
                n_calls += len(found)
                break
        if n_calls >= MAX_CALLS:
            break
        pos = next_pos
    return spans
