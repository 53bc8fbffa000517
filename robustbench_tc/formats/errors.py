"""The one error type of the prompt codecs."""

from __future__ import annotations

from robustbench_tc.errors import RobustBenchError


class FormatError(RobustBenchError, ValueError):
    """A prompt or tool list does not have the layout its source uses; the message says where."""
