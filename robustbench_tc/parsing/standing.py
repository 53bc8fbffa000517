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
from functools import lru_cache
from itertools import islice

from robustbench_tc.parsing.calls import MAX_CALLS, ParsedCall
from robustbench_tc.parsing.fastcalls import fast_calls
from robustbench_tc.parsing.scan import balanced

MAX_LINES = 2000
"""Line visits spent looking for standalone calls in one output (later lines are not read);
``prepare`` likewise inspects the first ``MAX_LINES`` lines for example code."""
MAX_TAIL = 300
"""Longest text (a comment, mostly) allowed after a standalone call on its line."""
MAX_CALL_LINES = 200
"""Lines one multi-line call statement may span."""
MAX_CALL_CHARS = 20_000
"""Characters one multi-line call statement may span."""

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
"""Names that are Python builtins or math functions: ``print(x)``, ``sqrt(b^2 - 4ac)`` are not tools
when written with positional or no arguments (math notation); ``gcd(num1=96, num2=128)`` with keyword
arguments, or inside a BFCL bracket list, is a tool named like one (BFCL has ``gcd``, ``lcm``)."""
WRAPPERS = frozenset({"print", "exec", "eval", "open", "input", "compile", "__import__", "breakpoint"})
"""Builtins that are never tools, whatever their arguments: their argument is what they wrap."""

_ESCAPE = re.compile(r"(?<!\\)\\([_*\[\]()#`])")
_SPECIAL_TOKENS = re.compile(
    r"<(?:\|/?[A-Za-z_][\w.\-]{0,40}\||｜[^｜\n]{1,40}｜|<[A-Za-z_]\w{0,30}>|bot_end|end_of_turn|/s)>"
    r"|\[/?[A-Z][A-Z_]{1,30}\]"
)
MAX_TOKEN_CHECKS = 16
"""``<`` or ``[`` seen by ``_may_hold_special_token`` (each) before it leaves the answer to the regex."""


def _may_hold_special_token(text: str) -> bool:
    """Whether ``_SPECIAL_TOKENS`` can match (a cheaper test than the regex's search of every
    position): every token opens with ``<`` then ``|``, ``｜``, ``<``, ``b`` (``bot_end``), ``e``
    (``end_of_turn``) or ``</s>``, or with ``[`` then an upper-case letter or ``/``.

    >>> _may_hold_special_token('[f(a="x")]'), _may_hold_special_token("[TOOL_CALLS]f")
    (False, True)
    >>> _may_hold_special_token("<tool_call>{}</tool_call>"), _may_hold_special_token("x</s>")
    (False, True)
    """
    return _may_open(text, "<", _opens_angle_token) or _may_open(text, "[", _opens_bracket_token)


def _opens_angle_token(text: str, at: int) -> bool:
    after = text[at + 1 : at + 2]
    return after in ("|", "｜", "<", "b", "e") or text.startswith("</s>", at)


def _opens_bracket_token(text: str, at: int) -> bool:
    after = text[at + 1 : at + 2]
    return after == "/" or "A" <= after <= "Z"


def _may_open(text: str, opener: str, opens: Callable[[str, int], bool]) -> bool:
    at = text.find(opener)
    for _ in range(MAX_TOKEN_CHECKS):
        if at < 0:
            return False
        if opens(text, at):
            return True
        at = text.find(opener, at + 1)
    return at >= 0


_LEADING_PROMPT = re.compile(r"^[ \t]*>>>(?=[A-Za-z_])", re.MULTILINE)
"""Control tokens of model chat templates, read as line breaks: ``<|python_tag|>``, ``<|call|>``,
DeepSeek's ``<｜tool▁sep｜>``, ``[TOOL_CALLS]``/``[ARGS]``, Gorilla's ``<<function>>``, Functionary's
leading ``>>>``, NexusRaven's ``<bot_end>``."""
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
_STATEMENT_LINE = re.compile("^" + _STATEMENT.pattern, re.MULTILINE)
"""The same, searched for anywhere in a text (a text without one needs no blanking)."""
_CODE_LINE = re.compile(r"[ \t]*(?:[A-Za-z_][\w.]*[ \t]*[(\[]|[)\]}]|#)|[ \t]+\S")
"""A line that can belong to a listing: a call, a closing bracket, a comment, or an indented line."""

_LEAD = re.compile(r"[ \t]*(?:(?:[-*+>]|\d{1,3}[.)])[ \t]+)?[`*]{0,3}[ \t]*")
"""A line's start: indentation, a list or quote marker, an opening code span or bold."""
_PREAMBLE = re.compile(
    r"[ \t]*(?:(?:[-*+>]|\d{1,3}[.)])[ \t]+)?[^\n:(){}\[\]`\"'=]{1,200}:[ \t]+[`*]{0,3}[ \t]*"
)
"""``Here is the function call: f(a=1)``: a short preamble ending in a colon on the call's line."""
_CALL_HEAD = re.compile(r"[A-Za-z_]\w{0,127}(?:\.[A-Za-z_]\w{0,127}){0,8}(?=\()")
_TAIL_AT_END = re.compile(r"[ \t]*[`*]{0,3}[ \t]*[;.,]?[ \t]*(?:#[^\n]*)?$", re.MULTILINE)
"""What may follow a standalone call at the end of its line: a closing code span or bold, ``;``,
``.`` or ``,``, a comment."""


_LOOKS_BACK = re.compile(
    r"\b(?:fail(?:ed|s|ing|ure)?|timed?[ -]?out|timeout|errors?|errored|exception|rejected|refused"
    r"|unauthori[sz]ed|forbidden|denied|[45]\d\d|could ?n[o']?t|unable|did ?n[o']?t|unsuccessful(?:ly)?"
    r"|tried|attempted|previous(?:ly)?|earlier|prior|last (?:call|request|attempt)"
    r"|i (?:made|called|ran|executed|sent|issued))\b",
    re.IGNORECASE,
)
"""Words of a clause that reports a past event about the call it introduces (a failure, an attempt)."""
_LOOKS_FORWARD = re.compile(
    r"\b(?:let me|let's|let us|i'll|i will|i'm going to|i am going to|retry(?:ing)?|try(?:ing)? again"
    r"|once more|another attempt|corrected|fixed|instead)\b",
    re.IGNORECASE,
)
"""Words of a clause that announces the call it introduces (a retry, a correction)."""
_SENTENCE_END = re.compile(r"[.!?](?=[ \t]+\S)")
MAX_LOOK_BACK = 2000
"""Characters searched back for the line introducing a call (blank lines skipped)."""


def looks_back(introducer: str) -> bool:
    """Whether the clause introducing a call reports a past event about it, so the call that
    follows is a quote (``The following call failed:``, ``I tried:``, ``Previous call:``), not a
    call made now.  Only the last sentence counts, and forward wording wins (``The call timed
    out. Let me try again:``, ``The previous call failed, retrying:``).

    >>> looks_back("The following call failed:"), looks_back("The call timed out. Let me try again:")
    (True, False)
    >>> looks_back("Here is the function call:"), looks_back("Failed call:"), looks_back("")
    (False, True, False)
    """
    clause = introducer[-MAX_TAIL:]
    ends = list(_SENTENCE_END.finditer(clause))
    last = clause[ends[-1].end() :] if ends else clause
    return bool(_LOOKS_BACK.search(last)) and not _LOOKS_FORWARD.search(last)


def _ends_in_colon(line: str) -> bool:
    return line.rstrip(" \t\r*_`").endswith(":")


def quoted_at(text: str, start: int) -> bool:
    r"""Whether the call or JSON object starting at ``start`` is a quote: the text before it on its
    line, or (when it starts its line) the nearest non-blank line above ending in a colon, looks
    back (``looks_back``).  A line that is a tag (``<tool_call>``) introduces an emitted call.

    >>> quoted_at('I tried {"name": "f"} but it timed out.', 8)
    True
    >>> t = "This call timed out:\n\n[f(a=1)]"
    >>> quoted_at(t, t.index("[")), quoted_at("Let me retry:\n[f(a=1)]", 14)
    (True, False)
    """
    floor = max(0, start - MAX_LOOK_BACK)
    newline = text.rfind("\n", floor, start)
    line_start = newline + 1 if newline >= 0 else floor
    before = text[max(line_start, start - MAX_TAIL) : start]
    if before.strip(" \t`*>#-+0123456789.)") or (newline < 0 and floor > 0):
        return looks_back(before)
    end = line_start - 1
    while end > floor:
        prev_start = text.rfind("\n", floor, end) + 1
        line = text[prev_start:end]
        if line.strip():
            return _ends_in_colon(line) and looks_back(line.rstrip(" \t\r*_`:"))
        end = prev_start - 1
    return False


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


_OPENS_CALL = re.compile(r"[(\[{][ \t]*$")
"""A line ending in an open bracket: the first line of a pretty-printed multi-line call."""
_CALL_TAG = re.compile(r"[ \t]*<(?:tool_call|toolcall|function_call|function=|tool[ \t>])", re.IGNORECASE)
"""A fence body opening with a tool-call tag is a tool-call block, whatever the fence's label."""
_ANY_BRACKET = re.compile(r"[()\[\]{}]")


def _depth_change(line: str) -> int:
    """Open minus closed brackets on a line (quotes ignored: a rough count, enough to tell the
    continuation lines of a multi-line call from statements).

    >>> _depth_change("f(a=[1,"), _depth_change("x"), _depth_change("])")
    (2, 0, -2)
    """
    if not _ANY_BRACKET.search(line):
        return 0
    return (
        line.count("(")
        + line.count("[")
        + line.count("{")
        - line.count(")")
        - line.count("]")
        - line.count("}")
    )


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


_STATEMENT_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_@$")
"""What a statement line starts with after its indentation (every ``_STATEMENT`` branch)."""
MAX_LINE_STARTS = 64
"""Lines whose first character ``_holds_statement`` looks at before it runs the regex."""


def _holds_statement(text: str) -> bool:
    """``_STATEMENT_LINE.search(text)``: a statement at some line start (one line: at 0).  The
    regex search tries every position; it is skipped when no line can start a statement (a
    ``<tool_call>`` block, a JSON object).

    >>> _holds_statement("[f(a=1)]"), _holds_statement("Sure.\\n  x = f(a=1)\\nDone."), _holds_statement("a\\n")
    (False, True, False)
    >>> _holds_statement('<tool_call>\\n{"name": "f"}\\n</tool_call>')
    False
    """
    if "\n" not in text:
        return _STATEMENT.match(text) is not None
    if text.count("\n") <= MAX_LINE_STARTS and not any(
        line.lstrip(" \t")[:1] in _STATEMENT_FIRST for line in text.split("\n")
    ):
        return False
    return _STATEMENT_LINE.search(text) is not None


def prepare(text: str) -> str:
    """The text the variants read: special tool tokens (``<|python_tag|>``, ``[TOOL_CALLS]``) become
    line breaks, markdown escapes are undone, code-fence marker lines are dropped, and example
    code is blanked: a fence in another language (``bash``, ``javascript``...), a fence holding a
    statement that is not a call (``def``, ``import``, an assignment...), and outside fences a run
    of code lines holding such a statement.

    >>> prepare("<|python_tag|>f(a=1)<|eom_id|>").strip(), prepare("[TOOL_CALLS]f[ARGS]{}").split()
    ('f(a=1)', ['f', '{}'])
    >>> prepare("```bash\\ncurl -X POST api(x)\\n```").strip(), prepare("```json\\nf(a=1)\\n```").strip()
    ('', 'f(a=1)')
    >>> prepare("def get_uv(location):\\n    return requests.get(url)\\n\\nget_uv(location='x')").strip()
    ''
    >>> prepare("get_uv(\\n    location='x',\\n)").split()
    ['get_uv(', "location='x',", ')']
    """
    if _may_hold_special_token(text):
        text = _SPECIAL_TOKENS.sub("\n", text)
    if ">>>" in text:
        text = _LEADING_PROMPT.sub("\n", text)
    text = undo_markdown_escapes(text)
    if _FENCE not in text and not _holds_statement(text):
        return text  # no fence and no statement: nothing to blank
    lines = text.split("\n")
    n = min(len(lines), MAX_LINES)
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
            first = next((lines[k] for k in body if lines[k].strip()), "")
            if _CALL_TAG.match(first):  # ```xml around <tool_call>...: the call block itself
                pass
            elif language in _OTHER_LANGUAGES or any([fence_statements.is_statement(lines[k]) for k in body]):
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
            if not _OPENS_CALL.search(line):  # `[f(` / `Call: f(`: its argument lines continue it
                statements.reset()
        i += 1
    if run_has_statement:
        _mask_listing(lines, run)
    return "\n".join(lines)


def is_tool_call(call: ParsedCall, bracketed: bool = False) -> bool:
    """Builtins and math functions written with positional or no arguments are not tools, nor
    (outside a BFCL bracket list) a one-letter name with positional arguments (``A(x1, y1)``,
    ``f(x)``: math notation); ``f(a=1)`` and ``gcd(num1=96, num2=128)`` are calls; ``print``,
    ``exec``, ``eval``, ``open`` never are.

    >>> [is_tool_call(ParsedCall(n, {}, o)) for n, o in [("sqrt", 1), ("A", 0), ("f", 1), ("math.sqrt", 1)]]
    [False, False, True, True]
    >>> is_tool_call(ParsedCall("f", {}, False), bracketed=True)
    True
    >>> is_tool_call(ParsedCall("gcd", {"num1": 96})), is_tool_call(ParsedCall("print", {"end": ""}))
    (True, False)
    """
    if call.name in WRAPPERS:
        return False
    if call.name in NOT_TOOLS and not bracketed and not (call.arguments and call.arguments_ok):
        return False
    return bracketed or len(call.name) > 1 or bool(call.arguments_ok)


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
    depth = _depth_change(line)
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
        depth += _depth_change(text[pos:nxt])
        lines += 1
        if depth <= 0:
            end = _end_before_tail(text, pos, nxt)
            return end if end > pos and text[end - 1] in ")]" else None
        pos = nxt + 1
    return -min(pos, n + 1)  # never closes: the caller skips to here


_NAMESPACE = re.compile(r"(?:default_api|functions)\.(?=[A-Za-z_])")
_PRINT_WRAP = re.compile(r"print\(\s*((?:default_api|functions)\.[A-Za-z_][\w.]*\(.*\))\s*\)", re.DOTALL)
"""``print(default_api.f(a=1))``: Gemma's ``tool_code`` convention prints the tool call it makes."""


def _without_namespace(call: ParsedCall) -> ParsedCall:
    """``default_api.f`` / ``functions.f`` (the namespaces tool prompts put tools in) -> ``f``."""
    m = _NAMESPACE.match(call.name)
    return ParsedCall(call.name[m.end() :], call.arguments, call.arguments_ok) if m else call


_TOKEN = re.compile(r"[()\[\]{}\"'\\]")
_BETWEEN_CALLS = re.compile(r"[ \t]*,[ \t]*[A-Za-z_][\w.]*[ \t]*")
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


def standalone_calls(text: str) -> list[ParsedCall]:
    """See ``_standalone_calls``; cached, since two variants (``bfcl_ast``, ``python_call``) read
    the same text."""
    return [ParsedCall(c.name, dict(c.arguments), c.arguments_ok) for c in _standalone_calls(text)]


@lru_cache(maxsize=4)
def _standalone_calls(text: str) -> tuple[ParsedCall, ...]:
    """Bare Python calls and BFCL bracket lists that stand alone as a statement: each starts a line
    (after a list marker, a code span, or a ``...:`` preamble) and ends it; a multi-line call
    or list counts when its closing bracket ends its last line.  Lines inside a candidate (its
    arguments) are never candidates themselves, so each character is parsed at most once or
    twice, and the brackets are matched by ``ast.parse`` itself."""
    # imported here: variants imports this module
    from robustbench_tc.parsing.variants import calls_from_segment

    whole_not_fast = False  # `fast_calls(text)` is known to be None
    if text.startswith("[") and "\n" not in text:
        # One line opening with "[": the loop's first candidate is the list's own bracket at 0.
        # A plain list that `fast_calls` reads (so `well_formed` accepts it) is taken whole,
        # unless none of its calls is a tool; a bracket that never closes ends the scan.
        if text.endswith("]"):
            parsed = fast_calls(text)
            found = [_without_namespace(c) for c in parsed if is_tool_call(c, True)] if parsed else []
            if found:
                return tuple(found[:MAX_CALLS])
            whole_not_fast = parsed is None
        first_end = _statement_end(text, 0, 0, len(text), [MAX_LINES])
        if first_end is not None and first_end < 0:
            return ()
    calls: list[ParsedCall] = []
    pos, n = 0, len(text)
    budget = [MAX_LINES]  # line visits, the multi-line scans' included
    introducer = ""  # the last non-blank line that held no call: a list's items share it
    while budget[0] > 0:
        budget[0] -= 1
        if pos > n:
            break
        line_end = text.find("\n", pos)
        line_end = n if line_end < 0 else line_end
        next_pos = line_end + 1
        holds_call = False
        starts = [
            m.end() for m in (_LEAD.match(text, pos, line_end), _PREAMBLE.match(text, pos, line_end)) if m
        ]
        sentences = _SENTENCE_BREAK.finditer(text, pos, min(line_end, pos + MAX_TAIL))
        starts.extend(m.end() for m in islice(sentences, MAX_SENTENCE_STARTS))
        for start in starts:
            head = _CALL_HEAD.match(text, start, line_end)
            opener = head.end() if head else (start if text.startswith("[", start) else -1)
            if opener < 0:
                continue
            end = _statement_end(text, start, opener, line_end, budget)
            if end is None:
                continue
            if end < 0:  # an unclosed bracket: everything up to where the search stopped is inside it
                next_pos = max(next_pos, -end)
                break
            segment = text[start:end]
            if end > line_end:
                nxt = text.find("\n", end)
                next_pos = n + 1 if nxt < 0 else nxt + 1
            # the plain layout: well formed, no print wrapper
            parsed = None if whole_not_fast and end - start == n else fast_calls(segment)
            if parsed is None:
                if not well_formed(segment):
                    continue
                wrapped = _PRINT_WRAP.fullmatch(segment)  # Gemma's tool_code `print(default_api.f(a=1))`
                if wrapped is not None:
                    segment = wrapped.group(1)
                parsed = calls_from_segment(segment, fast_tried=wrapped is None)
            found = [_without_namespace(c) for c in parsed if is_tool_call(c, segment.startswith("["))]
            if found:
                holds_call = True
                preamble = text[pos:start].strip(" \t`*>#-+0123456789.)")
                quote = (
                    looks_back(preamble)
                    if preamble
                    else _ends_in_colon(introducer) and looks_back(introducer.rstrip(" \t\r*_`:"))
                )
                if not quote:  # a quoted failed call (``The following call failed:``) is a mention
                    calls.extend(found)
                break
        if not holds_call and text[pos:line_end].strip():
            introducer = text[max(pos, line_end - MAX_TAIL) : line_end]
        if len(calls) >= MAX_CALLS:
            break
        pos = next_pos
    return tuple(calls[:MAX_CALLS])
