"""Offline rule paraphrases (the ``rules`` generator of QueryPara, ToolPara and ParamPara).

A paraphrase is a seeded set of substitutions from a phrase table (synonyms and safe syntactic
rewrites such as ``would like to -> want to`` or dropping a leading article), applied only to
words that ``text.editable_words`` allows: entities, numbers, dates, technical terms, quoted
strings, markup and gold values are never touched.  Each table maps a lowercase phrase to
alternatives with the same meaning in context; a match keeps the capitalisation of its first
letter.  At most four substitutions are made, at least one (else ``ValueError``).

>>> import random
>>> paraphrase("Find the type of soil based on the sample ID ab123.", QUERY_TABLE, random.Random(0))[0]
'Look up the kind of soil according to the sample ID ab123.'
>>> paraphrase("Name of the game.", PARAMETER_TABLE, random.Random(0))[0]
'Title of the game.'
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from typing import Any

from robustbench_tc.perturbations.text import WORD, editable_regions, editable_words

Table = dict[str, tuple[str, ...]]

_COMMON: Table = {
    "based on": ("using", "according to"),
    "information": ("details",),
    "about": ("regarding", "concerning"),
    "related to": ("associated with", "connected to"),
    "associated with": ("related to", "linked to"),
    "current": ("present",),
    "latest": ("most recent",),
    "most recent": ("latest",),
    "in order to": ("to",),
    "make sure": ("ensure",),
    "ensure": ("make sure",),
    "a lot of": ("many",),
    "large": ("big",),
    "big": ("large",),
    "small": ("little",),
    "each": ("every",),
    "every": ("each",),
    "nearby": ("close by",),
    "approximately": ("roughly",),
    "type of": ("kind of",),
    "kind of": ("type of",),
    "such as": ("like",),
    "whether": ("if",),
    "desired": ("preferred",),
    "preferred": ("desired",),
    "initial": ("starting",),
    "country": ("nation",),
    "amount of": ("quantity of",),
    "start": ("begin",),
    "begin": ("start",),
    "full": ("complete",),
    "complete": ("full",),
    "single": ("one",),
    "detailed": ("thorough",),
    "combine": ("merge",),
    "merge": ("combine",),
    "analyze": ("examine",),
    "analyse": ("examine",),
    "perform": ("carry out",),
    "performs": ("carries out",),
    "execute": ("run",),
    "convert": ("transform",),
    "converts": ("transforms",),
    "reduce": ("decrease",),
    "obtain": ("get",),
    "multiple": ("several",),
    "numerous": ("many",),
    "contained in": ("present in",),
    "including": ("covering",),
    "specific": ("particular",),
    "particular": ("specific",),
    "total": ("overall",),
    "options": ("choices",),
    "available": ("on offer",),
    "requires": ("needs",),
    "require": ("need",),
    "during": ("throughout",),
    "employees": ("staff members",),
    "help": ("assist",),
    "relevant": ("pertinent",),
    "similar": ("comparable",),
    "famous": ("well-known",),
    "popular": ("well-liked",),
    "various": ("different",),
    "within": ("inside",),
    "useful": ("helpful",),
    "quick": ("fast",),
    "fast": ("quick",),
    "simple": ("basic",),
    "accurate": ("precise",),
    "located in": ("situated in",),
    "requested": ("asked for",),
    "definitions": ("meanings",),
    "converting": ("turning",),
    "to be converted": ("to convert",),
}

QUERY_TABLE: Table = {
    **_COMMON,
    "can you": ("could you", "would you"),
    "could you": ("can you", "would you"),
    "would you": ("could you",),
    "please tell me": ("let me know", "could you tell me"),
    "tell me": ("let me know", "inform me of"),
    "let me know": ("tell me",),
    "help me": ("assist me",),
    "i want to": ("i'd like to", "i wish to"),
    "i would like to": ("i want to", "i'd like to"),
    "i'd like to": ("i would like to", "i want to"),
    "i need to": ("i have to",),
    "i need": ("i require",),
    "find": ("identify", "locate", "look up"),
    "search for": ("look for",),
    "look up": ("find",),
    "look for": ("search for",),
    "get": ("obtain", "retrieve", "fetch"),
    "give me": ("provide me with", "show me"),
    "show me": ("display", "give me"),
    "show": ("display",),
    "display": ("show",),
    "what is": ("what's",),
    "what's": ("what is",),
    "calculate": ("compute", "work out"),
    "compute": ("calculate",),
    "determine": ("figure out", "establish"),
    "check": ("verify",),
    "modify": ("change", "update"),
    "change": ("modify",),
    "delete": ("remove",),
    "remove": ("delete",),
    "buy": ("purchase",),
    "purchase": ("buy",),
    "retrieve": ("get", "obtain"),
    "provide": ("give", "supply"),
    "generate": ("create", "produce"),
    "create": ("make", "set up"),
    "estimate": ("approximate",),
    "predict": ("forecast",),
    "forecast": ("predict",),
    "using": ("with", "utilizing"),
    "thanks": ("thank you",),
    "thank you": ("thanks",),
    "right now": ("at the moment",),
    "what day is it": ("what is the date",),
    "please": ("kindly",),
    "want to know": ("would like to know",),
    "hi": ("hello",),
    "quickly": ("fast",),
    "price": ("cost",),
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
    "book a": ("reserve a",),
    "turn on": ("switch on",),
    "say": ("express",),
    "planning": ("organizing",),
    "looking for": ("searching for",),
    "interested in": ("keen on",),
    "apply for": ("submit an application for",),
    "emotions": ("feelings",),
    "shorten": ("make shorter",),
    "list all": ("list every",),
    "any": ("some",),
    "tonight": ("this evening",),
    "tomorrow": ("the next day",),
    "weekend": ("Saturday and Sunday",),
    "trip": ("journey",),
    "cheap": ("inexpensive",),
    "do you know": ("are you aware of",),
    "is there": ("does there exist",),
    "are there": ("do there exist",),
    "suggest": ("recommend",),
    "recommend": ("suggest",),
    "send": ("dispatch",),
    "register": ("sign up for",),
    "reschedule": ("move",),
    "appointment": ("booking",),
}

DESCRIPTION_TABLE: Table = {
    **_COMMON,
    "retrieve": ("obtain", "fetch"),
    "retrieves": ("obtains", "fetches"),
    "get": ("fetch", "obtain"),
    "gets": ("fetches", "obtains", "retrieves"),
    "find": ("locate",),
    "finds": ("locates", "identifies"),
    "calculate": ("compute",),
    "calculates": ("computes",),
    "compute": ("calculate",),
    "computes": ("calculates",),
    "return": ("provide",),
    "returns": ("provides", "gives back"),
    "will return": ("returns",),
    "provide": ("supply", "give"),
    "provides": ("supplies", "gives"),
    "search for": ("look up",),
    "searches for": ("looks up",),
    "specific": ("particular", "given"),
    "specified": ("given", "designated"),
    "given": ("specified",),
    "certain": ("specific",),
    "a list of": ("a set of",),
    "the list of": ("the set of",),
    "this api": ("this endpoint",),
    "the api": ("the endpoint",),
    "used to": ("employed to",),
    "allows you to": ("lets you",),
    "includes": ("contains",),
    "include": ("contain",),
    "check": ("verify",),
    "checks": ("verifies",),
    "create": ("make",),
    "creates": ("makes", "sets up"),
    "delete": ("remove",),
    "deletes": ("removes",),
    "modify": ("change", "update"),
    "modifies": ("changes", "updates"),
    "generate": ("produce",),
    "generates": ("produces",),
    "estimate": ("approximate",),
    "estimates": ("approximates",),
    "determine": ("establish",),
    "determines": ("establishes",),
    "display": ("show",),
    "queries the": ("looks up the",),
    "e.g.": ("for example",),
    "default is": ("defaults to",),
    "number of": ("count of",),
    "maximum": ("largest",),
    "minimum": ("smallest",),
    "identifier": ("ID",),
    "predicts": ("forecasts",),
    "predict": ("forecast",),
    "remove": ("delete",),
    "turn a": ("transform a",),
    "split": ("divide",),
    "rotates": ("turns",),
    "scrape": ("extract",),
    "fetch": ("retrieve",),
    "fetches": ("retrieves",),
    "to list the": ("to retrieve the",),
    "to obtain the": ("to get the",),
    "to request": ("to ask for",),
    "helps to": ("helps",),
    "can be used": ("may be used",),
    "is used for": ("serves for",),
    "an array of": ("a list of",),
    "is returned": ("comes back",),
    "is found": ("exists",),
    "relate to": ("concern",),
    "setting": ("configuring",),
    "records the": ("stores the",),
    "registers an": ("books an",),
    "id": ("identifier",),
    "query the": ("look up the",),
    "words": ("terms",),
    "requirements": ("criteria",),
    "long": ("lengthy",),
    "short": ("brief",),
    "security": ("protection",),
}

PARAMETER_TABLE: Table = {
    **DESCRIPTION_TABLE,
    "name of": ("title of",),
    "the number of": ("how many",),
    "in the format": ("formatted as",),
    "indicates": ("shows",),
    "the time for": ("the time of",),
    "the content of": ("the contents of",),
    "location": ("place",),
    "filter by": ("narrow down by", "restrict results by"),
    "limit the": ("restrict the",),
    "returned": ("provided",),
    "final": ("ending",),
    "mean of": ("average of",),
    "speed": ("velocity",),
    "a date": ("the date",),
    "age of": ("the age of",),
    "gender of": ("the gender of",),
    "level of": ("degree of",),
    "duration of": ("length of",),
    "base of": ("the base of",),
    "coefficient of": ("the coefficient of",),
    "should be": ("must be",),
    "must be": ("should be",),
    "pass as": ("given as",),
    "published": ("released",),
    "after this time": ("later than this time",),
    "before this time": ("earlier than this time",),
    "alternatively": ("as an alternative,",),
    "destination": ("target",),
    "origin": ("starting point",),
    "ending point": ("end point",),
    "starting point": ("start point",),
    "to be analyzed": ("to analyze",),
    "to be connected": ("to connect to",),
    "to be performed": ("to perform",),
    "describing": ("that describes",),
    "person": ("individual",),
    "period": ("time frame",),
    "average": ("mean",),
    "accepted": ("allowed",),
    "provided": ("supplied",),
    "constant term": ("constant",),
    "coordinates for": ("coordinates of",),
    "unique": ("distinct",),
    "containing": ("holding",),
    "for authentication": ("used to authenticate",),
    "comma separated": ("comma-delimited",),
    "comma-separated": ("comma-delimited",),
    "by default": ("unless specified",),
    "example": ("for instance",),
    "numbers": ("figures",),
    "analysis": ("evaluation",),
    "action": ("operation",),
    "journey": ("trip",),
    "within the": ("inside the",),
    "page number": ("page index",),
}

GENERIC_ACRONYMS = frozenset({"API", "ID"})
"""Acronyms that name no entity and may be rephrased ("This API" -> "This endpoint")."""

_ARTICLE = re.compile(r"^The ([a-z][a-z]+)")


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
"""Last-resort rewrite of a query no table entry matches: a framing sentence before it."""

DESCRIPTION_FRAMES = ("In short: ", "Purpose: ")
"""Last resort for a row none of whose descriptions any table entry matches."""


def paraphrase(
    text: str,
    table: Table,
    rng: random.Random,
    protect: Iterable[str] = (),
    max_edits: int = 4,
    frames: tuple[str, ...] = (),
    acronyms: frozenset[str] = frozenset(),
) -> tuple[str, list[dict[str, Any]]]:
    """``text`` rephrased by 1..``max_edits`` table substitutions, and what was replaced; if no
    entry matches: a leading-article rewrite, else a framing sentence from ``frames``.
    ``acronyms`` may be rephrased although acronyms are otherwise protected (descriptions)."""
    allowed = {a: b for a, b, _ in editable_words(text, protect)}
    candidates = []
    for m in _pattern(table).finditer(text):
        # every word of the phrase must be an editable word (no entity, no protected span)
        words = list(WORD.finditer(m.group()))
        if all(m.start() + w.start() in allowed or w.group() in acronyms for w in words):
            candidates.append(m)
    edits: list[dict[str, Any]] = []
    if candidates:
        count = min(len(candidates), rng.randint(2, max_edits))
        chosen = sorted(rng.sample(candidates, count), key=lambda m: m.start())
        out, shift = text, 0
        for m in chosen:
            alternatives = table[m.group().lower()]
            new = _match_case(m.group(), rng.choice(alternatives))
            a, b = m.start() + shift, m.end() + shift
            out = out[:a] + new + out[b:]
            shift += len(new) - len(m.group())
            edits.append({"offset": m.start(), "from": m.group(), "to": new})
        return out, edits
    return _syntactic(text, protect, rng, frames)


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
