"""A curated list of meaning-shifting and ungrammatical substitutions, for any generator.

Each entry is a pattern the perturbed text must not gain: it hits a (clean, perturbed) pair when
``after`` matches more often in the perturbed text than in the clean one, and, when ``before`` is
given, ``before`` matches less often (the word it replaced went away).  Counting rather than
aligning words makes the check the same for a phrase-table swap, a clause-level rewrite (which
only moves words: no count changes) and an LLM's whole-sentence paraphrase.

The entries come from the rule review (docs/perturbations.md): every failure found while reading
the first ``rules`` tables in context, written generally enough to catch the same mistake from an
LLM.  The ``rules`` generator no longer makes any of them, so on its rows the figure is a
regression guard; on ``llm`` rows it is a measurement.

>>> [e.name for e in hits("The name of the company.", "The title of the company.")]
['name -> title']
>>> hits("Can you tell me about it?", "Please tell me about it.")
[]
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

_FLAGS = re.I | re.A
"""Case-insensitive, ASCII word boundaries: every entry is English; 4x faster than Unicode."""


@dataclass(frozen=True)
class BadEdit:
    """One curated mistake: what the perturbed text gains (and loses), and why it is wrong."""

    name: str
    kind: Literal["meaning", "grammar"]
    after: str
    before: str | None = None
    why: str = ""

    @cached_property
    def _after(self) -> re.Pattern[str]:
        return re.compile(self.after, _FLAGS)

    @cached_property
    def _before(self) -> re.Pattern[str] | None:
        return re.compile(self.before, _FLAGS) if self.before else None

    def hit(self, clean: str, perturbed: str) -> bool:
        if len(self._after.findall(perturbed)) <= len(self._after.findall(clean)):
            return False
        if self._before is None:
            return True
        return len(self._before.findall(perturbed)) < len(self._before.findall(clean))


def _m(name: str, after: str, before: str | None = None, why: str = "") -> BadEdit:
    return BadEdit(name, "meaning", after, before, why)


def _g(name: str, after: str, why: str = "") -> BadEdit:
    return BadEdit(name, "grammar", after, None, why)


BAD_EDITS: tuple[BadEdit, ...] = (
    # meaning shifts
    _m("name -> title", r"\btitles?\b", r"\bnames?\b", "a name is not a title"),
    _m("check -> verify", r"\bverif(?:y|ies|ied)\b", r"\bchecks?\b", "look up vs confirm a known value"),
    _m("price -> cost", r"\bcosts?\b", r"\bprices?\b", "a price is not a cost"),
    _m("speed -> velocity", r"\bvelocit(?:y|ies)\b", r"\bspeeds?\b", "scalar vs vector"),
    _m("based on -> according to", r"\baccording to\b", r"\bbased on\b", "reads as 'as stated by'"),
    _m("including -> covering", r"\bcovering\b", r"\bincluding\b", "changes who or what is included"),
    _m("should -> must", r"\bmust\b", r"\bshould\b", "recommendation becomes requirement"),
    _m("must -> should", r"\bshould\b", r"\bmust\b", "requirement becomes recommendation"),
    _m("tomorrow -> the next day", r"\bthe next day\b", r"\btomorrow\b", "needs a reference day"),
    _m("weekend -> Saturday and Sunday", r"\bSaturday and Sunday\b", r"\bweekend\b", "means both days"),
    _m("specified -> designated", r"\bdesignated\b", r"\bspecified\b", "officially named"),
    _m("unique -> distinct", r"\bdistinct\b", r"\bunique\b", "one-to-one vs different"),
    _m("maximum/minimum -> largest/smallest", r"\b(?:largest|smallest)\b", r"\b(?:maximum|minimum)\b"),
    _m("similar -> comparable", r"\bcomparable\b", r"\bsimilar\b", "not a similarity measure"),
    _m("reschedule -> move", r"\bmov(?:e|ing) (?:it )?to\b", r"\breschedul", "reads as moving house"),
    _m("appointment ID -> booking ID", r"\bbooking (?:ID|id|number)\b", r"\bappointment\b"),
    _m("during -> throughout", r"\bthroughout (?:a|the) (?:specified )?season\b", r"\bduring\b"),
    _m("current -> present (terms)", r"\bpresent (?:working directory|attendees)\b"),
    _m("country code -> nation code", r"\bnation code\b"),
    _m("full house -> complete house", r"\bcomplete house\b"),
    _m("return on X -> provide on X", r"\b(?:provide|give)s? on (?:equity|assets|investment)\b"),
    _m("weather forecast -> weather predict", r"\bweather predict\b"),
    _m("listed options -> listed choices", r"\blisted choices\b"),
    _m("latest closing time -> most recent", r"\bmost recent closing\b"),
    _m("predicts ages -> forecasts ages", r"\bforecasts? the (?:ages|genders|nationalities)\b"),
    _m("find (compute) -> locate", r"\blocat(?:e|es|ing) the (?:tangent|area|amount)\b"),
    _m("rotates -> turns pages", r"\bturns? the pages\b"),
    _m("job/office/GEO location -> place", r"\b(?:job|office|geo) place\b"),
    _m("activity level -> degree", r"\b(?:activity|lightness) degree\b"),
    _m("analysis -> evaluation", r"\bmode of evaluation\b"),
    _m("Zapier action -> operation", r"\boperation ID\b|\bZapier operation\b"),
    _m("id field -> identifier field", r"\bidentifier field\b"),
    _m("field returned -> provided", r"\bfield provided in\b"),
    _m("list -> set (ordered or array)", r"\bset of number\b|\bset of \w+, intelligently sorted\b"),
    _m("API key -> endpoint key", r"\bendpoint key\b"),
    _m("stock split -> divide", r"\bdivide (?:and|function)\b"),
    _m("long/short -> lengthy/brief", r"\blengthy weekends?\b|\bbrief url\b"),
    _m("type of (compound) -> kind of", r"\b(?:property|scheme) kind\b"),
    _m("include -> contain", r"\bareas contain\b|\bto contain the impact\b"),
    _m("perform (compete) -> carry out", r"\bcarr(?:y|ied) out at\b"),
    _m("convert (currency) -> transform", r"\btransform(?:s|ed)? to in\b|\bwould transform to\b"),
    _m("book a meeting -> reserve", r"\breserve a meeting\b"),
    _m("send -> dispatch", r"\bdispatch (?:an email|some money|money)\b"),
    _m(
        "given (preposition) -> specified",
        r"\bspecified (?:its|their|your|the radius|the location|the account|the username|current|total)\b",
    ),
    # broken grammar
    _g("determiner + plural 'details'", r"\b(?:this|that|an?) details\b|\bdetails is\b"),
    _g("inform me of more/about", r"\binform(?:s|ed)? (?:me|us|you) of (?:more|about)\b"),
    _g("every of", r"\bevery of\b"),
    _g("close by + noun", r"\b(?:find|locate|retrieve)s? close by\b"),
    _g("if to", r"\bif to\b"),
    _g(
        "phrasal 'about' replaced",
        r"\bhow (?:regarding|concerning)\b|\btell (?:me|us) (?:regarding|concerning)\b",
    ),
    _g("begin time", r"\bbegin time\b"),
    _g("auto full", r"\bauto full\b"),
    _g("a one + noun", r"\ba one \w+"),
    _g("find out -> X out", r"\b(?:identify|locate|look up) out\b"),
    _g("obtain/retrieve me", r"\b(?:obtain|retrieve) me\b"),
    _g("assist me + bare verb", r"\bassist (?:me|us|you|him|her|them) (?!to\b|in\b|with\b|by\b)[a-z]+"),
    _g("give me with", r"\bgive (?:me|us) with\b"),
    _g("supply me + object", r"\bsupply (?:me|us) (?!with\b)\w"),
    _g("an approximate on", r"\ban approximate on\b"),
    _g("make shorter this", r"\bmake shorter this\b"),
    _g("list every + plural", r"\blist every \w+s\b"),
    _g("stray 'kindly'", r"\byes,? kindly\b|\bkindly\?"),
    _g("express sorry", r"\bexpress sorry\b"),
    _g("doubled request", r"\b(?:can|could|would) you (?:can|could|would) you\b"),
    _g("doubled article", r"\bthe the\b"),
    _g("doubled comma", r",,"),
    _g("for for instance", r"\bfor for instance\b|\ban for instance\b"),
    _g("floor/ID figures", r"\b(?:floor|ID) figures\b"),
    _g("serves for + -ing", r"\bserves for \w+ing\b"),
    _g("the defaults to", r"\bthe defaults to\b"),
    _g("count of factors/years", r"\bcount of (?:factors|years)\b"),
    _g("a smallest of", r"\ba smallest of\b"),
    _g("coordinates of which", r"\bcoordinates of which\b"),
    _g("asked for + noun", r"\b(?:each|the) asked for\b"),
    _g("on offer + noun", r"\ball on offer\b"),
    _g("how quick an", r"\bhow quick an?\b"),
    _g("what is the one of", r"\bwhat (?:is|are) the one of\b"),
    _g("get how many", r"\bget how many\b"),
    _g("road journey", r"\broad journey\b"),
    _g("inside + distance", r"\binside \d"),
    _g("ending speed", r"\b(?:reach|the) ending speed\b"),
    _g("doubled please", r"\bplease\b[^.?!]*\bplease\b"),
)
"""The curated list (meaning shifts first, then broken grammar)."""


_SCREENS: dict[int, re.Pattern[str]] = {}


def _screen(entries: tuple[BadEdit, ...]) -> re.Pattern[str]:
    """Every entry's ``after`` in one pattern: one scan rejects a text no entry can hit."""
    key = id(entries)
    if key not in _SCREENS:
        _SCREENS[key] = re.compile("|".join(f"(?:{e.after})" for e in entries), _FLAGS)
    return _SCREENS[key]


def changed_window(clean: str, perturbed: str, margin: int = 40) -> tuple[str, str]:
    """The part of each text between their common prefix and suffix, with ``margin`` characters
    of context on each side (every entry is a phrase of a few words, so this is all it can see).

    >>> changed_window("Find the name of the city now.", "Find the title of the city now.", margin=4)
    ('the name of', 'the title of')
    """
    start = len(os.path.commonprefix([clean, perturbed]))
    limit = min(len(clean), len(perturbed)) - start
    end = min(len(os.path.commonprefix([clean[::-1], perturbed[::-1]])), limit)
    a = max(0, start - margin)
    return clean[a : max(a, len(clean) - end + margin)], perturbed[a : max(a, len(perturbed) - end + margin)]


def hits(clean: str, perturbed: str, entries: tuple[BadEdit, ...] = BAD_EDITS) -> list[BadEdit]:
    """The curated entries one (clean, perturbed) pair falls into (judged on the changed part)."""
    if clean == perturbed:
        return []
    clean, perturbed = changed_window(clean, perturbed)
    if _screen(entries).search(perturbed) is None:
        return []
    return [e for e in entries if e.hit(clean, perturbed)]
