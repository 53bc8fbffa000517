"""The part of a model's output that is its answer, as the readers see it.

Before any call is looked for, ``prepare``:

* keeps the text after the last ``</think>`` (``strip_reasoning``: an unclosed ``<think>`` drops the
  rest);
* ends the answer where the model starts writing the next turn of the dialogue itself (a
  ``### Instruction:`` or ``User:`` header, a chat template's user-turn token): what follows is a
  runaway continuation, not this answer;
* turns the control tokens of chat templates into line breaks (by their general shapes:
  ``<|python_tag|>``, DeepSeek's ``<｜tool▁sep｜>``, ``[TOOL_CALLS]``, Gorilla's ``<<function>>``,
  Functionary's leading ``>>>``, NexusRaven's ``<bot_end>``);
* undoes markdown escapes (``get\\_weather``);
* drops code-fence marker lines (their content stays) and blanks example code: a fence in another
  programming language, a fence holding a statement that is not a call (``def``, ``import``, an
  assignment...), and outside fences a run of code lines holding such a statement.

>>> prepare("<|python_tag|>f(a=1)<|eom_id|>").strip(), prepare("[TOOL_CALLS]f[ARGS]{}").split()
('f(a=1)', ['f', '{}'])
>>> prepare("```bash\\ncurl -X POST api(x)\\n```").strip(), prepare("```json\\nf(a=1)\\n```").strip()
('', 'f(a=1)')
>>> prepare("def get_uv(location):\\n    return requests.get(url)\\n\\nget_uv(location='x')").strip()
''
>>> prepare("[f(a=1)]\\n\\n### Instruction:\\nExplain it.\\n### Response:\\n[f(a=1)]").strip()
'[f(a=1)]'
"""

from __future__ import annotations

import re
from collections.abc import Callable

MAX_LINES = 2000
"""``prepare`` inspects the first ``MAX_LINES`` lines for example code."""

_ESCAPE = re.compile(r"(?<!\\)\\([_*\[\]()#`])")
_SPECIAL_TOKENS = re.compile(
    r"<(?:\|/?[A-Za-z_][\w.\-]{0,40}\||｜[^｜\n]{1,40}｜|<[A-Za-z_]\w{0,30}>|bot_end|end_of_turn|/s)>"
    r"|\[/?[A-Z][A-Z_]{1,30}\]"
)
MAX_TOKEN_CHECKS = 16
"""``<`` or ``[`` seen by ``_may_hold_special_token`` (each) before it leaves the answer to the regex."""


def strip_reasoning(raw: str) -> str:
    """The part of an output after its reasoning block.

    >>> strip_reasoning("<think>maybe f()</think> [g()]"), strip_reasoning("<think>cut off")
    (' [g()]', '')
    >>> strip_reasoning('[f(a="<think>")]')
    '[f(a="<think>")]'
    """
    end = raw.rfind("</think>")
    if end >= 0:
        return raw[end + len("</think>") :]
    start = raw.find("<think>")
    while (
        start >= 0
        and raw[raw.rfind("\n", max(0, start - 200), start) + 1 or max(0, start - 200) : start].strip()
    ):
        start = raw.find("<think>", start + 1)  # `f(a="<think>")`: inside a line, not a reasoning block
    return raw[:start] if start >= 0 else raw


_NEW_TURN = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]*(?:instruction|human|user|question|input)[ \t]*:?[ \t]*$"
    r"|(?:human|user)[ \t]*:(?=[ \t]*\S))"
    r"|<\|(?:im_start|start_header_id)\|>[ \t]*(?:user|human)\b|<\|user\|>|<start_of_turn>[ \t]*user\b|\[INST\]",
    re.IGNORECASE | re.MULTILINE,
)
"""The start of the dialogue's next turn, written by the model itself: a markdown header naming
another speaker (``### Instruction:``, ``### User``), a ``Human:``/``User:`` line, or a chat
template's user-turn token."""
_DOC_END = re.compile(r"^[ \t]*(?:\"\"\"|''')[ \t]*[),;]*[ \t]*$", re.MULTILINE)
"""A line holding only a triple quote, outside a code fence: the model closes a string the answer
never opened and goes on writing another document (code generations that run past the answer)."""


def end_of_answer(text: str) -> int:
    """Where the answer ends: at the first new-turn header that follows some content (a header
    the answer opens with is kept).

    >>> t = "[f(a=1)]\\n### Instruction:\\nmore"
    >>> t[: end_of_answer(t)]
    '[f(a=1)]\\n'
    >>> end_of_answer("User: book it") == len("User: book it")
    True
    """
    end = len(text)
    if "#" in text or ":" in text or "<" in text or "[INST]" in text:  # every new-turn form holds one
        for m in _NEW_TURN.finditer(text):
            if text[: m.start()].strip():
                end = m.start()
                break
    if '"""' in text or "'''" in text:
        for m in _DOC_END.finditer(text, 0, end):
            before = text[: m.start()]
            if before.strip() and _outside_fence(before):
                return m.start()
    return end


def _outside_fence(before: str) -> bool:
    """Whether the text after ``before`` is outside a code fence (an even number of fence lines)."""
    return sum(1 for line in before.split("\n") if line.lstrip().startswith(_FENCE)) % 2 == 0


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


_CONTINUED = re.compile(r",[ \t]*\\\n[ \t]*")
_LEADING_PROMPT = re.compile(r"^[ \t]*>>>(?=[A-Za-z_])", re.MULTILINE)
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


def depth_change(line: str) -> int:
    """Open minus closed brackets on a line (quotes ignored: a rough count, enough to tell the
    continuation lines of a multi-line call from statements).

    >>> depth_change("f(a=[1,"), depth_change("x"), depth_change("])")
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
        self.depth = max(0, self.depth + depth_change(line))
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
        return text.lstrip(" \t")[:1] in _STATEMENT_FIRST and _STATEMENT.match(text) is not None
    if text.count("\n") <= MAX_LINE_STARTS and not any(
        line.lstrip(" \t")[:1] in _STATEMENT_FIRST for line in text.split("\n")
    ):
        return False
    return _STATEMENT_LINE.search(text) is not None


def prepare(text: str) -> str:
    """The text the readers read (see the module): the answer part, control tokens as line
    breaks, markdown escapes undone, fence marker lines dropped, example code blanked."""
    return prepare_answer(text[: end_of_answer(text)])


def prepare_answer(text: str) -> str:
    """``prepare`` of a text already cut at the end of its answer (``end_of_answer``)."""
    if _may_hold_special_token(text):
        text = _SPECIAL_TOKENS.sub("\n", text)
    if ">>>" in text:
        text = _LEADING_PROMPT.sub("\n", text)
    text = undo_markdown_escapes(text)
    if "\\\n" in text:  # `f(a=1), \` + a line break: Python's explicit line joining
        text = _CONTINUED.sub(", ", text)
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
