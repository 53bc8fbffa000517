"""The one rule: a call is *made* when it stands as the answer.

Every reader (a tool-call tag block, a JSON call object, a ReAct ``Action:`` line, a native form, a
quoted-call list, a bracket list, a bare call) reports what it found as a ``Found`` span; this
module decides, the same way for all of them, whether the span stands as the answer
(docs/scoring.md, "The model made this call").  Its position and the words around it decide:

* **inside a sentence** (words on both sides in one sentence: ``The function <tool_call>...
  </tool_call> requires a team name``) it is a mention;
* its **introducer** (the text before it on its line, else the line above when that line ends in a
  colon; a list's items share their list's introducer) makes it a mention when it
  - reports a past event about it: a failure or a past attempt (``The following call failed:``,
    ``I tried {...}``), unless it also announces a retry (``Let me try again:``), or
  - makes it conditional, an example or a hypothesis (``If you have a function for X, you could
    use:``, ``Assuming ...:``, ``Here's an example of how you could call it:``);
* its **follower** (the rest of its line, else the next line that is not another call of the
  same answer) makes it a mention when it
  - reports back about it (``The above call timed out``, ``Status: failed``),
  - asks for approval (``Shall I go ahead?``, ``once you confirm``), or
  - calls it a template (``Replace X with your ...``, ``This is just an example``);
* a call whose arguments hold **placeholders** (``<city>``, ``YOUR_API_KEY``, ``...``) is a
  template, and a call to a function the answer **defines** (``def f(...)``) is example code;
* a later call that only **repeats** the calls already made, after prose, is counted once.

The word lists are short and closed, and only the introducing clause and the first following
sentence are read: this is a reading of one sentence on each side, not a guess about the text.

>>> t = 'The request timed out:\\n[f(a=1)]'
>>> mention(t, t.index("["), len(t), [], [ParsedCall("f", {"a": 1})])
'a quote of a failed call'
>>> t = "[f(city='<city>')]"
>>> mention(t, 0, len(t), [], [ParsedCall("f", {"city": "<city>"})])
'a template with placeholders'
>>> t = "[f(a=1)]\\nShall I go ahead?"
>>> mention(t, 0, 8, [], [ParsedCall("f", {"a": 1})])
'a plan awaiting approval'
"""

from __future__ import annotations

import builtins
import math
import re
from bisect import bisect_left
from collections.abc import Sequence
from itertools import islice
from typing import Any

from robustbench_tc.parsing.calls import MAX_CALLS, Found, ParsedCall

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


MAX_TAIL = 300
"""Characters of a line read before or after a call (its introducing clause, its follower)."""
MAX_LOOK_BACK = 2000
"""Characters searched back for the line introducing a call, or forward for its follower."""
MAX_BLANK_LINES = 2
"""Blank lines that may stand between a call and the line that follows it."""

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
_CONDITIONAL = re.compile(
    r"^(?:(?:however|but|and|so|then|also|alternatively|otherwise|or|now|still)\b[ ,]*)*"
    r"(?:assuming|suppose|supposing|should you|had there been|were there|if so)\b"
    r"|^(?:however|but|alternatively|otherwise)\b[ ,]*(?:if|assuming|when)\b"
    r"|\b(?:if|once|when|provided that|in case)\b[^.!?:]{0,80}?"
    r"\b(?:had|have|has|were|existed|exists?|available|provided|defined|supported|there (?:is|are|was|were)"
    r"|provides?|wants?|wanted|wish|would like|'d like|prefer|still|confirms?|approves?|agrees?|gives?|tells?|shares?"
    r"|specif(?:y|ies)|let me know)\b",
    re.IGNORECASE,
)
"""A clause that makes the call depend on something not given: a tool that may not exist (``If
you have a function for X``, ``if there were a tool``), the user's wish or confirmation (``If you
still want to use it``, ``Once you confirm``), an assumption (``Assuming ...``).  A condition that
restates the request (``Then, if we allow transfers, the call is:``) does not; one that opens
with a contrast (``However, if we use the function for X, ...``) offers an alternative to the
answer just given."""
_HYPOTHETICAL = re.compile(
    r"\be\.g\.|\b(?:for example|examples?|for instance|hypothetical(?:ly)?|for (?:your )?reference"
    r"|for illustration|illustrat(?:e|es|ive)|template|placeholders?|pseudo-?code|dummy|something like"
    r"|signature"
    r"|how (?:i|you|we|one) (?:would|could|might)|(?:you|we|one) could (?:call|use|try|make|invoke)"
    r"|yourself|assuming (?:we|you|there|that|such))\b",
    re.IGNORECASE,
)
"""A clause that presents the call as an example, a hypothesis or a suggestion for the user."""
_REPORTS_BACK = re.compile(
    r"^(?:(?:status|result|response|outcome|error)\b[ \t]*:[^.!?\n]{0,40}?"
    r"\b(?:timed?[ -]?out|timeout|fail(?:ed|ure)?|errors?|errored|rejected|refused|denied|forbidden"
    r"|unauthori[sz]ed|[45]\d\d(?= [A-Za-z])(?! (?:cubic|square|meters?|km|miles?|units?|dollars?|usd))|unavailable)\b"
    r"|(?:unfortunately|sadly|however)?[ ,]*(?:the |this |that )?(?:above |same )?"
    r"(?:call|request|attempt|function call|tool call|query|it|this|that)\b[^.!?\n]{0,60}?"
    r"\b(?:timed?[ -]?out|failed|returned (?:an? )?(?:error|\d{3})|errored|was (?:rejected|refused|denied)"
    r"|did ?n[o']?t (?:respond|work|go through|succeed|complete)|could ?n[o']?t be (?:completed|executed|reached))\b)",
    re.IGNORECASE,
)
"""A follower that reports what happened to the call just quoted: ``The above call timed out``,
``Status: timed out``, ``It failed with a 503``."""
_ASKS_APPROVAL = re.compile(
    r"\b(?:shall i|should i (?:proceed|go ahead|run|execute|make|call|send|book|submit)"
    r"|(?:do you want|would you like) me to (?:proceed|go ahead|run|execute|make|call|send|book|submit|use)\b"
    r"(?! (?:another|other|more|any|additional|something|anything|different))"
    r"|(?:once|after|when|if) you (?:confirm|approve|agree|say so)|with your (?:approval|confirmation|permission)"
    r"|awaiting your|ok(?:ay)? to proceed|can i proceed|may i proceed|(?:proceed|go ahead)\?)",
    re.IGNORECASE,
)
"""A follower (or a clause around the call) that asks for approval: the calls are a plan."""
_TEMPLATE_NOTE = re.compile(
    r"\b(?:replace[ds]?|substitute[ds]?|fill in)\b"
    r"|\b(?:is|are) (?:just |only |merely |simply )?(?:an? )?(?:examples?|illustrations?|placeholders?|templates?)\b"
    r"|^where\b"
    r"|\bfor (?:the |this )?example\b|\bhypothetical\b"
    r"|\bfor (?:demonstration|illustration|illustrative|reference)(?: purposes?)?\b",
    re.IGNORECASE,
)
"""A follower that calls the call a template or an example: ``Replace X with your key``, ``This is
just an example``, ``Where x1 is the lower limit``."""
_NOT_AVAILABLE = re.compile(
    r"\b(?:function|tool|api)s? (?:is|are|was|were|does|do)(?: not|n't) (?:provided|available|exist|supported"
    r"|included|listed|present"
    r"|in (?:the|your) (?:given |provided )?list)|\bsuch (?:a )?(?:function|tool)s? (?:is|are)(?: not|n't)",
    re.IGNORECASE,
)
"""A follower saying the called function does not exist: the call after a refusal is a hypothesis
(a call that opens the answer stays made: the note only warns about it)."""
_PLACEHOLDER = re.compile(
    r"<[^<>\n]{1,60}>|\{\{?[A-Za-z_][\w ]{0,40}\}?\}|\.\.\.|…|YOUR_[A-Z0-9_]{1,40}"
    r"|(?i:placeholder)[\w -]{0,40}|[xX]{3,}|\[(?i:insert|enter|add|your) [^\]]{0,40}\]"
)
"""An argument value that can only be a placeholder: ``<city>``, ``{city}``, ``...``,
``YOUR_API_KEY``, ``[insert name]``.  (``your_dataset_name`` is not one: a user may name a
dataset so, as BFCL's ``simple_106`` does.)"""
_SENTENCE_END = re.compile(r"[.!?](?=[ \t]+\S)")
_SENTENCE_STOP = re.compile(r"[.!?](?:[ \t]|$)|\n")
_MARKERS = " \t`*>#-+0123456789.)\"'"
"""What a line's start may hold before a call (list markers, code spans, bold, quotes)."""


def _last_sentence(clause: str) -> str:
    ends = list(_SENTENCE_END.finditer(clause))
    return clause[ends[-1].end() :] if ends else clause


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
    last = _last_sentence(introducer[-MAX_TAIL:])
    return bool(_LOOKS_BACK.search(last)) and not _LOOKS_FORWARD.search(last)


def hypothetical(introducer: str) -> bool:
    """Whether the clause introducing a call makes it conditional, an example or a suggestion.

    >>> hypothetical("However, if you have a function for assists, you could use it like this:")
    True
    >>> hypothetical("Here's an example of how you could call it:"), hypothetical("Here is the function call:")
    (True, False)
    >>> hypothetical("To check if the number is prime, call:"), hypothetical("The function call would be:")
    (False, False)
    """
    last = _last_sentence(introducer[-MAX_TAIL:]).strip(" \t*_`:")
    return bool(_CONDITIONAL.search(last) or _HYPOTHETICAL.search(last))


_TAG_LINE = re.compile(r"[ \t]*</?[A-Za-z_?][^<>\n]{0,80}>[ \t]*")
"""A line holding one markup tag (``<tool_call>``, ``</function_calls>``, ``<?xml ...?>``): the
block's frame, transparent when looking for its introducer or follower."""


def _ends_in_colon(line: str) -> bool:
    return line.rstrip(" \t\r*_`").endswith(":")


class Spans:
    """The spans a reader found, sorted by start, with their ends' running maximum: the lookups
    ``mention`` makes (the previous span's end, a span inside a line) in ``O(log n)`` each."""

    def __init__(self, found: Sequence[Found]) -> None:
        self.items = sorted(found, key=lambda f: f.start)
        self.starts = [f.start for f in self.items]
        self.max_end: list[int] = []
        top = 0
        for f in self.items:
            top = max(top, f.end)
            self.max_end.append(top)

    def last_end_before(self, pos: int) -> int:
        """The end of the last span that ends at or before ``pos`` (``0`` if none)."""
        i = bisect_left(self.starts, pos)
        best = 0
        while i > 0:
            i -= 1
            if self.max_end[i] <= best:
                break
            if self.items[i].end <= pos:
                best = max(best, self.items[i].end)
        return best

    def holds(self, lo: int, hi: int) -> bool:
        """Whether some span overlaps ``[lo, hi)``."""
        i = bisect_left(self.starts, hi)
        return i > 0 and self.max_end[i - 1] > lo

    def first_start_in(self, lo: int, hi: int) -> int | None:
        """The first span start in ``[lo, hi)``, or ``None``."""
        i = bisect_left(self.starts, lo)
        return self.starts[i] if i < len(self.starts) and self.starts[i] < hi else None


def _spans(spans: Sequence[Found] | Spans) -> Spans:
    return spans if isinstance(spans, Spans) else Spans(spans)


def _last_end_before(spans: Spans, start: int) -> int:
    """Where the last span ending at or before ``start`` ends (``0`` if none): the text between
    two items of one list (``[{...}, {...}]``) is not an introducer."""
    return spans.last_end_before(start)


def _has_words(text: str) -> bool:
    return any(ch.isalpha() for ch in text.strip(_MARKERS))


def _holds_span(spans: Spans, lo: int, hi: int) -> bool:
    """Whether the line ``text[lo:hi]`` holds (part of) a found span."""
    return spans.holds(lo, hi)


def _introducer(text: str, start: int, spans: Spans) -> str:
    """The clause introducing the span at ``start``: the text before it on its line, or else the
    nearest non-blank line above that ends in a colon (lines holding other found spans, such as a
    list's earlier items, are skipped); ``""`` if none."""
    floor = max(0, start - MAX_LOOK_BACK)
    newline = text.rfind("\n", floor, start)
    line_start = newline + 1 if newline >= 0 else floor
    before = text[max(line_start, start - MAX_TAIL, _last_end_before(spans, start)) : start]
    if _has_words(before) or (newline < 0 and floor > 0):
        return before
    end = line_start - 1
    while end > floor:
        prev_start = text.rfind("\n", floor, end) + 1
        line = text[prev_start:end]
        if line.strip() and not _holds_span(spans, prev_start, end) and not _TAG_LINE.fullmatch(line):
            return line.rstrip(" \t\r*_`:") if _ends_in_colon(line) else ""
        end = prev_start - 1
    return ""


def _follower(text: str, end: int, spans: Spans) -> tuple[str, bool]:
    """The first sentence after the span ending at ``end`` (the rest of its line, else the next
    non-blank line that is not another found span), and whether it is on the span's own line."""
    n = len(text)
    line_end = text.find("\n", end, min(n, end + MAX_TAIL))
    stop = line_end if line_end >= 0 else min(n, end + MAX_TAIL)
    nxt_span = spans.first_start_in(end, stop)
    stop = stop if nxt_span is None else nxt_span
    rest = text[end:stop]
    if rest.strip(" \t`*\"'"):
        return rest.strip(" \t`*\"'"), True
    pos, limit = (line_end + 1 if line_end >= 0 else n), min(n, end + MAX_LOOK_BACK)
    blank = 0
    label = ""
    while pos < limit and blank <= MAX_BLANK_LINES:
        nxt = text.find("\n", pos, limit)
        nxt = limit if nxt < 0 else nxt
        line = text[pos:nxt]
        stripped = line.strip(_MARKERS)
        if stripped and not _TAG_LINE.fullmatch(line) and (label or not _holds_span(spans, pos, nxt)):
            if label:  # `Response:` then its payload: read together
                return f"{label} {stripped[:MAX_TAIL]}", False
            if _LABEL_LINE.fullmatch(stripped):
                label = stripped
                pos = nxt + 1
                continue
            sentence = _SENTENCE_STOP.search(stripped, 0, MAX_TAIL)
            return (stripped[: sentence.end()] if sentence else stripped[:MAX_TAIL]), False
        blank += not stripped
        pos = nxt + 1
    return label, False


_LABEL_LINE = re.compile(r"(?:status|result|response|output|outcome|error|observation)[ \t]*:", re.IGNORECASE)
"""A follower line that only labels what comes next (``Response:``): the payload below is read with it."""


def _continues_sentence(before: str, after: str) -> bool:
    """Words on both sides of the span in one sentence: ``The function <span> requires ...``."""
    b = before.rstrip(" \t`*\"'")
    if not b or b[-1] in ":.!?;>)]}" or not any(ch.isalpha() for ch in b):
        return False
    a = after.lstrip(" \t`*\"'")
    return bool(a) and (a[0].islower() or a.startswith(("(", ", ")) and any(ch.isalpha() for ch in a[:20]))


_PLACEHOLDER_FIRST = frozenset("<{.…YXxp[P")
"""What a placeholder starts with (``_PLACEHOLDER``): a cheap test before the regex."""


def _placeholder(value: dict[str, Any] | list[Any], depth: int = 0) -> bool:
    """Whether a value inside a container (the arguments, a list, an object) is a placeholder."""
    if depth > 8:
        return False
    items = value.values() if type(value) is dict else value
    for item in items if len(value) <= 64 else list(items)[:64]:
        kind = type(item)
        if kind is str:
            if item[:1] in _PLACEHOLDER_FIRST or item[:1].isspace():
                if _PLACEHOLDER.fullmatch(item.strip()):
                    return True
        elif (kind is dict or kind is list) and _placeholder(item, depth + 1):  # type: ignore[arg-type]
            return True
    return False


_DEF = re.compile(r"\bdef[ \t]+([A-Za-z_]\w{0,127})[ \t]*\(")


def defined_before_use(text: str) -> frozenset[str]:
    """Functions the text defines (``def f(...)``) before it first calls them: calling such a
    function is running the example code the answer wrote, not calling a tool.

    >>> sorted(defined_before_use("def area(b, h):\\n    return b * h / 2\\n\\narea(b=10, h=5)"))
    ['area']
    >>> defined_before_use("[perimeter(a=1)]\\nAssuming perimeter is defined as:\\ndef perimeter(a): ...")
    frozenset()
    """
    if "def" not in text:
        return frozenset()
    out = set()
    for m in islice(_DEF.finditer(text), 64):
        name = m.group(1)
        use = re.search(rf"(?<![\w.])(?<!def ){re.escape(name)}[ \t]*\(", text)
        if use is None or use.start() >= m.start(1):
            out.add(name)
    return frozenset(out)


def _prose_before(text: str, start: int, spans: Spans) -> bool:
    """Whether the answer holds prose before the span at ``start`` (it does not open the answer)."""
    first = spans.starts[0] if spans.starts else start
    return _prose_between(text, 0, min(start, first))


def mention(
    text: str,
    start: int,
    end: int,
    spans: Sequence[Found] | Spans,
    calls: Sequence[ParsedCall],
    defined: frozenset[str] = frozenset(),
) -> str | None:
    """Why the calls written in ``text[start:end]`` are a mention (see the module), or ``None`` when
    they stand as the answer.  ``spans``: every span the reader found (skipped when looking for
    an introducer or a follower: a list's items share their list's)."""
    if (start == 0 or text[:start].isspace()) and (end == len(text) or text[end:].isspace()):
        return _template(calls, defined)  # the whole answer: nothing introduces or follows it
    index = _spans(spans)
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(line_start, start - MAX_TAIL, _last_end_before(index, start)) : start]
    follower, same_line = _follower(text, end, index)
    if _has_words(before) and (same_line or not follower[:1].isupper()):
        if _continues_sentence(before, follower):
            return "inside a sentence"
    introducer = _introducer(text, start, index)
    if introducer:
        if looks_back(introducer):
            return "a quote of a failed call"
        if hypothetical(introducer):
            return "conditional, an example or a hypothesis"
        if _ASKS_APPROVAL.search(_last_sentence(introducer)):
            return "a plan awaiting approval"
    if follower:
        if _REPORTS_BACK.match(follower) and not _LOOKS_FORWARD.search(follower):
            return "a quote of a failed call"
        if _ASKS_APPROVAL.search(follower):
            return "a plan awaiting approval"
        if _TEMPLATE_NOTE.search(follower):
            return "a template or an example"
        if _NOT_AVAILABLE.search(follower) and _prose_before(text, start, index):
            return "a hypothesis (the function does not exist)"
    return _template(calls, defined)


def _template(calls: Sequence[ParsedCall], defined: frozenset[str]) -> str | None:
    """Why calls are a template (placeholder arguments) or example code (the answer defines the
    function before calling it), or ``None``."""
    for call in calls:
        if call.arguments and _placeholder(call.arguments):
            return "a template with placeholders"
    if defined and any(c.name.rsplit(".", 1)[-1] in defined for c in calls):
        return "example code (the answer defines the function)"
    return None


_PROSE = re.compile(r"[A-Za-z]{2,}[^\n]*?[ \t][A-Za-z]{2,}[ \t][A-Za-z]{2,}")
"""A line with three words: prose between two spans."""
_CALL_LABEL = re.compile(r"[ \t]*[^\n:]{0,80}:[ \t]*$")
"""A short label line ending in a colon (``Second stock:``): part of the same answer."""


def _prose_between(text: str, lo: int, hi: int) -> bool:
    for line in text[lo:hi].split("\n"):
        if _PROSE.search(line) and not _CALL_LABEL.fullmatch(line):
            return True
    return False


def _key(call: ParsedCall) -> tuple[str, str]:
    if not call.arguments_ok and not call.arguments:  # cut off or unreadable: never a known repeat
        return (call.name, f"?{id(call)}")
    return (call.name, repr(sorted(call.arguments.items(), key=lambda kv: str(kv[0]))))


def standing_calls(
    text: str, found: Sequence[Found], defined: frozenset[str] | None = None
) -> list[ParsedCall]:
    """The calls of the spans that stand as the answer, in order; a later span that only repeats
    calls already made, after prose, is dropped (``[f(a=1)]`` then ``The call f(a=1) returns ...``
    in a later code span counts once).  ``defined``: the functions the answer defines before using
    them (``defined_before_use`` of the text before its example code was blanked)."""
    if not found:
        return []
    defined = defined_before_use(text) if defined is None else defined
    if len(found) == 1:  # one span: nothing to repeat
        one = found[0]
        if not one.calls or mention(text, one.start, one.end, found, one.calls, defined) is not None:
            return []
        return one.calls[:MAX_CALLS]
    index = Spans(found)
    spans = index.items
    out: list[ParsedCall] = []
    seen: set[tuple[str, str]] = set()
    last_end = -1
    for f in spans:
        if not f.calls or mention(text, f.start, f.end, index, f.calls, defined) is not None:
            continue
        keys = [_key(c) for c in f.calls]
        if out and all(k in seen for k in keys) and _prose_between(text, last_end, f.start):
            continue
        seen.update(keys)
        out.extend(f.calls)
        last_end = f.end
        if len(out) >= MAX_CALLS:
            break
    return out[:MAX_CALLS]
