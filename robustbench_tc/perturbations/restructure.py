"""Deterministic clause-level rewrites of the ``rules`` paraphrases (more than word swaps).

Each function lists the rewrites that apply to a text as ``Rewrite`` records (a span, its new
text, the rule's name); the paraphraser picks one with the row's random stream.  A rewrite only
touches plain words and sentence punctuation, or moves a whole sentence verbatim, so entities,
numbers, quoted strings and gold values survive (the validity audit checks it again).  Every rule
here was read over every row it fires on (docs/perturbations.md, "Rule review").

Queries (the user's own words; for API-Bank dialogues each real ``<user>`` turn):

* ``request_as_imperative``: "Can you find X?" -> "Please find X."
* ``imperative_as_request``: "Find X." / "Please find X." -> "Could you find X?"
* ``context_after_request``: "I'm planning a trip. Could you check the weather?" -> the request
  first, the context sentence after it (only when the request refers back to nothing).

Tool descriptions:

* ``drop_subject``: "This API queries X." -> "Queries X."
* ``use_to``: "Get X." / "Gets X." / "This API gets X." -> "Use this tool (API) to get X."
  ("Returns X" -> "Use this tool to get X": the user gets what the tool returns)
* ``passive_voice``: "Returns a list of X." -> "A list of X is returned." (short plain objects)

Parameter descriptions:

* ``as_question``: "The name of the city." -> "What is the name of the city?"
* ``as_imperative``: "The name of the city." -> "Specify the name of the city."
* ``boolean_as_flag``: "Whether to X." -> "Set to true to X." (boolean parameters only)

>>> [r.apply("Can you find the cheapest flight to Oslo?") for r in query_rewrites(
...     "Can you find the cheapest flight to Oslo?")]
['Please find the cheapest flight to Oslo.']
>>> [r.apply("Returns a list of dog breeds.") for r in description_rewrites("Returns a list of dog breeds.")]
['Use this tool to get a list of dog breeds.', 'A list of dog breeds is returned.']
>>> [r.apply("The name of the city.") for r in parameter_rewrites("The name of the city.", "string")]
['What is the name of the city?', 'Specify the name of the city.']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from robustbench_tc.perturbations.text import editable_regions, protected_spans


@dataclass(frozen=True)
class Rewrite:
    """Replace ``text[start:end]`` with ``new``; ``rule`` names the rewrite."""

    rule: str
    start: int
    end: int
    new: str

    def apply(self, text: str) -> str:
        return text[: self.start] + self.new + text[self.end :]

    def record(self, text: str) -> dict[str, object]:
        return {"rule": self.rule, "offset": self.start, "from": text[self.start : self.end], "to": self.new}


# Verbs, by form.  Only verbs whose every use in the benchmark's requests and descriptions is a
# verb are listed (``list``, ``record``, ``book`` are also nouns: they appear in the imperative
# position only, where they are verbs).
BASE_VERBS = frozenset(
    """add analyze book calculate cancel check compute convert create delete describe display
    estimate execute explain explore extract fetch find generate get give help identify list locate
    look make merge modify obtain open predict print provide recommend record register reschedule
    reset retrieve run schedule scrape search send show solve suggest tell translate turn update
    use utilize""".split()
)
THIRD_PERSON = {
    "calculates": "calculate",
    "computes": "compute",
    "converts": "convert",
    "creates": "create",
    "deletes": "delete",
    "extracts": "extract",
    "fetches": "fetch",
    "finds": "find",
    "generates": "generate",
    "gets": "get",
    "modifies": "modify",
    "predicts": "predict",
    "provides": "provide",
    "queries": "query",
    "records": "record",
    "retrieves": "retrieve",
    "returns": "return",
    "searches": "search",
}
PARTICIPLE = {
    "calculates": "calculated",
    "computes": "computed",
    "fetches": "fetched",
    "generates": "generated",
    "provides": "provided",
    "queries": "queried",
    "retrieves": "retrieved",
    "returns": "returned",
}
_SUBJECT = re.compile(r"^(?P<subj>This (?:API|tool|function|endpoint)|It) (?P<verb>[a-z]+)\b")
_ABBREV = re.compile(r"(?:\b(?:Dr|Mr|Mrs|Ms|St|vs|etc|e\.g|i\.e|ex|No)\.|\b[A-Z]\.)$")
_ANAPHORA = re.compile(
    r"\b(?:this|that|these|those|it|its|them|they|their|there|here|one|such|him|her|his|same)\b", re.I
)
_CONTEXT_START = re.compile(r"^(?:I'm|I am|I will|I'll|I have|I've|I hope)\b")
_REQUEST_START = re.compile(r"^(?:Can|Could|Would) you\b|^Please\b")
_MODAL_REQUEST = re.compile(
    r"(?P<lead>^|, )(?P<modal>[Cc]an|[Cc]ould|[Ww]ould) you (?P<please>please )?(?P<also>also )?"
    r"(?P<verb>[a-z]+)\b(?P<rest>[^?]*)\?$"
)
_IMPERATIVE = re.compile(r"^(?P<please>Please )?(?P<verb>[A-Za-z][a-z]+)\b(?P<rest>[^?!]*?)(?P<end>[.!?]?)$")


def sentences(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence of ``text[start:end]``, trailing spaces excluded; a full stop
    after an abbreviation ("Dr.", "e.g.") or a single capital does not end a sentence.

    >>> t = "Book with Dr. Smith. Then e.g. call me? Done"
    >>> [t[a:b] for a, b in sentences(t)]
    ['Book with Dr. Smith.', 'Then e.g. call me?', 'Done']
    """
    end = len(text) if end is None else end
    pos = start
    while pos < end and text[pos].isspace():
        pos += 1
    cut = pos
    for m in re.finditer(r"[.!?]+(?=\s|$)", text[pos:end]):
        stop = pos + m.end()
        if m.group() == "." and _ABBREV.search(text[cut:stop]):
            continue
        yield cut, stop
        cut = stop
        while cut < end and text[cut].isspace():
            cut += 1
    tail = text[cut:end].rstrip()
    if tail:
        yield cut, cut + len(tail)


def _touches(spans: list[tuple[int, int]], a: int, b: int) -> bool:
    return any(x < b and a < y for x, y in spans)


def query_rewrites(text: str, protect: Iterable[str] = ()) -> list[Rewrite]:
    """Clause-level rewrites of the user's own words in a query (see the module docstring)."""
    protected = protected_spans(text, protect)
    out: list[Rewrite] = []
    for r_start, r_end in editable_regions(text):
        spans = list(sentences(text, r_start, r_end))
        for i, (a, b) in enumerate(spans):
            sent = text[a:b]
            m = _MODAL_REQUEST.search(sent)
            if m and m.group("verb") in BASE_VERBS and "please" not in m.group("rest").lower():
                head_end = a + m.start("rest")
                if not _touches(protected, a + m.start(), head_end) and not _touches(protected, b - 1, b):
                    lead = m.group("lead")
                    new = f"{lead}{'please' if lead else 'Please'} {m.group('also') or ''}{m.group('verb')}"
                    new += m.group("rest") + "."
                    out.append(Rewrite("request_as_imperative", a + m.start(), b, new))
            m2 = _IMPERATIVE.match(sent)
            if m2 and m2.group("verb").lower() in BASE_VERBS and (m2.group("please") or sent[0].isupper()):
                verb_end = a + m2.end("verb")
                end_changes = bool(m2.group("end")) and not _touches(protected, b - 1, b)
                if not _touches(protected, a, verb_end) and (end_changes or not m2.group("end")):
                    new = f"Could you {m2.group('verb').lower()}{m2.group('rest')}?"
                    out.append(Rewrite("imperative_as_request", a, b, new))
            if i + 1 < len(spans) and _CONTEXT_START.match(sent):
                c, d = spans[i + 1]
                request = text[c:d]
                if _REQUEST_START.match(request) and not _ANAPHORA.search(request) and request[-1] in ".?!":
                    out.append(Rewrite("context_after_request", a, d, f"{request} {sent}"))
    return out


def _first_sentence(text: str) -> tuple[int, int]:
    return next(iter(sentences(text)), (0, len(text)))


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:]


_OBJECT_STOP = re.compile(
    r"\b(?:based|given|using|according|by|that|which|who|where|when|if|whether|and|or)\b|[,;:()]"
)
_HEAD_BREAK = re.compile(
    r"\b(?:of|for|from|in|on|at|with|to|into|about|between|near|under|over|across|as|per|that|which|"
    r"who|whom|whose|where|when|you|we|i|they)\b|[,;:(]"
)
_SINGULAR_S = ("ss", "us", "is")
_MASS = frozenset({"data", "news", "information", "series", "species", "metadata"})


def is_plural(noun_phrase: str) -> bool:
    """Whether a noun phrase takes a plural verb, from its head (the last word before the first
    preposition); a coordination ("X and Y") is plural.

    >>> is_plural("a list of dog breeds"), is_plural("ten random jokes"), is_plural("ticker data")
    (False, True, False)
    """
    head_part = _HEAD_BREAK.split(noun_phrase.lower(), maxsplit=1)[0]
    if re.search(r"\band\b", head_part):
        return True
    words = re.findall(r"[A-Za-z]+", head_part)
    if not words:
        return False
    head = words[-1].lower()
    return head not in _MASS and head.endswith("s") and not head.endswith(_SINGULAR_S)


def description_rewrites(text: str, protect: Iterable[str] = ()) -> list[Rewrite]:
    """Clause-level rewrites of a tool description's first sentence (module docstring)."""
    protected = protected_spans(text, protect)
    a, b = _first_sentence(text)
    sent = text[a:b]
    out: list[Rewrite] = []
    subject = _SUBJECT.match(sent)
    verb, subj = (subject.group("verb"), subject.group("subj")) if subject else (None, None)
    rest_at = subject.end() if subject else 0
    if subject is None:
        first = re.match(r"[A-Z][a-z]+\b", sent)
        verb = first.group().lower() if first else None
        rest_at = first.end() if first else 0
    # the subject is one of a few fixed phrases ("This API": an acronym, but no entity)
    verb_start = a + (subject.start("verb") if subject else 0)
    if verb is None or _touches(protected, verb_start, a + rest_at):
        return out
    rest = sent[rest_at:]
    base = THIRD_PERSON.get(verb) or (verb if subject is None and verb in BASE_VERBS else None)
    # the user gets what a tool returns or provides ("Use this tool to provide X" is wrong)
    base = "get" if base == "return" else None if base in ("use", "utilize", "provide") else base
    if subject is not None and verb in THIRD_PERSON:
        out.append(Rewrite("drop_subject", a, a + rest_at, _cap(verb)))
    if base is not None:
        agent = "this tool" if subj in (None, "It") else subj[0].lower() + subj[1:]
        out.append(Rewrite("use_to", a, a + rest_at, f"Use {agent} to {base}"))
    if verb in PARTICIPLE:
        obj = rest.strip()
        end = ""
        if obj.endswith("."):
            obj, end = obj[:-1].rstrip(), "."
        words = obj.split()
        if 2 <= len(words) <= 8 and not _OBJECT_STOP.search(obj) and b == len(text.rstrip()):
            be = "are" if is_plural(obj) else "is"
            by = f" by {subj[0].lower() + subj[1:]}" if subj and subj != "It" else ""
            out.append(Rewrite("passive_voice", a, b, f"{_cap(obj)} {be} {PARTICIPLE[verb]}{by}{end}"))
    return out


_NP_START = re.compile(r"^(?:(?P<det>The|A|An|Your) (?=[a-z])|(?P<bare>[A-Z][a-z]+(?:'s)? (?:of|for) ))")
_FINITE = re.compile(
    r"\b(?:is|are|was|were|be|been|can|could|should|must|will|would|may|might|has|have|had|does|"
    r"do|did|means|defines|determines|indicates|represents|contains|returns|specifies|decides)\b"
)
_RELATIVE = re.compile(r"\b(?:which|that|who|whom|whose|where|when|if|whether)\b")
_WHETHER = re.compile(r"^Whether (?:or not )?(?P<to>to )?")
BOOLEAN_TYPES = frozenset({"boolean", "bool"})


_NOT_NOUNS = frozenset(
    "one some any each all none both either neither many most few filter limit set pass specify".split()
)


def _noun_phrase(sentence: str) -> bool:
    """A first sentence that is a noun phrase ("The name of the city", "Height of the box"): it
    opens like one (not with a verb or a quantifier), ends like a sentence, and any finite verb
    sits inside a relative clause."""
    m = _NP_START.match(sentence)
    if m is None or not re.search(r"[\w)\]'\"]\.?$", sentence) or re.search(r"\.\.$|\.['\"]$", sentence):
        return False
    first, second = (sentence.lower().split(" ", 2) + ["", ""])[:2]
    first = first.removesuffix("'s")
    if m.group("bare") and ((first in BASE_VERBS and second != "of") or first in _NOT_NOUNS):
        return False
    verb = _FINITE.search(sentence)
    if verb is None:
        return True
    relative = _RELATIVE.search(sentence)
    return relative is not None and relative.start() < verb.start()


def parameter_rewrites(text: str, param_type: str = "", protect: Iterable[str] = ()) -> list[Rewrite]:
    """Restate a parameter description as a question or an imperative (module docstring)."""
    protected = protected_spans(text, protect)
    a, b = _first_sentence(text)
    sent = text[a:b]
    out: list[Rewrite] = []
    whether = _WHETHER.match(sent)
    either = re.search(r"\bor\b", sent[whether.end() :]) if whether else None
    if (
        whether
        and not either
        and param_type.lower() in BOOLEAN_TYPES
        and not _touches(protected, a, a + whether.end())
    ):
        new = "Set to true to " if whether.group("to") else "True if "
        out.append(Rewrite("boolean_as_flag", a, a + whether.end(), new))
    m = _NP_START.match(sent)
    if m is None or not _noun_phrase(sent) or _touches(protected, a, a + m.end()):
        return out
    body = sent[:-1] if sent.endswith(".") else sent
    if m.group("bare"):
        first = body.split(" ", 1)
        np = "the " + first[0].lower() + (" " + first[1] if len(first) > 1 else "")
    else:
        np = body[0].lower() + body[1:]
    if m.group("det") in (None, "The", "Your"):
        be = "are" if is_plural(np) else "is"
        out.append(Rewrite("as_question", a, b, f"What {be} {np}?"))
    out.append(Rewrite("as_imperative", a, b, f"Specify {np}" + ("." if sent.endswith(".") else "")))
    return out
