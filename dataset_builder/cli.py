"""Subcommands ``build``, ``audit-quality``, ``push`` and ``fetch-sources`` of ``robustbench-tc``."""

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
    llm_flags = (args.llm_model, args.llm_base_url, args.llm_cache, args.llm_temperature, args.llm_max_tokens)
    if args.generator == "rules" and all(v is None for v in llm_flags):
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
        "temperature": args.llm_temperature,
        "max_tokens": args.llm_max_tokens,
        "fallback": args.llm_fallback,
        "concurrency": args.llm_concurrency,
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
        samples=args.samples,
        progress=not args.quiet,
    )
    print(report.summary())
    print(f"wrote {report.out_dir}")
    return 0


def _audit_quality(args: argparse.Namespace) -> int:
    from dataset_builder import card
    from robustbench_tc.dataset import config_path, load_samples
    from robustbench_tc.perturbations import judge
    from robustbench_tc.perturbations.pairs import TEXT_TYPES, text_pairs

    dataset = Path(args.dataset)
    if not (dataset / "README.md").is_file() or not config_path(dataset, "clean").is_file():
        raise CLIError(f"{dataset} is not a built dataset folder (no README.md or clean config)")
    try:
        config = judge.JudgeConfig(
            model=args.judge_model,
            base_url=args.base_url,
            api_key_env=args.api_key_env,
            n=args.n,
            seed=args.seed,
            types=tuple(args.types) if args.types else TEXT_TYPES,
            temperature=args.temperature,
            max_tokens=args.max_tokens,
            json_mode=args.json_mode,
            timeout_s=args.timeout,
            max_retries=args.max_retries,
            backoff_s=args.backoff,
            concurrency=args.concurrency,
            cache_dir=args.cache,
        )
    except ValueError as exc:
        raise CLIError(f"bad judge settings: {exc}") from exc
    from tqdm.auto import tqdm

    bar = tqdm(total=0, disable=args.quiet, desc=f"judging ({config.model})", unit="pair")

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    result = judge.run_audit(dataset, config, progress=progress)
    bar.close()
    codes = [t.code_name for t in result.types]
    data = load_samples(dataset, ["clean", *dict.fromkeys(codes)])
    texts = {
        (p.code_name, p.sample_id): p
        for c in dict.fromkeys(codes)
        for p in text_pairs(data["clean"], data[c])
    }
    print(judge.report(result, texts))
    out = Path(args.out) if args.out else dataset / card.AUDIT_DIR / result.slug()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(result.model_dump_json(indent=1) + "\n", encoding="utf-8")
    tmp.replace(out)
    print(f"wrote {out}")
    if not args.no_card:
        _update_card(dataset, out)
    return 0


def _update_card(dataset: Path, written: Path) -> None:
    """Re-render the card's judge section from every audit the card shows (this one included)."""
    import hashlib

    from dataset_builder import card
    from dataset_builder.build import COMMITTED_AUDITS
    from robustbench_tc.dataset import config_path
    from robustbench_tc.perturbations import judge
    from robustbench_tc.perturbations.pairs import TEXT_TYPES

    paths = {*COMMITTED_AUDITS.glob("*.json"), *(dataset / card.AUDIT_DIR).glob("*.json"), written}
    audits = judge.load_audits(paths)
    digests = {
        c: hashlib.sha256(config_path(dataset, c).read_bytes()).hexdigest()
        for c in TEXT_TYPES
        if config_path(dataset, c).is_file()
    }
    readme = dataset / "README.md"
    text = card.replace_judge_section(readme.read_text(encoding="utf-8"), card.judge_section(audits, digests))
    tmp = readme.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(readme)
    print(f"updated the judge-audit section of {readme}")


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
    build.add_argument("--llm-temperature", type=float, help="sampling temperature for --generator llm")
    build.add_argument("--llm-max-tokens", type=int, help="completion token limit for --generator llm")
    build.add_argument(
        "--llm-fallback",
        choices=["rules", "fail"],
        default=None,
        help="a row whose every output was rejected: write it with the rules (default) or stop the build",
    )
    build.add_argument("--llm-concurrency", type=int, help="requests in flight (default 8)")
    build.add_argument(
        "--samples",
        nargs="+",
        metavar="ID",
        help="only these clean samples (ids), e.g. to try a model generator on a few rows",
    )
    build.add_argument("--quiet", action="store_true", help="no progress bars")
    build.set_defaults(func=_build)

    audit = subparsers.add_parser(
        "audit-quality",
        help="judge sampled (clean, perturbed) text pairs on the paper's 1-5 rubric (Appendix H)",
        description="Samples --n pairs per text type (Typo, QueryPara, ToolPara, ParamPara) of a built "
        "dataset, asks the judge model at --base-url (any OpenAI-compatible endpoint) with Appendix H's "
        "1-5 semantic-equivalence rubric, prints Table 6's columns and the five lowest pairs with the "
        "judge's reasons, writes the audit as JSON (default: DATASET/quality/) and updates the "
        "dataset card. Answers are cached; a rerun asks nothing.",
    )
    audit.add_argument("--dataset", required=True, help="built dataset folder")
    audit.add_argument("--judge-model", required=True, help="judge model name sent to the endpoint")
    audit.add_argument("--base-url", help="OpenAI-compatible base URL ending in /v1 (default: OpenAI's)")
    audit.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the key")
    audit.add_argument("--n", type=int, default=50, help="pairs per text type (default 50, as App. H)")
    audit.add_argument("--seed", type=int, default=0, help="seed of the pair sample")
    audit.add_argument("--types", nargs="+", metavar="CONFIG", help="text types to audit (default: all four)")
    audit.add_argument("--temperature", type=float, help="judge temperature (default: the server's)")
    audit.add_argument("--max-tokens", type=int, help="answer token limit (default: the server's)")
    audit.add_argument("--json-mode", action="store_true", help="send response_format=json_object")
    audit.add_argument("--timeout", type=float, default=120.0, help="seconds per request")
    audit.add_argument("--max-retries", type=int, default=4, help="retries on 429/5xx/timeouts")
    audit.add_argument("--backoff", type=float, default=1.0, help="first retry delay in seconds")
    audit.add_argument("--concurrency", type=int, default=4, help="requests in flight")
    audit.add_argument("--cache", help="answer cache folder (default: ~/.cache/robustbench-tc/judge)")
    audit.add_argument(
        "--out", help="audit JSON to write (default: DATASET/quality/judge-<model>-<settings>.json)"
    )
    audit.add_argument("--no-card", action="store_true", help="leave the dataset card as it is")
    audit.add_argument("--quiet", action="store_true", help="no progress bar")
    audit.set_defaults(func=_audit_quality)

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
