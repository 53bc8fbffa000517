"""When a call is *made*: the text a model writes is read the way a careful human reads it.

A call counts only when it stands as an answer (docs/scoring.md, "The model made this call"):

* a structured block: tool-call tags, a JSON object/list with name and arguments keys, ReAct
  ``Action:`` lines, a BFCL bracket list, a native ``name\\n{json}`` form (the variants);
* or a bare Python call standing alone as a statement: the whole answer, its own line (after a
  list marker or a ``Here is the call:`` preamble), or alone in a code fence.

A call inside a sentence, as an argument of another call (``print(f(x))``), on the right of an
assignment, inside example code (a fence or a run of lines holding ``def``/``import``/assignments,
or a fence in another programming language), or math notation (``sqrt(x)``, ``A(x1, y1)``) is a
mention.  ``prepare`` removes the mentions that sit in example code and undoes markdown escapes;
``standalone_calls`` finds the bare calls that stand alone.

>>> [c.name for c in standalone_calls('Here is the function call:\\n```python\\nget_weather(city="Paris")\\n```')]
['get_weather']
>>> standalone_calls('The call country_info.capital(country="Brazil") timed out. Please try again later.')
[]
>>> standalone_calls("print(get_weather(city='Paris'))"), standalone_calls("x = get_weather(city='Paris')")
([], [])
>>> prepare("```python\\nimport requests\\nrequests.get(url)\\n```\\nget\\\\_uv(a=1)").strip()
'get_uv(a=1)'
"""

from __future__ import annotations

import builtins
import math
import re
from collections.abc import Callable

from robustbench_tc.parsing.calls import MAX_CALLS, ParsedCall
from robustbench_tc.parsing.scan import balanced, bracket_pairs

MAX_LINES = 4000
"""Lines of one output inspected for standalone calls (more are ignored)."""
MAX_TUPLE_LINE = 2000
"""A line of calls separated by commas (``f(a=1), g(b=2)``) is read only up to this length."""
MAX_BALANCE_RETRIES = 8
"""Candidates whose plain bracket pairing fails that get a (slower) quote-aware pairing."""

NOT_TOOLS = (
    frozenset(dir(builtins))
    | frozenset(n for n in dir(math) if callable(getattr(math, n)) and not n.startswith("_"))
    | frozenset(
        {
            "ln",
            "lg",
            "log2",
            "log10",
            "sqrt",
            "cbrt",
            "arcsin",
            "arccos",
            "arctan",
            "sec",
            "csc",
            "cot",
            "det",
        }
    )
)
"""Names that are Python builtins or math functions: ``print(x)``, ``sqrt(b^2 - 4ac)`` are not tools."""

_ESCAPE = re.compile(r"(?<!\\)\\([_*\[\]()#`])")
_SPECIAL_TOKENS = re.compile(
    r"<\|python_tag\|>|<\|eom_id\|>|<\|eot_id\|>|<\|im_end\|>|<\|end\|>|\[TOOL_CALLS\]|<\|tool_call\|>"
    r"|<\|/tool_call\|>|<end_of_turn>|</s>"
)
_FENCE = "```"
_OTHER_LANGUAGES = frozenset(
    "javascript js typescript ts bash sh shell zsh console curl http java go golang rust ruby php c cpp "
    "c++ csharp cs kotlin swift r sql html xml yaml yml toml ini powershell ps1 perl scala dart lua".split()
)
_STATEMENT = re.compile(
    r"[ \t]*(?:"
    r"(?:def|class)[ \t]+\w|import[ \t]+\w|from[ \t]+[\w.]+[ \t]+import\b|return\b|raise\b|yield\b|assert\b"
    r"|(?:if|elif|while|with|for|except|async[ \t]+def)\b[^\n]*:[ \t]*(?:#[^\n]*)?$|(?:else|try|finally)[ \t]*:"
    r"|@[A-Za-z_]|(?:const|let|var|function)[ \t]+\w|curl[ \t]|\$[ \t]"
    r"|[A-Za-z_][\w.]*(?:\[[^\]\n]{0,200}\])?(?:[ \t]*,[ \t]*[A-Za-z_]\w*)*[ \t]*[-+*/%|&]?=(?!=)"
    r")",
    re.MULTILINE,
)
"""A line of example code that is not a call statement: a definition, import, control flow, an
assignment (``x = f(y)``: its call is on the right of the ``=``), a decorator, JS or shell."""
_CODE_LINE = re.compile(r"[ \t]*(?:[A-Za-z_][\w.]*[ \t]*[(\[]|[)\]}]|#)|[ \t]+\S")
"""A line that can belong to a listing: a call, a closing bracket, a comment, or an indented line."""

_LEAD = re.compile(r"[ \t]*(?:(?:[-*+>]|\d{1,3}[.)])[ \t]+)?[`*]{0,3}[ \t]*")
"""A line's start: indentation, a list or quote marker, an opening code span or bold."""
_PREAMBLE = re.compile(
    r"[ \t]*(?:(?:[-*+>]|\d{1,3}[.)])[ \t]+)?[^\n:(){}\[\]`\"'=]{1,200}:[ \t]+[`*]{0,3}[ \t]*"
)
"""``Here is the function call: f(a=1)``: a short preamble ending in a colon on the call's line."""
_CALL_HEAD = re.compile(r"[A-Za-z_]\w{0,127}(?:\.[A-Za-z_]\w{0,127}){0,8}(?=\()")
_TAIL = re.compile(r"[ \t]*[`*]{0,3}[ \t]*[;.,]?[ \t]*(?:#[^\n]*)?(?:\n|$)")
"""What may follow a standalone call on its line: a closing code span/bold, ``;``/``.``, a comment."""


def undo_markdown_escapes(text: str) -> str:
    r"""``get\_by\_coordinates`` -> ``get_by_coordinates`` (also ``\*``, ``\[``, ``\]``, ``\(``, ``\)``,
    ``\#``, ``\```).  None of these is a JSON escape, so JSON text is unchanged.

    >>> undo_markdown_escapes(r"get\_by\_coordinates(lat=1) \[x\]")
    'get_by_coordinates(lat=1) [x]'
    """
    return _ESCAPE.sub(r"\1", text) if "\\" in text else text


def _fence_language(line: str) -> str:
    return line.strip()[3:].strip().split(" ")[0].lower() if line.lstrip().startswith(_FENCE) else ""


def _mask_listing(lines: list[str], idx: list[int]) -> None:
    for i in idx:
        lines[i] = ""


_OPEN_CLOSE = str.maketrans({c: "" for c in "([{)]}"})


def _depth_change(line: str) -> int:
    """Open minus closed brackets on a line (quotes ignored: a rough count, enough to tell the
    continuation lines of a multi-line call from statements)."""
    if len(line) == len(line.translate(_OPEN_CLOSE)):
        return 0
    return sum(line.count(c) for c in "([{") - sum(line.count(c) for c in ")]}")


class _Statements:
    """Tells statement lines (``_STATEMENT``) from the continuation lines of an open bracket."""

    def __init__(self) -> None:
        self.depth = 0

    def reset(self) -> None:
        self.depth = 0

    def is_statement(self, line: str) -> bool:
        statement = self.depth == 0 and bool(_STATEMENT.match(line))
        self.depth = max(0, self.depth + _depth_change(line))
        return statement


def prepare(text: str) -> str:
    """The text the variants read: special tool tokens (``<|python_tag|>``, ``[TOOL_CALLS]``) become
    line breaks, markdown escapes are undone, code-fence marker lines are dropped, and example
    code is blanked: a fence in another language (``bash``, ``javascript``...), a fence holding a
    statement that is not a call (``def``, ``import``, an assignment...), and outside fences a run
    of code lines holding such a statement.

    >>> prepare("<|python_tag|>f(a=1)<|eom_id|>").strip()
    'f(a=1)'
    >>> prepare("```bash\\ncurl -X POST api(x)\\n```").strip(), prepare("```json\\nf(a=1)\\n```").strip()
    ('', 'f(a=1)')
    >>> prepare("def get_uv(location):\\n    return requests.get(url)\\n\\nget_uv(location='x')").strip()
    ''
    >>> prepare("get_uv(\\n    location='x',\\n)").split()
    ['get_uv(', "location='x',", ')']
    """
    text = undo_markdown_escapes(_SPECIAL_TOKENS.sub("\n", text))
    if "\n" not in text and _FENCE not in text:
        # one line and no fence (most answers): the loop below reduces to this
        return "" if _STATEMENT.match(text) else text
    lines = text.split("\n")
    n = len(lines)
    i = 0
    run: list[int] = []
    run_has_statement = False
    statements = _Statements()
    while i < n:
        line = lines[i]
        if _FENCE in line:
            if run_has_statement:
                _mask_listing(lines, run)
            run, run_has_statement = [], False
            statements.reset()
            if line.count(_FENCE) % 2 == 0:  # an inline ```f(x)``` span: keep its content
                lines[i] = line.replace(_FENCE, "")
                i += 1
                continue
            language = _fence_language(line)
            if line.lstrip().startswith(_FENCE):
                lines[i] = ""
            j = i + 1
            while j < n and _FENCE not in lines[j]:
                j += 1
            body = range(i + 1, j)
            fence_statements = _Statements()
            if language in _OTHER_LANGUAGES or any([fence_statements.is_statement(lines[k]) for k in body]):
                _mask_listing(lines, list(body))
            if j < n and lines[j].lstrip().startswith(_FENCE) and lines[j].count(_FENCE) == 1:
                lines[j] = ""
            i = j + 1
            continue
        continuation = statements.depth > 0
        statement = statements.is_statement(line)
        if continuation or statement or not line.strip() or _CODE_LINE.match(line):
            run.append(i)
            run_has_statement = run_has_statement or statement
        else:
            if run_has_statement:
                _mask_listing(lines, run)
            run, run_has_statement = [], False
            statements.reset()
        i += 1
    if run_has_statement:
        _mask_listing(lines, run)
    return "\n".join(lines)


def is_tool_call(call: ParsedCall, bracketed: bool = False) -> bool:
    """Builtins and math functions are not tools, nor (outside a BFCL bracket list) a one-letter
    name with positional arguments (``A(x1, y1)``, ``f(x)``: math notation); ``f(a=1)`` is a call.

    >>> [is_tool_call(ParsedCall(n, {}, o)) for n, o in [("sqrt", 1), ("A", 0), ("f", 1), ("math.sqrt", 1)]]
    [False, False, True, True]
    >>> is_tool_call(ParsedCall("f", {}, False), bracketed=True)
    True
    """
    if call.name in NOT_TOOLS:
        return False
    return bracketed or len(call.name) > 1 or bool(call.arguments_ok)


def standalone_calls(text: str) -> list[ParsedCall]:
    """Bare Python calls and BFCL bracket lists that stand alone as a statement: each starts a line
    (after a list marker, a code span, or a ``...:`` preamble) and ends it; a multi-line call
    or list counts when its closing bracket ends its last line.  Calls inside a candidate (its
    arguments) are never candidates themselves, so each character is parsed at most once."""
    # Two variants (bfcl_ast, python_call) read the same text with this function in one
    # dispatch: remember the last text that held no call, so the second one costs nothing.
    if text is _no_calls_in[0]:
        return []
    calls = _standalone_calls(text)
    if not calls:
        _no_calls_in[0] = text
    return calls


_no_calls_in: list[str | None] = [None]


def _segment_reader() -> Callable[[str], list[ParsedCall]]:
    """``variants.calls_from_segment``, imported on first use (variants imports this module)."""
    if not _SEGMENT_READER:
        from robustbench_tc.parsing.variants import calls_from_segment

        _SEGMENT_READER.append(calls_from_segment)
    return _SEGMENT_READER[0]


_SEGMENT_READER: list[Callable[[str], list[ParsedCall]]] = []


def _standalone_calls(text: str) -> list[ParsedCall]:
    calls_from_segment = _SEGMENT_READER[0] if _SEGMENT_READER else _segment_reader()
    pairs = bracket_pairs(text)
    calls: list[ParsedCall] = []
    covered_until, retries, pos = -1, 0, 0
    n = len(text)
    for _ in range(MAX_LINES):
        if pos > n:
            break
        line_end = text.find("\n", pos)
        line_end = n if line_end < 0 else line_end
        if pos > covered_until:
            for lead in (_LEAD, _PREAMBLE):
                m = lead.match(text, pos, line_end)
                if m is None:
                    continue
                start = m.end()
                head = _CALL_HEAD.match(text, start, line_end)
                opener = head.end() if head else (start if text.startswith("[", start) else -1)
                if opener < 0:
                    continue
                close = pairs.get(opener)
                if close is None and retries < MAX_BALANCE_RETRIES:
                    retries += 1
                    segment = balanced(text, opener, max_len=20_000)
                    close = opener + len(segment) - 1 if segment is not None else None
                if close is None:
                    continue
                if _TAIL.match(text, close + 1):
                    segment = text[start : close + 1]
                elif head is not None and line_end - start <= MAX_TUPLE_LINE and close < line_end:
                    segment = text[start:line_end].rstrip().rstrip(";.`* \t")  # f(a=1), g(b=2)
                else:
                    continue
                covered_until = max(close, start + len(segment) - 1)
                found = calls_from_segment(segment)
                found = [c for c in found if is_tool_call(c, segment.startswith("["))]
                if found:
                    calls.extend(found)
                    break
            if len(calls) >= MAX_CALLS:
                break
        pos = max(line_end, covered_until) + 1
        if covered_until >= line_end:
            nxt = text.find("\n", covered_until)
            pos = (n if nxt < 0 else nxt) + 1
    return calls[:MAX_CALLS]
