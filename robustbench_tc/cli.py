"""The one command line: ``robustbench-tc <subcommand>`` (also ``python -m robustbench_tc``).

Subcommands come from the ``robustbench_tc.commands`` entry-point group (pyproject.toml); each
entry names a function ``add_commands(subparsers) -> None``, and a subcommand sets
``func(args) -> int`` on its parser.  From a source checkout whose installed metadata lacks the
group (PYTHONPATH, or a stale editable install) the same table is read from the checkout's
pyproject.toml, so the core never names the apps.  Entries are imported lazily so that a missing
optional dependency of one app never breaks the others; heavy imports belong inside ``func``.

>>> names = [name for name, _ in command_entries()]
>>> "scoring" in names
True
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tomllib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from robustbench_tc import __version__
from robustbench_tc.errors import CLIError, RobustBenchError

__all__ = ["COMMAND_GROUP", "CLIError", "RobustBenchError", "build_parser", "command_entries", "main"]

COMMAND_GROUP = "robustbench_tc.commands"
_CHECKOUT_PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _checkout_entries(pyproject: Path = _CHECKOUT_PYPROJECT) -> list[tuple[str, str]]:
    """The command entries of the source checkout this package is imported from (if any)."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return []
    project = data.get("project", {})
    if project.get("name") != "robustbench-tc":
        return []
    return list(project.get("entry-points", {}).get(COMMAND_GROUP, {}).items())


def command_entries() -> list[tuple[str, str]]:
    """``(name, "module:function")`` for every subcommand provider, declaration order.

    The source checkout's table (when the package runs from one) comes first and wins over an
    installed entry of the same name; installed plugins follow.
    """
    entries = dict(_checkout_entries())
    for ep in metadata.entry_points(group=COMMAND_GROUP):
        entries.setdefault(ep.name, ep.value)
    return list(entries.items())


def _load(target: str) -> Callable[[Any], None] | None:
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None  # the app is not installed/present
        raise
    return getattr(module, attr or "add_commands")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every app's subcommands; with ``command``, apps are imported in order only
    until one provides it (``robustbench-tc score`` does not import the training app)."""
    parser = argparse.ArgumentParser(
        prog="robustbench-tc",
        description="RobustBench-TC: tool-calling robustness benchmark (build, run, score, serve).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="<command>")
    for _, target in command_entries():
        add_commands = _load(target)
        if add_commands is None:
            continue
        add_commands(subparsers)
        if command is not None and command in subparsers.choices:
            break
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv[0] if argv and not argv[0].startswith("-") else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except RobustBenchError as exc:
        print(f"robustbench-tc {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
