"""``robustbench-tc make-train-data``: build ToolRL-DR's Clean / DR-Full / DR-Mixed training sets.

Training itself is ``accelerate launch train/grpo.py --config train/configs/<name>.yaml``.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    from train.build_data import TRAIN_FILE, VALIDATION_FILE, VARIANTS

    parser = subparsers.add_parser(
        "make-train-data",
        help="build ToolRL-DR training sets (clean, dr_full, dr_mixed) from ToolRL's rlla data",
        description="Perturb ToolRL's rlla items with the benchmark's 16 static types and write a "
        "Hub-style dataset folder with one config per training set.",
    )
    parser.add_argument(
        "--sources",
        type=Path,
        default=None,
        help="the upstream sources folder (default: $RBTC_SOURCES, else ../shared/sources beside the "
        "repository, as train/grpo.py); --train/--validation are resolved against it when they are "
        "relative paths that exist there",
    )
    parser.add_argument("--out", type=Path, required=True, help="output dataset folder")
    parser.add_argument("--seed", type=int, default=0, help="seed of the type draws and the DR-Mixed half")
    parser.add_argument(
        "--variants",
        default=",".join(VARIANTS),
        help=f"comma-separated training sets to build (default: {','.join(VARIANTS)})",
    )
    parser.add_argument(
        "--train",
        default=TRAIN_FILE,
        help=f"rlla training items: a file (.json/.jsonl/.parquet), a dataset folder or a Hub "
        f"dataset name (default: {TRAIN_FILE} under --sources)",
    )
    parser.add_argument(
        "--validation",
        default=VALIDATION_FILE,
        help=f"rlla validation items, same forms (default: {VALIDATION_FILE} under --sources)",
    )
    parser.add_argument("--limit", type=int, default=None, help="use only the first N items of each split")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.set_defaults(func=_make_train_data)


def _resolve(value: str, sources: Path | None) -> str:
    if sources is not None and not Path(value).is_absolute() and (sources / value).exists():
        return str(sources / value)
    return value


def _make_train_data(args: argparse.Namespace) -> int:
    from robustbench_tc.cli import CLIError
    from train.build_data import (
        TRAIN_FILE,
        VALIDATION_FILE,
        TrainDataConfig,
        default_sources,
        make_train_data,
    )

    if args.sources is not None and not Path(args.sources).is_dir():
        raise CLIError(f"--sources {args.sources} is not a directory")
    sources = default_sources(args.sources)
    train, validation = _resolve(args.train, sources), _resolve(args.validation, sources)
    for name, value in (("--train", train), ("--validation", validation)):
        if value in (TRAIN_FILE, VALIDATION_FILE) and not Path(value).exists():
            where = (
                f"under {sources}"
                if sources
                else "(pass --sources DIR, set RBTC_SOURCES or put the sources at ../shared/sources)"
            )
            raise CLIError(f"{name} {value} not found {where}")
    try:
        config = TrainDataConfig(
            train=train,
            validation=validation,
            seed=args.seed,
            variants=tuple(v.strip() for v in args.variants.split(",") if v.strip()),
            limit=args.limit,
        )
        manifest = make_train_data(config, args.out, progress=not args.no_progress)
    except (ValueError, FileNotFoundError) as exc:
        raise CLIError(str(exc)) from None
    for name, count in manifest["counts"].items():
        print(f"{name}: {count} rows")
    print(f"wrote {args.out}")
    return 0
