"""``robustbench-tc score``, ``robustbench-tc oracle`` and ``robustbench-tc convert-release``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from robustbench_tc.cli import CLIError


def add_commands(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "score",
        help="score a predictions file (table, JSON report, per-sample rows, paired test)",
        description="Score a predictions file against a built dataset with the deterministic "
        "per-source scorers; prints Clean, Pert. Acc., the per-component drops and per-type "
        "accuracies with 95%% percentile-bootstrap half-widths.",
    )
    p.add_argument("predictions", type=Path, help="predictions file (JSONL, or a JSON list/document)")
    p.add_argument(
        "--dataset", type=Path, required=True, help="built dataset folder (robustbench-tc build --out)"
    )
    p.add_argument(
        "--reference", type=Path, help="a second predictions file: paired bootstrap test against it"
    )
    p.add_argument(
        "--per-sample", type=Path, help="write per-sample JSONL (id, perturbation, correct, error mode)"
    )
    p.add_argument("--json", type=Path, help="write the full JSON report here")
    p.add_argument("--cluster", action="store_true", help="bootstrap base samples instead of records")
    p.add_argument("--n-boot", type=int, default=10_000, help="bootstrap resamples (default 10000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--max-bytes", type=int, default=None, help="reject predictions files larger than this")
    p.set_defaults(func=_score)

    o = subparsers.add_parser(
        "oracle",
        help="write the gold answers as a predictions file (the example submission; scores 1.000)",
        description="Render every sample's ground truth in its source's canonical output format "
        "and write it as a predictions file.",
    )
    o.add_argument("--dataset", type=Path, required=True, help="built dataset folder")
    o.add_argument("--out", type=Path, required=True, help="predictions JSONL to write")
    o.add_argument("--configs", nargs="+", help="only these configs (default: every config present)")
    o.add_argument(
        "--agent",
        default="oracle",
        help="the scripted agent that plays the runtime episodes: oracle (default), obey_injection, "
        "never_retry, stringify, repeat_first (the naive agents of docs/scoring.md)",
    )
    o.set_defaults(func=_oracle)

    c = subparsers.add_parser(
        "convert-release",
        help="convert predictions in the paper's release layout (perturbation.type) for `score`",
        description="Convert a *.predictions.jsonl file in the paper's release layout (each record's "
        "perturbation.type names its config; display names are mapped to code names) into this "
        "project's predictions file. Transition records without their pass 1 are refused unless "
        "--trust-transitions is given (see docs/scoring.md).",
    )
    c.add_argument("release", type=Path, help="release-layout predictions JSONL")
    c.add_argument("--out", type=Path, required=True, help="predictions JSONL to write")
    c.add_argument(
        "--dataset", type=Path, help="built dataset folder (reads each id's source; else by id prefix)"
    )
    c.add_argument(
        "--trust-transitions",
        action="store_true",
        help="take a transition record's output as its own pass 1 when the release lacks it",
    )
    c.set_defaults(func=_convert_release)


def _load_samples(dataset: Path) -> Any:
    from robustbench_tc.gold import load_gold

    return load_gold(dataset)


def _read(path: Path, max_bytes: int | None) -> Any:
    from robustbench_tc.predictions import PredictionsError, read_predictions

    try:
        return read_predictions(path, max_bytes=max_bytes)
    except PredictionsError as exc:
        raise CLIError(f"{path}: {exc}") from None


def _score(args: argparse.Namespace) -> int:
    from robustbench_tc.runtime import paused_gc

    with paused_gc():  # a one-shot process: the collector would only walk objects that live to the end
        return _score_in_process(args)


def _score_in_process(args: argparse.Namespace) -> int:
    from robustbench_tc.scoring import score_predictions

    if args.n_boot < 1:
        raise CLIError(f"--n-boot must be at least 1, got {args.n_boot}")
    samples = _load_samples(args.dataset)
    if not samples:
        raise CLIError(f"{args.dataset} holds no configs")
    predictions = _read(args.predictions, args.max_bytes)
    reference = _read(args.reference, args.max_bytes) if args.reference else None
    report = score_predictions(
        samples, predictions, reference=reference, n_boot=args.n_boot, seed=args.seed, cluster=args.cluster
    )
    if not report.configs_scored:
        raise CLIError(f"{args.predictions}: no record matches a sample of {args.dataset} (wrong dataset?)")
    print(report.table())
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(report.model_dump_json(indent=2), encoding="utf-8")
        print(f"\nJSON report: {args.json}", file=sys.stderr)
    if args.per_sample:
        args.per_sample.parent.mkdir(parents=True, exist_ok=True)
        report.write_rows(args.per_sample)
        print(f"per-sample rows: {args.per_sample}", file=sys.stderr)
    return 0


def _convert_release(args: argparse.Namespace) -> int:
    from robustbench_tc.release import convert_release

    sources: dict[str, str] = {}
    if args.dataset is not None:
        from robustbench_tc.gold import load_gold

        sources = {row.id: row.source for rows in _gold_rows(args.dataset, load_gold) for row in rows}

    def source_of(sample_id: str) -> str | None:
        if sample_id in sources:
            return sources[sample_id]
        prefix = sample_id.split("__", 1)[0]
        return prefix if prefix in _source_names() else None

    path = convert_release(
        args.release, args.out, source_of=source_of, trust_transitions=args.trust_transitions
    )
    print(f"converted predictions: {path}")
    return 0


def _gold_rows(dataset: Path, load_gold: Any) -> Any:
    from robustbench_tc.dataset import DatasetError

    try:
        return load_gold(dataset).values()
    except DatasetError as exc:
        raise CLIError(str(exc)) from None


def _source_names() -> tuple[str, ...]:
    from robustbench_tc.sources import source_names

    return tuple(source_names())


def _oracle(args: argparse.Namespace) -> int:
    from robustbench_tc.registry import unknown_name_message
    from robustbench_tc.scoring.oracle import write_oracle
    from robustbench_tc.world.agents import AGENTS

    if args.agent not in AGENTS:
        raise CLIError(unknown_name_message("agent", args.agent, AGENTS))
    path = write_oracle(args.dataset, args.out, args.configs, args.agent)
    print(f"oracle predictions: {path}")
    return 0
