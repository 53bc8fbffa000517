"""The transition protocol, checked rather than trusted (§4.3, docs/scoring.md).

A transition record carries both passes.  ``transition_injected: true`` says pass 1 made a tool
call, so the fault was injected and pass 2 (``raw_output``) is scored; ``false`` says pass 1 made
no call, so no fault was injected and pass 1 is scored as is.  Both claims are checked with the
project's one rule (``parsing.made_calls``):

* ``true`` needs a ``first_pass_output`` in which the rule finds a call;
* ``false`` needs a pass 1 with no call: neither ``first_pass_output`` (when given) nor
  ``raw_output`` (which is then pass 1) may hold one.

Otherwise a file could skip the injected fault (mark ``false`` and send the correct call), or be
tested on recovery after a pass 1 that never called a tool.  ``score`` and the Space refuse a file
with any violation, naming the first records; nothing is scored or stored.

>>> from robustbench_tc.gold import GoldRow
>>> from robustbench_tc.predictions import PredictionRecord, PredictionsFile
>>> row = GoldRow("s1", "s1", "bfcl_v3", "transient_timeout", [], [])
>>> skip = PredictionRecord(id="s1", perturbation="transient_timeout", raw_output="[f(a=1)]",
...                         first_pass_output="[f(a=1)]", transition_injected=False)
>>> transition_violations({"transient_timeout": [row]}, PredictionsFile(records=[skip]))
['s1/transient_timeout: transition_injected=false but pass 1 makes a tool call (f); the fault must be injected after it']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.gold import ScoringRow
from robustbench_tc.parsing import made_calls
from robustbench_tc.predictions import PredictionRecord, PredictionsFile
from robustbench_tc.taxonomy import CONFIG_NAMES, is_transition
from robustbench_tc.world.replay import TrajectoryReplayError  # runtime records' check, raised with these

if TYPE_CHECKING:
    from robustbench_tc.records import Sample

__all__ = ["MAX_LISTED", "TrajectoryReplayError", "TransitionProtocolError", "check_transition_protocol",
           "record_violation", "transition_violations"]  # fmt: skip

MAX_LISTED = 5
"""Violations named in the error message (the count is always complete)."""


class TransitionProtocolError(RobustBenchError):
    """A predictions file whose transition records break the two-pass protocol."""


def _names(raw: str | None, source: object) -> str:
    calls = made_calls(raw or "", source)  # type: ignore[arg-type]
    return ", ".join(dict.fromkeys(c.name for c in calls))


def record_violation(record: PredictionRecord, source: object) -> str | None:
    """Why one transition record breaks the protocol, or ``None``."""
    where = f"{record.id}/{record.perturbation}"
    if record.transition_injected:
        if not _names(record.first_pass_output, source):
            return (
                f"{where}: transition_injected=true but its first_pass_output makes no tool call "
                "(a fault is injected only after a call; score pass 1 as is with transition_injected=false)"
            )
        return None
    if record.transition_injected is False:
        for text in (record.first_pass_output, record.raw_output):
            names = _names(text, source)
            if names:
                return (
                    f"{where}: transition_injected=false but pass 1 makes a tool call ({names}); "
                    "the fault must be injected after it"
                )
    return None


def transition_violations(
    samples: Mapping[str, Sequence[ScoringRow | Sample]], predictions: PredictionsFile
) -> list[str]:
    """Every transition record of ``predictions`` (known to ``samples``) that breaks the protocol."""
    source_of = {
        s.key: s.source
        for config, rows in samples.items()
        if config in CONFIG_NAMES and is_transition(config)
        for s in rows
    }
    out = []
    for record in predictions.records:
        source = source_of.get(record.key)
        if source is None:
            continue
        problem = record_violation(record, source)
        if problem is not None:
            out.append(problem)
    return out


def check_transition_protocol(
    samples: Mapping[str, Sequence[ScoringRow | Sample]], predictions: PredictionsFile, *, label: str = ""
) -> None:
    """Raise ``TransitionProtocolError`` naming the first violations, if there are any."""
    problems = transition_violations(samples, predictions)
    if not problems:
        return
    shown = "; ".join(problems[:MAX_LISTED])
    more = f"; and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
    raise TransitionProtocolError(
        f"{label}transition protocol violated by {len(problems)} record(s), nothing was scored: {shown}{more}"
    )
