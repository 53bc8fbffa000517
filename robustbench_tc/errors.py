"""The one base class of user-facing errors.

Every error a user can cause (bad input file, missing source, unknown name, refused upload)
derives from ``RobustBenchError``; the CLI catches it once and prints one line, exit status 2.

>>> issubclass(CLIError, RobustBenchError)
True
"""

from __future__ import annotations


class RobustBenchError(Exception):
    """A user-facing error: its message says what is wrong and what to do."""


class CLIError(RobustBenchError):
    """A user error found by a subcommand itself (bad flag combination, missing file)."""
