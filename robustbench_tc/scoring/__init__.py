"""Strict per-source scorers, error modes, aggregates and the ``score`` / ``oracle`` commands.

>>> sorted(SCORERS.names())
['apibank', 'bfcl_v3', 'rotbench', 'toolalpaca', 'tooleyes']
"""

from robustbench_tc.scoring import apibank, bfcl, rotbench, toolalpaca, tooleyes  # noqa: F401  (register)
from robustbench_tc.scoring.aggregate import Aggregates, aggregate
from robustbench_tc.scoring.base import SCORERS, SourceScorer
from robustbench_tc.scoring.error_modes import ERROR_MODES, MISSING, ErrorMode, classify
from robustbench_tc.scoring.report import (
    ConfigScore,
    Estimate,
    PairedTest,
    RecordKey,
    SampleRow,
    ScoreReport,
    score_predictions,
)
from robustbench_tc.scoring.sample import SampleScore, score_sample

SCORER_VERSION = 2
"""Bumped whenever a parsing or scoring rule changes a verdict; stored with every scored run.

2: one rule for "the model made this call" (``parsing.made_calls``): calls mentioned in prose,
math, example code or give-ups no longer count; tool schemas echoed back are not calls."""

__all__ = [
    "ERROR_MODES",
    "MISSING",
    "SCORERS",
    "SCORER_VERSION",
    "Aggregates",
    "ConfigScore",
    "ErrorMode",
    "Estimate",
    "PairedTest",
    "RecordKey",
    "SampleRow",
    "SampleScore",
    "ScoreReport",
    "SourceScorer",
    "aggregate",
    "classify",
    "score_predictions",
    "score_sample",
]
