"""``stale_resource`` (Appendix N (5)): the tool succeeds but returns an old snapshot first.

Where the sources allow it: the gold tool must read state that changes over time (a live read:
weather, prices, balances, schedules, news, search results ...), by the words of its name
(``LIVE_WORDS``; none of ``COMPUTE_WORDS`` or ``noop.WRITE_WORDS``) and two short tables of
exceptions.  Tools that compute (BFCL's formulas), translate, generate, or look up facts that do
not change have no state that can go stale, and are left out: most of BFCL's and ToolEyes' gold
tools, so this row has fewer than 100 samples.

The first successful gold call's result carries ``snapshot_age_seconds`` (two to seven days); a
repeated call is fresh (``0``).  Right when the model re-queries or flags the staleness in its final
answer (``stale``, ``outdated``, ``as of``, ...); wrong otherwise.
"""

from __future__ import annotations

from robustbench_tc.records import Sample
from robustbench_tc.world.axes.base import (
    AxisBuilder,
    Pool,
    name_words,
    needs_target,
    runtime_row,
    target_call,
)
from robustbench_tc.world.axes.noop import WRITE_WORDS
from robustbench_tc.world.draw import Draw
from robustbench_tc.world.spec import StaleSnapshot

CODE = "stale_resource"

LIVE_WORDS = frozenset(
    "weather forecast uv price prices stock stocks quote quotes balance account rate rates exchange news "
    "status traffic schedule agenda alarm reminder meeting registration health today date current latest live "
    "trending crypto cryptocurrency market nav commodity ticker flight flights availability holiday holidays "
    "crime jobs job listing listings product products lodging search query travel related archive catalog "
    "boards members restaurants nearby history charts leagues".split()
)
"""Name words of tools that read state which changes over time."""
COMPUTE_WORDS = frozenset(
    "calculate calculation compute solve analysis analyze similarity growth wolfram".split()
)
"""Name words of tools that compute an answer from their inputs: nothing there can go stale."""
STATIC_TOOLS = frozenset({"country_info.capital", "CountryCountryInfo", "religious_history.get_papal_biography",
                          "SymptomSearch"})  # fmt: skip
"""Reads of facts that do not change (a capital, a country's codes, a biography, a symptom reference)."""
LIVE_TOOLS = frozenset({"convert_get"})
"""Live reads the words miss: a currency conversion at today's rate."""
AGES_DAYS = (2, 3, 5, 7)


def is_live_read(tool: str) -> bool:
    """Whether ``tool`` reads state that changes over time (the rule is the four tables above).

    >>> is_live_read("QueryBalance"), is_live_read("get_weather_forecast"), is_live_read("calculate_bmi")
    (True, True, False)
    """
    if tool in LIVE_TOOLS:
        return True
    words = name_words(tool)
    return (
        tool not in STATIC_TOOLS
        and bool(words & LIVE_WORDS)
        and not words & COMPUTE_WORDS
        and not words & WRITE_WORDS
    )


def eligible(sample: Sample, pool: Pool) -> str | None:
    reason = needs_target(sample, pool)
    if reason:
        return reason
    gold = target_call(sample)
    assert gold is not None
    return None if is_live_read(gold.name) else "the gold tool reads no state that changes over time"


def make(clean: Sample, _pool: Pool, draw: Draw) -> Sample:
    gold = target_call(clean)
    assert gold is not None
    return runtime_row(
        clean, CODE, StaleSnapshot(tool=gold.name, age_seconds=draw.choice(AGES_DAYS) * 86_400)
    )


BUILDER = AxisBuilder(
    CODE,
    eligible,
    make,
    note="samples whose gold tool reads state that changes (a word of `LIVE_WORDS` in its name, no "
    "computation or write word, two tables of exceptions); the first gold result is a snapshot 2-7 days old (`snapshot_age_seconds`), a repeated call "
    "is fresh.",
)
