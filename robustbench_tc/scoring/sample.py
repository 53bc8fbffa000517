"""``score_sample``: parse one raw output and score it against one sample.

>>> from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample, Tool
>>> s = Sample(id="bfcl_v3__BFCL_v3_multiple__multiple_2", source="bfcl_v3",
...            messages=[Message(role="user", content="What is the capital of Brazil?")],
...            tools=[Tool(name="country_info.capital")], output_format="bfcl_ast",
...            golden_answers=[GoldAnswer(calls=[GoldCall(name="country_info.capital",
...                                                        arguments={"country": ["Brazil"]})])])
>>> r = score_sample(s, '[country_info.capital(country="Brazil")]')
>>> r.correct, r.error_mode, r.calls[0].name
(1.0, 'correct', 'country_info.capital')
>>> score_sample(s, "country_info.capital(country='Brasil')").error_mode
'parameter_mismatch'
>>> score_sample(s, "[capital_city(country='Brazil')]").ghost_calls
1
"""

from __future__ import annotations

from dataclasses import dataclass, field

from robustbench_tc.gold import ScoringRow, reward_distractor
from robustbench_tc.parsing import ParsedCall, parse_tool_calls, with_tool_names
from robustbench_tc.records import Sample
from robustbench_tc.scoring.base import SourceScorer
from robustbench_tc.scoring.error_modes import ErrorMode, classify, ghost_calls
from robustbench_tc.sources import SourceInfo, get_source


@dataclass(slots=True)
class SampleScore:
    """The score of one record: ``correct`` in [0, 1], its error mode, and the parsed calls."""

    correct: float
    error_mode: ErrorMode
    calls: list[ParsedCall] = field(default_factory=list)
    ghost_calls: int = 0
    """Calls to tools not in the sample's registry (App. N (7))."""


def _distractor(sample: ScoringRow | Sample) -> str | None:
    if isinstance(sample, Sample):
        return reward_distractor(sample.perturbation_metadata)
    return getattr(sample, "distractor", None)


_SCORERS: dict[str, tuple[SourceInfo, SourceScorer]] = {}


def scorer_for(source: str) -> SourceScorer:
    """The strict scorer of a source (its row of the source table names it); kept per source
    while the table holds the same row (a replaced row, even one swapped in by a test, is
    looked up again)."""
    row = get_source(source)
    kept = _SCORERS.get(source)
    if kept is not None and kept[0] is row:
        return kept[1]
    scorer = row.scorer_object()
    _SCORERS[source] = (row, scorer)
    return scorer


def score_sample(sample: ScoringRow | Sample, raw_output: str) -> SampleScore:
    """Re-parse ``raw_output`` with the sample's source dispatch order and score it strictly."""
    scorer = scorer_for(sample.source)
    raw = raw_output if isinstance(raw_output, str) else ""
    calls = parse_tool_calls(raw, sample.source)
    if calls and any(c.written is not None for c in calls):  # a namespace the tools may carry
        calls = with_tool_names(calls, [t.name for t in sample.tools])
    correct = float(scorer.score(calls, sample.golden_answers, sample.tools))
    correct = min(1.0, max(0.0, correct))
    mode = classify(
        raw,
        calls,
        correct,
        sample.golden_answers,
        lambda c, g: scorer.match_call(c, g, sample.tools),
        distractor=_distractor(sample),
    )
    return SampleScore(
        correct=correct, error_mode=mode, calls=calls, ghost_calls=ghost_calls(calls, sample.tools)
    )
