"""Offline rule paraphrases (the ``rules`` generator of QueryPara, ToolPara and ParamPara).

A paraphrase is one clause-level rewrite (``restructure``: a request restated as an imperative, a
context sentence moved after the request, a tool description in the passive voice, a parameter
description restated as a question...) when one applies, plus seeded substitutions from a phrase
table, applied only to words that ``text.editable_words`` allows: entities, numbers, dates,
technical terms, quoted strings, markup and gold values are never touched.  Each table maps a
lowercase phrase to alternatives with the same meaning and grammar in every context of the
benchmark where it fires: every entry was read in all of them (docs/perturbations.md, "Rule
review"; ``docs/rule_review.csv`` lists the 335 rules of the first tables and each verdict).
A match keeps the capitalisation of its first letter.

>>> import random
>>> rephrase("Can you find the type of soil based on the sample ID ab123?", "query", random.Random(0))[0]
'Please find the kind of soil based on the sample ID ab123.'
>>> rephrase("Name of the game.", "parameter", random.Random(1))[0]
'What is the name of the game?'
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from typing import Any, Literal

from robustbench_tc.perturbations import restructure
from robustbench_tc.perturbations.text import WORD, editable_regions, editable_words

Table = dict[str, tuple[str, ...]]

_COMMON: Table = {
    "based on": ("using",),
    "related to": ("associated with",),
    "associated with": ("linked to",),
    "most recent": ("latest",),
    "make sure": ("ensure",),
    "large": ("big",),
    "every": ("each",),
    "such as": ("like",),
    "desired": ("preferred",),
    "preferred": ("desired",),
    "initial": ("starting",),
    "combine": ("merge",),
    "merge": ("combine",),
    "analyze": ("examine",),
    "performs": ("carries out",),
    "execute": ("run",),
    "converts": ("transforms",),
    "reduce": ("decrease",),
    "obtain": ("get",),
    "multiple": ("several",),
    "contained in": ("present in",),
    "specific": ("particular",),
    "particular": ("specific",),
    "total": ("overall",),
    "requires": ("needs",),
    "require": ("need",),
    "employees": ("staff members",),
    "famous": ("well-known",),
    "various": ("different",),
    "simple": ("basic",),
    "accurate": ("precise",),
    "located in": ("situated in",),
    "definitions": ("meanings",),
    "to be converted": ("to convert",),
    "the type of": ("the kind of",),
    "information about": ("details about", "information regarding"),
}

QUERY_TABLE: Table = {
    **_COMMON,
    "can you": ("could you", "would you"),
    "could you": ("can you", "would you"),
    "i want to": ("i'd like to", "i wish to"),
    "i would like to": ("i want to", "i'd like to"),
    "i need to": ("i have to",),
    "i need": ("i require",),
    "search for": ("look for",),
    "get": ("fetch",),
    "give me": ("provide me with", "show me"),
    "show me": ("display", "give me"),
    "display": ("show",),
    "what is": ("what's",),
    "calculate": ("compute", "work out"),
    "compute": ("calculate",),
    "determine": ("figure out", "establish"),
    "modify": ("change", "update"),
    "change": ("modify",),
    "delete": ("remove",),
    "retrieve": ("get", "obtain"),
    "generate": ("create", "produce"),
    "create": ("make",),
    "predict": ("forecast",),
    "using": ("utilizing",),
    "thanks": ("thank you",),
    "thank you": ("thanks",),
    "what day is it": ("what is the date",),
    "hi": ("hello",),
    "record": ("log",),
    "results": ("entries",),
    "how much is": ("what is",),
    "how much will": ("what will",),
    "produced": ("generated",),
    "annually": ("each year",),
    "travels": ("drives",),
    "expect": ("anticipate",),
    "solve": ("work out",),
    "who won": ("who was the winner of",),
    "turn on": ("switch on",),
    "planning": ("organizing",),
    "looking for": ("searching for",),
    "apply for": ("submit an application for",),
    "emotions": ("feelings",),
    "tonight": ("this evening",),
    "is there": ("does there exist",),
    "are there": ("do there exist",),
    "recommend": ("suggest",),
    "register": ("sign up for",),
}

DESCRIPTION_TABLE: Table = {
    **_COMMON,
    "specific": ("particular", "given"),
    "retrieve": ("obtain", "fetch"),
    "retrieves": ("obtains", "fetches"),
    "get": ("fetch", "obtain"),
    "gets": ("fetches", "obtains", "retrieves"),
    "finds": ("identifies",),
    "calculate": ("compute",),
    "calculates": ("computes",),
    "compute": ("calculate",),
    "returns": ("provides", "gives back"),
    "will return": ("returns",),
    "provide": ("supply",),
    "provides": ("supplies",),
    "search for": ("look up",),
    "searches for": ("looks up",),
    "specified": ("given",),
    "certain": ("specific",),
    "this api": ("this endpoint",),
    "used to": ("employed to",),
    "allows you to": ("lets you",),
    "includes": ("contains",),
    "create": ("make",),
    "delete": ("remove",),
    "deletes": ("removes",),
    "modify": ("change", "update"),
    "modifies": ("changes", "updates"),
    "generate": ("produce",),
    "generates": ("produces",),
    "estimate": ("approximate",),
    "determines": ("establishes",),
    "display": ("show",),
    "queries the": ("looks up the",),
    "identifier": ("ID",),
    "remove": ("delete",),
    "turn a": ("transform a",),
    "scrape": ("extract",),
    "fetch": ("retrieve",),
    "fetches": ("retrieves",),
    "to list the": ("to retrieve the",),
    "to obtain the": ("to get the",),
    "to request": ("to ask for",),
    "helps to": ("helps",),
    "can be used": ("may be used",),
    "an array of": ("a list of",),
    "is found": ("exists",),
    "relate to": ("concern",),
    "setting": ("configuring",),
    "records the": ("stores the",),
    "registers an": ("books an",),
    "query the": ("look up the",),
    "words": ("terms",),
    "requirements": ("criteria",),
    "security": ("protection",),
    "default is": ("defaults to",),
}

PARAMETER_TABLE: Table = {
    **DESCRIPTION_TABLE,
    "in the format": ("formatted as",),
    "indicates": ("shows",),
    "the time for": ("the time of",),
    "the content of": ("the contents of",),
    "filter by": ("narrow down by", "restrict results by"),
    "limit the": ("restrict the",),
    "mean of": ("average of",),
    "age of": ("the age of",),
    "gender of": ("the gender of",),
    "duration of": ("length of",),
    "coefficient of": ("the coefficient of",),
    "pass as": ("given as",),
    "published": ("released",),
    "after this time": ("later than this time",),
    "before this time": ("earlier than this time",),
    "origin": ("starting point",),
    "ending point": ("end point",),
    "starting point": ("start point",),
    "to be analyzed": ("to analyze",),
    "to be connected": ("to connect to",),
    "to be performed": ("to perform",),
    "describing": ("that describes",),
    "person": ("individual",),
    "period": ("time frame",),
    "accepted": ("allowed",),
    "provided": ("supplied",),
    "constant term": ("constant",),
    "containing": ("holding",),
    "for authentication": ("used to authenticate",),
    "comma separated": ("comma-delimited",),
    "by default": ("unless specified",),
    "journey": ("trip",),
    "within the": ("inside the",),
    "page number": ("page index",),
}

GENERIC_ACRONYMS = frozenset({"API", "ID"})
"""Acronyms that name no entity and may be rephrased ("This API" -> "This endpoint")."""

_DETERMINER = re.compile(r"\b(?:the|a|an|your|its|their)\s+$", re.I)
NOT_AFTER: dict[str, re.Pattern[str]] = {
    "default is": re.compile(r"\bthe\s+$", re.I),
    "age of": _DETERMINER,
    "gender of": _DETERMINER,
    "coefficient of": _DETERMINER,
}
"""Phrases that keep their meaning and grammar except right after these words ("The default is
10" would become "The defaults to 10"; "What is the age of" would become "the the age of")."""

_ARTICLE = re.compile(r"^The ([a-z][a-z]+)\b")


def _compile(table: Table) -> re.Pattern[str]:
    phrases = sorted(table, key=len, reverse=True)  # longest match wins
    body = "|".join(re.escape(p) for p in phrases)
    return re.compile(rf"(?<![\w'\-])({body})(?![\w'\-])", re.I)


_PATTERNS: dict[int, re.Pattern[str]] = {}


def _pattern(table: Table) -> re.Pattern[str]:
    key = id(table)
    if key not in _PATTERNS:
        _PATTERNS[key] = _compile(table)
    return _PATTERNS[key]


def _match_case(original: str, replacement: str) -> str:
    """Capitalise ``replacement`` like a capitalised ``original`` ("Can you", "I need"), but not
    after an acronym ("ID").

    >>> _match_case("I need to", "i have to"), _match_case("ID", "identifier")
    ('I have to', 'identifier')
    """
    first = original.split()[0] if original.split() else original
    if first[:1].isupper() and (len(first) == 1 or first[1:].islower()) and not replacement[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


QUERY_FRAMES = ("Here is what I need: ", "I have a request. ", "My request is as follows: ")
"""Last-resort rewrite of a query nothing else applies to: a framing sentence before it."""

DESCRIPTION_FRAMES = ("In short: ", "Purpose: ")
"""Last resort for a row none of whose descriptions anything else applies to."""

TextKind = Literal["query", "description", "parameter"]
TABLES: dict[str, Table] = {
    "query": QUERY_TABLE,
    "description": DESCRIPTION_TABLE,
    "parameter": PARAMETER_TABLE,
}


def candidates(
    text: str, table: Table, protect: Iterable[str] = (), acronyms: frozenset[str] = frozenset()
) -> list[re.Match[str]]:
    """Table matches in ``text`` whose every word may be edited (no entity, no protected span)."""
    allowed = {a for a, _, _ in editable_words(text, protect)}
    out = []
    for m in _pattern(table).finditer(text):
        guard = NOT_AFTER.get(m.group().lower())
        if guard is not None and guard.search(text[: m.start()]):
            continue
        words = list(WORD.finditer(m.group()))
        if all(m.start() + w.start() in allowed or w.group() in acronyms for w in words):
            out.append(m)
    return out


def substitute(
    text: str, table: Table, chosen: list[re.Match[str]], rng: random.Random
) -> tuple[str, list[dict[str, Any]]]:
    """Apply the table substitutions ``chosen`` (matches in ``text``), left to right."""
    edits: list[dict[str, Any]] = []
    out, shift = text, 0
    for m in sorted(chosen, key=lambda m: m.start()):
        new = _match_case(m.group(), rng.choice(table[m.group().lower()]))
        a, b = m.start() + shift, m.end() + shift
        out = out[:a] + new + out[b:]
        shift += len(new) - len(m.group())
        edits.append({"offset": m.start(), "from": m.group(), "to": new})
    return out, edits


def paraphrase(
    text: str,
    table: Table,
    rng: random.Random,
    protect: Iterable[str] = (),
    max_edits: int = 4,
    frames: tuple[str, ...] = (),
    acronyms: frozenset[str] = frozenset(),
) -> tuple[str, list[dict[str, Any]]]:
    """``text`` with 2..``max_edits`` table substitutions (fewer if fewer match), and what was
    replaced; if no entry matches: a leading-article rewrite, else a framing sentence."""
    found = candidates(text, table, protect, acronyms)
    if found:
        chosen = rng.sample(found, min(len(found), rng.randint(2, max_edits)))
        return substitute(text, table, chosen, rng)
    return _syntactic(text, protect, rng, frames)


def rephrase(
    text: str,
    kind: TextKind,
    rng: random.Random,
    protect: Iterable[str] = (),
    *,
    param_type: str = "",
    frames: tuple[str, ...] = (),
    acronyms: frozenset[str] = frozenset(),
) -> tuple[str, list[dict[str, Any]]]:
    """The ``rules`` paraphrase of a query / tool description / parameter description: one
    clause-level rewrite if any applies (then 0-2 substitutions), else 2-4 substitutions, else
    the last resorts of ``paraphrase``.  Edits are listed in the order they were applied (each
    offset is in the text as it was before that edit)."""
    protect = tuple(protect)
    if kind == "query":
        rewrites = restructure.query_rewrites(text, protect)
    elif kind == "description":
        rewrites = restructure.description_rewrites(text, protect)
    else:
        rewrites = restructure.parameter_rewrites(text, param_type, protect)
    table = TABLES[kind]
    if not rewrites:
        return paraphrase(text, table, rng, protect, frames=frames, acronyms=acronyms)
    rewrite = rng.choice(rewrites)
    out = rewrite.apply(text)
    edits: list[dict[str, Any]] = [rewrite.record(text)]
    found = candidates(out, table, protect, acronyms)
    count = min(len(found), rng.randint(0, 2))
    if count:
        out, more = substitute(out, table, rng.sample(found, count), rng)
        edits += more
    return out, edits


def _syntactic(
    text: str, protect: Iterable[str], rng: random.Random, frames: tuple[str, ...]
) -> tuple[str, list[dict[str, Any]]]:
    """Last-resort safe rewrites: drop a leading article ("The x of y" -> "X of y"), else frame
    the first editable region with a sentence that adds no content."""
    m = _ARTICLE.match(text)
    if m and 0 in {a for a, _, _ in editable_words(text, protect)}:
        word = m.group(1)
        new = word[:1].upper() + word[1:]
        return new + text[m.end() :], [{"offset": 0, "from": m.group(), "to": new}]
    regions = editable_regions(text)
    if frames and regions:
        start = regions[0][0]
        while start < regions[0][1] and text[start].isspace():
            start += 1
        frame = rng.choice(frames)
        return text[:start] + frame + text[start:], [{"offset": start, "from": "", "to": frame}]
    raise ValueError(f"no paraphrase rule applies to {text[:60]!r}")
