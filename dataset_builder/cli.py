"""Subcommands ``build``, ``push`` and ``fetch-sources`` of ``robustbench-tc``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from robustbench_tc.cli import CLIError

SOURCES_ENV = "RBTC_SOURCES"


def _sources(args: argparse.Namespace) -> Path:
    value = args.sources or os.environ.get(SOURCES_ENV)
    if not value:
        raise CLIError(
            f"no sources folder: pass --sources DIR or set {SOURCES_ENV} "
            "(get the pinned files with `robustbench-tc fetch-sources --out DIR`)"
        )
    return Path(value)


def _generator(args: argparse.Namespace):
    if args.generator == "rules" and not (args.llm_model or args.llm_base_url or args.llm_cache):
        return None  # the package default: offline rules
    try:
        from robustbench_tc.perturbations.generators import GeneratorConfig
    except ImportError as exc:
        raise CLIError(f"--generator needs robustbench_tc.perturbations ({exc})") from exc
    fields = {
        "kind": args.generator,
        "model": args.llm_model,
        "base_url": args.llm_base_url,
        "cache_dir": args.llm_cache,
    }
    known = getattr(GeneratorConfig, "__dataclass_fields__", {})
    given = {k: v for k, v in fields.items() if v is not None}
    unsupported = sorted(set(given) - set(known))
    if unsupported:
        raise CLIError(f"the generator configuration has no field(s) {unsupported}")
    try:
        return GeneratorConfig(**given)
    except (TypeError, ValueError) as exc:
        raise CLIError(f"bad generator settings: {exc}") from exc


def _build(args: argparse.Namespace) -> int:
    from dataset_builder.build import build_dataset

    report = build_dataset(
        _sources(args),
        args.out,
        seed=args.seed,
        generator=_generator(args),
        configs=args.configs,
        progress=not args.quiet,
    )
    print(report.summary())
    print(f"wrote {report.out_dir}")
    return 0


def _push(args: argparse.Namespace) -> int:
    from dataset_builder.push import plan_upload, push

    plan = (
        plan_upload(args.dataset) if args.dry_run else push(args.dataset, args.repo_id, private=args.private)
    )
    verb = "would upload" if args.dry_run else "uploaded"
    for item in plan:
        print(f"{item.sha256}  {item.size:>9}  {item.path_in_repo}")
    print(f"{verb} {len(plan)} files to datasets/{args.repo_id}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from dataset_builder.fetch import fetch_sources
    from dataset_builder.pins import RAW_BASE_URL

    report = fetch_sources(
        args.out, base_url=args.base_url or RAW_BASE_URL, progress=not args.quiet, timeout=args.timeout
    )
    print(
        f"downloaded {len(report.downloaded)}, already present {len(report.skipped)}; sources in {args.out}"
    )
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    build = subparsers.add_parser("build", help="build the dataset folder from the pinned sources")
    build.add_argument("--sources", help=f"the pinned upstream files (default: ${SOURCES_ENV})")
    build.add_argument("--out", required=True, help="dataset folder to write (replaced atomically)")
    build.add_argument("--seed", type=int, default=0, help="seed of the static perturbations")
    build.add_argument(
        "--configs", nargs="+", metavar="CONFIG", help="only these configs (clean is always written)"
    )
    build.add_argument(
        "--generator",
        choices=["rules", "llm"],
        default="rules",
        help="text generator for the LLM-method perturbations (default: offline rules)",
    )
    build.add_argument("--llm-model", help="model name for --generator llm")
    build.add_argument("--llm-base-url", help="OpenAI-compatible endpoint for --generator llm")
    build.add_argument("--llm-cache", help="cache folder for LLM responses")
    build.add_argument("--quiet", action="store_true", help="no progress bars")
    build.set_defaults(func=_build)

    push = subparsers.add_parser("push", help="upload a built dataset folder to the Hugging Face Hub")
    push.add_argument("--repo-id", required=True, help="dataset repository, e.g. user/robustbench-tc")
    push.add_argument("--dataset", default="robustbench-tc", help="built folder (default: ./robustbench-tc)")
    push.add_argument("--private", action="store_true", help="create the repository as private")
    push.add_argument("--dry-run", action="store_true", help="list the files (sha256) without uploading")
    push.set_defaults(func=_push)

    fetch = subparsers.add_parser("fetch-sources", help="download the pinned upstream files")
    fetch.add_argument("--out", required=True, help="sources folder to fill")
    fetch.add_argument("--base-url", help="raw-file server (default: raw.githubusercontent.com)")
    fetch.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    fetch.add_argument("--quiet", action="store_true", help="no progress bar")
    fetch.set_defaults(func=_fetch)
