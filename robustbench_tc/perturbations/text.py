"""Where a sample's user request is, which parts of it may be edited, and what must not change.

The "query" of a sample is its last user message.  API-Bank (and ToolRL) flatten a whole dialogue
into that message (``**Dialogue Records History**\\n<user>...</user>\\n<response>...``) ending with
a fixed closing ``<user>`` turn that starts with ``FINAL_INSTRUCTION``; there, only the inner text
of the real ``<user>`` turns is editable: tags, assistant turns, ``<tool_call>``/``<obs>``
payloads and the closing instruction stay byte-identical.

>>> q = '**Dialogue Records History**\\n<user>Add "Lunch" at 2pm.</user>\\n<response>Ok</response>\\n' \\
...     '<user> Based on our conversation above, do it.</user>\\n'
>>> [q[a:b] for a, b in editable_regions(q)]
['Add "Lunch" at 2pm.']
>>> append_request_suffix(q, "Please use the quickest method.").count('2pm. Please use the quickest method.</user>')
1
>>> append_request_suffix("What is the capital of Brazil?", "Please use a cost-effective option.")
'What is the capital of Brazil? Please use a cost-effective option.'
>>> t = "Find the GPS ID ab123 for Canis lupus in 'data.csv' at https://x.org now"
>>> sorted({t[a:b] for a, b in protected_spans(t, ["Canis lupus"])})
["'data.csv'", 'Canis lupus', 'GPS', 'ID', 'ab123', 'data.csv', 'https://x.org']
>>> [w for _, _, w in editable_words(t, ["Canis lupus"])]
['Find', 'the', 'for', 'in', 'at', 'now']
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from typing import Any

from robustbench_tc.records import OPTIONAL, Message, Sample, copy_record
from robustbench_tc.sources import SOURCES, sources

FINAL_INSTRUCTION = "Based on our conversation above"
"""The fixed closing turn of API-Bank / ToolRL dialogues (never edited, never suffixed)."""

_USER_TURN = re.compile(r"<user>(.*?)</user>", re.S)

_QUOTED = re.compile(
    r'"[^"\n]*"|\u201c[^\u201d\n]*\u201d|\u2018[^\u2019\n]*\u2019|(?<![\w])\'[^\'\n]*\'(?![\w])'
)
_URL = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+")
_TAG = re.compile(r"<[^<>\n]{1,40}>|\*\*[^*\n]+\*\*")
_TOKEN = re.compile(r"\S+")
_EDGE_PUNCT = ".,;:!?()[]{}\"'\u2019\u2018\u201c\u201d"
_TECH_CHARS = set("0123456789_./@#$%=+\\<>&|~^*")
WORD = re.compile(r"[^\W\d_]+")  # letters of any script: "Zürich" is one word
DIGIT_RUNS = re.compile(r"\d+")


def query_index(sample: Sample) -> int:
    """Index of the message holding the user's request (the last ``user`` message)."""
    for i in range(len(sample.messages) - 1, -1, -1):
        if sample.messages[i].role == "user":
            return i
    raise ValueError(f"sample {sample.id!r} has no user message to perturb")


def query_text(sample: Sample) -> str:
    return sample.messages[query_index(sample)].content


def with_query(sample: Sample, text: str) -> Sample:
    """A copy of ``sample`` whose query message is ``text``."""
    copy = copy_record(sample)
    idx = query_index(sample)
    copy.messages[idx] = Message(role="user", content=text)
    return copy


_TRAILERS: dict[tuple[str, ...], tuple[str, ...]] = {}


def _trailers() -> tuple[str, ...]:
    """The sources' user-turn suffixes, computed once per set of registered sources."""
    names = tuple(SOURCES)
    if names not in _TRAILERS:
        _TRAILERS[names] = tuple(s.user_turn_suffix for s in sources() if s.user_turn_suffix)
    return _TRAILERS[names]


def _trailer_start(text: str) -> int:
    for trailer in _trailers():  # if a loader kept it
        if text.endswith(trailer):
            return len(text) - len(trailer)
    return len(text)


def editable_regions(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that carry the user's own words (see the module docstring)."""
    if "<user>" not in text:
        end = _trailer_start(text)
        return [(0, end)] if end else []
    regions = []
    for match in _USER_TURN.finditer(text):
        if FINAL_INSTRUCTION in match.group(1):
            continue
        regions.append(match.span(1))
    return regions


def append_request_suffix(text: str, suffix: str) -> str:
    """Append ``suffix`` to the end of the user's request: the last real ``<user>`` turn of a
    dialogue (before the closing instruction), else the end of the text (before a ``Begin!``)."""
    regions = editable_regions(text)
    if not regions:
        raise ValueError("the query has no user text to append a suffix to")
    start, end = regions[-1]
    body = text[start:end]
    stripped = body.rstrip()
    joined = f"{stripped} {suffix}" if stripped else suffix
    return text[:start] + joined + body[len(stripped) :] + text[end:]


def gold_values(sample: Sample) -> list[Any]:
    """Every acceptable argument value of every gold call, flattened (strings and numbers)."""
    out: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
        elif isinstance(value, bool) or value is None:
            return
        elif isinstance(value, (int, float)):
            out.append(value)
        elif isinstance(value, str) and value != OPTIONAL:
            out.append(value)

    for answer in sample.golden_answers:
        for call in answer.calls:
            for values in call.arguments.values():
                walk(values)
    return out


def gold_strings_in(sample: Sample, text: str) -> list[str]:
    """Gold string values (and numbers, as written) that occur verbatim in ``text``."""
    found = []
    for value in gold_values(sample):
        s = value if isinstance(value, str) else _number_text(value)
        if s and s.strip() and s in text and s not in found:
            found.append(s)
    return found


def _number_text(value: int | float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


@functools.lru_cache(maxsize=1 << 16)
def _is_technical(core: str) -> bool:
    if any(c in _TECH_CHARS for c in core):
        return True
    if re.search(r"[a-z][A-Z]", core):  # camelCase
        return True
    return sum(c.isupper() for c in core) >= 2  # acronyms: SNP, ID, NAV, UUIDs


def protected_spans(text: str, values: Iterable[str] = ()) -> list[tuple[int, int]]:
    """Spans that no rule may edit: markup, quoted strings, URLs/e-mails, technical tokens
    (digits, underscores, dots, camelCase, acronyms) and occurrences of ``values``
    (case-insensitive).  Proper nouns are handled by ``editable_words``."""
    # several rules of a row ask about the same text: compute each once
    return list(_protected_spans(text, tuple(str(v) for v in values)))


@functools.lru_cache(maxsize=1 << 14)
def _protected_spans(text: str, values: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    for pattern in (_TAG, _QUOTED, _URL):
        spans += [m.span() for m in pattern.finditer(text)]
    masked = _TAG.sub(lambda m: " " * len(m.group()), text)  # "<user>Can" is markup + a word
    for m in _TOKEN.finditer(masked):
        token = m.group()
        lead = len(token) - len(token.lstrip(_EDGE_PUNCT))
        core = token.strip(_EDGE_PUNCT)
        if core and _is_technical(core):
            spans.append((m.start() + lead, m.start() + lead + len(core)))
    lowered = text.lower()
    for value in values:
        v = str(value).strip().lower()
        if not v:
            continue
        start = lowered.find(v)
        while start >= 0:
            spans.append((start, start + len(v)))
            start = lowered.find(v, start + 1)
    return tuple(sorted(spans))


def overlaps(span: tuple[int, int], spans: Iterable[tuple[int, int]]) -> bool:
    a, b = span
    return any(a < d and c < b for c, d in spans)


def _sentence_start(text: str, region_start: int, pos: int) -> bool:
    i = pos - 1
    while i >= region_start and text[i] in " \t":
        i -= 1
    return i < region_start or text[i] in ".!?:\n>"


def editable_words(text: str, values: Iterable[str] = ()) -> Iterator[tuple[int, int, str]]:
    """(start, end, word) of plain words a rule may edit: letters only, inside an editable
    region, outside protected spans, not touching ``'``/``-``/``_``, and lowercase (a
    capitalised word only at a sentence start: elsewhere it is a proper noun)."""
    # the same descriptions and queries come back in many rows and types: compute each once
    return iter(_editable_words(text, tuple(str(v) for v in values)))


@functools.lru_cache(maxsize=1 << 14)
def _editable_words(text: str, values: tuple[str, ...]) -> tuple[tuple[int, int, str], ...]:
    return tuple(_iter_editable_words(text, values))


def _iter_editable_words(text: str, values: tuple[str, ...]) -> Iterator[tuple[int, int, str]]:
    protected = protected_spans(text, values)
    for r_start, r_end in editable_regions(text):
        for m in WORD.finditer(text, r_start, r_end):
            a, b = m.span()
            before = text[a - 1] if a > 0 else " "
            after = text[b] if b < len(text) else " "
            if before in "'-_\u2019/\\" or after in "'-_\u2019/\\" or before.isdigit() or after.isdigit():
                continue
            word = m.group()
            if overlaps((a, b), protected):
                continue
            if not word.islower() and word != "I":  # the pronoun is no proper noun
                if not (word[0].isupper() and word[1:].islower() and _sentence_start(text, r_start, a)):
                    continue
            yield a, b, word
