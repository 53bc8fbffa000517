"""The one command line: ``robustbench-tc <subcommand>`` (also ``python -m robustbench_tc``).

Each app contributes its subcommands through a module exposing
``add_commands(subparsers) -> None``; a subcommand sets ``func(args) -> int`` on its parser.
Modules are imported lazily so that a missing optional dependency of one app never breaks the
others; heavy imports belong inside ``func``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from robustbench_tc import __version__
from robustbench_tc.errors import CLIError, RobustBenchError

__all__ = ["CLIError", "RobustBenchError", "build_parser", "main"]

COMMAND_MODULES: tuple[str, ...] = (
    "dataset_builder.cli",  # build, push, fetch-sources
    "robustbench_tc.scoring.cli",  # score, oracle
    "eval_harness.cli",  # run
    "space.cli",  # serve
    "train.cli",  # make-train-data
)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every app's subcommands; with ``command``, apps are imported in order only
    until one provides it (``robustbench-tc score`` does not import the training app)."""
    parser = argparse.ArgumentParser(
        prog="robustbench-tc",
        description="RobustBench-TC: tool-calling robustness benchmark (build, run, score, serve).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="<command>")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue  # the app is not installed/present
            raise
        module.add_commands(subparsers)
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
