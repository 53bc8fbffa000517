"""A third-party subcommand provider, as a plugin package would declare it (used by the CLI tests)."""

from __future__ import annotations

from typing import Any

from robustbench_tc.errors import RobustBenchError


def _hello(args: Any) -> int:
    print("hello from a plugin")
    return 0


def _fail(args: Any) -> int:
    raise RobustBenchError("the toy plugin refuses")


def add_commands(subparsers: Any) -> None:
    subparsers.add_parser("toy-hello").set_defaults(func=_hello)
    subparsers.add_parser("toy-fail").set_defaults(func=_fail)
