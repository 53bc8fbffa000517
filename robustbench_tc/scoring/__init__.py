"""Strict per-source scorers, error modes, aggregates and the ``score`` / ``oracle`` commands.

The names below are imported on first use (PEP 562), so that ``robustbench-tc <any command>``
does not pay for numpy, pydantic and the parser when it only builds its argument parser.

>>> scorer_for("rotbench").source
'rotbench'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

SCORER_VERSION = 8
"""Bumped whenever a parsing or scoring rule changes a verdict; stored with every scored run.

2: one rule for "the model made this call" (``parsing.made_calls``): calls mentioned in prose,
math, example code or give-ups no longer count; tool schemas echoed back are not calls; "wrong" is
split into ``name_bias`` and ``parameter_mismatch`` (Appendix L); transition records are checked.
3: a quoted failed call is a mention when its introducer looks back; gcd/lcm keyword calls are tools.
4: names with spaces inside JSON call objects are tool names ("Search Managers").
8 (issue 20): one standing test for every reader (tags, JSON, ReAct, native forms included): its
introducer and follower decide (conditional, example, template, plan awaiting approval, quoted
failure); the answer ends at the model's next turn; quoted-call lists, native formats of current
model families and ``;``-separated calls are read; one truncation policy; ToolAlpaca's ad-hoc
forms only for ToolAlpaca; BFCL scorer: a parameter the tool schema requires must be given, an
empty list leaves an optional parameter out, a string where the possible answer holds one
(docs/scoring.md lists every verdict change against 7 by class)."""

# ``aggregate`` is both a submodule and a function: bind the function now (aggregate.py is light),
# or the submodule's first import would shadow it.
from robustbench_tc.scoring.aggregate import DROP_DEFINITION, Aggregates, aggregate, drop  # noqa: E402

_EXPORTS: dict[str, str] = {
    "ERROR_MODES": "error_modes",
    "MISSING": "error_modes",
    "ErrorMode": "error_modes",
    "WRONG_MODES": "error_modes",
    "ghost_calls": "error_modes",
    "TransitionProtocolError": "protocol",
    "TrajectoryReplayError": "protocol",
    "RuntimeReport": "runtime",
    "check_transition_protocol": "protocol",
    "transition_violations": "protocol",
    "classify": "error_modes",
    "scorer_for": "sample",
    "SourceScorer": "base",
    "ConfigScore": "report",
    "Estimate": "report",
    "PairedTest": "report",
    "RecordKey": "report",
    "SampleRow": "report",
    "ScoreReport": "report",
    "score_predictions": "report",
    "SampleScore": "sample",
    "score_sample": "sample",
}

__all__ = [
    "DROP_DEFINITION",
    "ERROR_MODES",
    "MISSING",
    "SCORER_VERSION",
    "Aggregates",
    "ConfigScore",
    "ErrorMode",
    "Estimate",
    "TrajectoryReplayError",
    "TransitionProtocolError",
    "WRONG_MODES",
    "drop",
    "PairedTest",
    "RecordKey",
    "SampleRow",
    "SampleScore",
    "ScoreReport",
    "SourceScorer",
    "aggregate",
    "check_transition_protocol",
    "classify",
    "ghost_calls",
    "score_predictions",
    "score_sample",
    "scorer_for",
    "transition_violations",
]

if TYPE_CHECKING:
    from robustbench_tc.scoring.base import SourceScorer
    from robustbench_tc.scoring.error_modes import (
        ERROR_MODES,
        MISSING,
        WRONG_MODES,
        ErrorMode,
        classify,
        ghost_calls,
    )
    from robustbench_tc.scoring.protocol import (
        TrajectoryReplayError,
        TransitionProtocolError,
        check_transition_protocol,
        transition_violations,
    )
    from robustbench_tc.scoring.report import (
        ConfigScore,
        Estimate,
        PairedTest,
        RecordKey,
        SampleRow,
        ScoreReport,
        score_predictions,
    )
    from robustbench_tc.scoring.sample import SampleScore, score_sample, scorer_for


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
