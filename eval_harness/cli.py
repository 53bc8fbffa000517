"""``robustbench-tc run``: generate a predictions file for one model over a built dataset."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from robustbench_tc.cli import CLIError


def add_commands(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "run",
        help="run a model over the benchmark and write a predictions file (resumable)",
        description=(
            "Generate predictions with vLLM (offline), an OpenAI-compatible server or "
            "transformers. Restarting with the same arguments resumes an interrupted run."
        ),
    )
    p.add_argument("--dataset", type=Path, required=True, help="built dataset folder")
    p.add_argument(
        "--model",
        required=True,
        help="a manifest name (see `robustbench-tc models`), a local checkpoint folder or an HF id",
    )
    p.add_argument("--backend", default="vllm", help="vllm | openai | transformers (default: vllm)")
    p.add_argument("--out", type=Path, required=True, help="predictions JSONL to write")
    p.add_argument(
        "--configs",
        nargs="+",
        metavar="CONFIG",
        help="configs to run, as separate words or comma lists (clean,transient_timeout); "
        "default: every config in the dataset",
    )
    p.add_argument("--limit", type=int, help="only the first N rows of each config")
    p.add_argument(
        "--overwrite", action="store_true", help="start over even if --out holds a different or finished run"
    )
    p.add_argument(
        "--retry-errors", action="store_true", help="when resuming, redo records that recorded a client error"
    )
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    p.add_argument(
        "--chunk-size",
        type=int,
        help="fixed number of items generated and flushed together (deterministic batches: a "
        "resumed run is byte-identical); default: sized from the measured throughput so that each "
        "chunk takes about --flush-seconds (at most vllm 1024, openai 256, transformers 32)",
    )
    p.add_argument(
        "--step-limit",
        type=int,
        default=4,
        help="runtime configs (beyond the paper): model turns per episode before it is cut off "
        "(default 4; recorded in the header)",
    )
    p.add_argument(
        "--flush-seconds",
        type=float,
        default=60.0,
        help="with adaptive chunks: seconds of work between two writes to --out, i.e. about what "
        "a kill can lose (default 60)",
    )

    g = p.add_argument_group("model settings (override the manifest)")
    g.add_argument(
        "--mode",
        choices=["prompt", "fc"],
        help="prompt: tools in the system prompt; fc: tools= (function calling)",
    )
    g.add_argument(
        "--dtype",
        help="float32 | bfloat16 | float16 | auto (default: the manifest's on GPU, float32 on CPU)",
    )
    g.add_argument(
        "--tokenizer",
        help="tokenizer (and chat template) folder or Hub id, if not the model's own "
        "(a .gguf --model carries its own)",
    )
    g.add_argument("--max-tokens", type=int, help="generation budget per pass (default 1024)")
    g.add_argument("--temperature", type=float, help="sampling temperature (default 0)")
    g.add_argument("--max-model-len", type=int, help="context length (prompt + output)")
    g.add_argument(
        "--thinking",
        dest="thinking",
        action="store_true",
        default=None,
        help="chat template gets enable_thinking=True",
    )
    g.add_argument(
        "--no-thinking",
        dest="thinking",
        action="store_false",
        help="chat template gets enable_thinking=False (the paper's Qwen3 setting)",
    )
    g.add_argument("--seed", type=int, default=0, help="sampling seed when temperature > 0")

    b = p.add_argument_group("backend options")
    b.add_argument("--base-url", help="openai: server URL, e.g. http://127.0.0.1:8000/v1")
    b.add_argument(
        "--api-key-env", default="OPENAI_API_KEY", help="openai: environment variable holding the API key"
    )
    b.add_argument("--served-model-name", help="openai: model name on the server (default: --model's id)")
    b.add_argument("--concurrency", type=int, default=16, help="openai: requests in flight")
    b.add_argument("--timeout", type=float, default=600.0, help="openai: seconds per request")
    b.add_argument("--max-retries", type=int, default=4, help="openai: retries per request")
    b.add_argument(
        "--sanitize-tool-names",
        choices=["auto", "always", "never"],
        default="auto",
        help="openai fc: make tool names API-safe and map back (auto: api.openai.com only)",
    )
    b.add_argument("--batch-size", type=int, default=8, help="transformers: prompts per generate call")
    b.add_argument(
        "--gpu-memory-utilization",
        type=float,
        help="vllm: memory fraction (default 0.9 on GPU; on CPU, where vLLM reads it as a fraction "
        "of all RAM, an explicit KV-cache size that fits the free memory is used instead)",
    )
    b.add_argument(
        "--kv-cache-gib",
        type=float,
        help="vllm: KV-cache size in GiB (overrides --gpu-memory-utilization; CPU default: 40%% of "
        "the free memory after the weights, 0.25-4 GiB; VLLM_CPU_KVCACHE_SPACE is honoured)",
    )
    b.add_argument("--tensor-parallel-size", type=int, default=1, help="vllm: GPUs per model replica")
    b.add_argument(
        "--data-parallel-size",
        type=int,
        default=1,
        help="vllm/transformers: model replicas, one process per rank, each on its own "
        "--tensor-parallel-size GPUs (or CPU cores); their files OUT.rank<r>-of-<N>.jsonl are "
        "merged into --out. For a server: `vllm serve --data-parallel-size N` + --backend openai",
    )
    b.add_argument(
        "--shard",
        metavar="RANK/N",
        help="run only rank RANK of N (0-based) of the samples, e.g. one rank per node by hand; "
        "--data-parallel-size does this for one node",
    )
    p.set_defaults(func=_run)

    m = subparsers.add_parser("models", help="list the paper's models and their evaluation settings")
    m.set_defaults(func=_models)


def _run(args: argparse.Namespace) -> int:
    from eval_harness.backends import BACKENDS, BackendOptions
    from eval_harness.manifest import resolve_model
    from eval_harness.runner import RunOptions, run_eval
    from eval_harness.shutdown import RunInterrupted, stop_on_signals
    from robustbench_tc.registry import unknown_name_message

    if args.backend not in BACKENDS:
        raise CLIError(unknown_name_message("backend", args.backend, BACKENDS.names()))
    for flag, value in (
        ("--limit", args.limit),
        ("--chunk-size", args.chunk_size),
        ("--max-tokens", args.max_tokens),
        ("--max-model-len", args.max_model_len),
        ("--concurrency", args.concurrency),
        ("--batch-size", args.batch_size),
        ("--tensor-parallel-size", args.tensor_parallel_size),
        ("--data-parallel-size", args.data_parallel_size),
        ("--step-limit", args.step_limit),
    ):
        if value is not None and value < 1:
            raise CLIError(f"{flag} must be at least 1 (got {value})")
    if args.max_retries < 0:
        raise CLIError(f"--max-retries must be 0 or more (got {args.max_retries})")
    if args.timeout <= 0:
        raise CLIError(f"--timeout must be more than 0 seconds (got {args.timeout})")
    if args.gpu_memory_utilization is not None and not 0 < args.gpu_memory_utilization <= 1:
        raise CLIError(f"--gpu-memory-utilization must be in (0, 1] (got {args.gpu_memory_utilization})")
    for flag, amount in (("--kv-cache-gib", args.kv_cache_gib), ("--flush-seconds", args.flush_seconds)):
        if amount is not None and amount <= 0:
            raise CLIError(f"{flag} must be more than 0 (got {amount})")
    shard = parse_shard(args.shard) if args.shard else None
    world = args.data_parallel_size
    if world > 1 and args.backend == "openai":
        raise CLIError(
            "--data-parallel-size is for the offline backends; for a server start "
            "`vllm serve MODEL --data-parallel-size N` and raise --concurrency"
        )
    if world > 1 and shard is not None:
        raise CLIError("pass either --data-parallel-size or --shard, not both")
    if args.backend == "openai" and not args.base_url and args.api_key_env not in os.environ:
        raise CLIError(
            "--backend openai needs --base-url (e.g. http://127.0.0.1:8000/v1) "
            f"or ${args.api_key_env} for api.openai.com"
        )
    settings = resolve_model(
        args.model,
        mode=args.mode,
        dtype=args.dtype,
        max_tokens=args.max_tokens,
        temperature=args.temperature,
        max_model_len=args.max_model_len,
        thinking=args.thinking,
        seed=args.seed,
        backend=args.backend,
        tokenizer=args.tokenizer,
    )
    options = RunOptions(
        dataset=args.dataset,
        out=args.out,
        backend=args.backend,
        configs=split_configs(args.configs),
        limit=args.limit,
        shard=shard,
        chunk_size=args.chunk_size,
        flush_seconds=args.flush_seconds,
        overwrite=args.overwrite,
        retry_errors=args.retry_errors,
        progress=not args.no_progress,
        step_limit=args.step_limit,
        backend_options=BackendOptions(
            base_url=args.base_url,
            api_key_env=args.api_key_env,
            served_model_name=args.served_model_name,
            concurrency=args.concurrency,
            timeout_s=args.timeout,
            max_retries=args.max_retries,
            sanitize_tool_names=args.sanitize_tool_names,
            batch_size=args.batch_size,
            gpu_memory_utilization=args.gpu_memory_utilization,
            kv_cache_gib=args.kv_cache_gib,
            tensor_parallel_size=args.tensor_parallel_size,
        ),
    )
    if world > 1:
        return _run_parallel(settings, options, world)
    try:
        with stop_on_signals():
            summary = run_eval(settings, options)
    except KeyboardInterrupt as exc:
        status = exc.exit_status if isinstance(exc, RunInterrupted) else 130
        print(
            f"interrupted ({exc if isinstance(exc, RunInterrupted) else 'SIGINT'}): the engine is shut "
            f"down and {args.out} keeps every finished chunk; run the same command again to resume",
            file=sys.stderr,
        )
        return status
    print(
        f"wrote {summary.out}: {summary.records} records ({summary.generated} generated, "
        f"{summary.resumed} already there; {summary.transition_injected} transition faults "
        f"injected; {summary.episode_turns} episode turns; {summary.errors} errors)"
    )
    return 0


def _run_parallel(settings: Any, options: Any, world: int) -> int:
    from eval_harness.parallel import run_data_parallel, shard_path
    from eval_harness.shutdown import RunInterrupted

    out = options.out
    if (
        out.exists()
        and out.stat().st_size
        and not options.overwrite
        and not any(shard_path(out, r, world).exists() for r in range(world))
    ):
        raise CLIError(
            f"{out} exists and holds no data-parallel run of {world} ranks; pass --overwrite or another --out"
        )
    try:
        paths = run_data_parallel(settings, options, world)
    except RunInterrupted as exc:
        print(
            f"interrupted ({exc}): every rank shut its engine down and keeps its finished chunks in "
            f"{shard_path(out, 0, world).name} ...; run the same command again to resume",
            file=sys.stderr,
        )
        return exc.exit_status
    print(f"wrote {out}: merged from {len(paths)} ranks ({', '.join(p.name for p in paths)})")
    return 0


def parse_shard(text: str) -> tuple[int, int]:
    """``RANK/N`` (0-based rank).

    >>> parse_shard("1/4")
    (1, 4)
    >>> parse_shard("4/4")
    Traceback (most recent call last):
    ...
    robustbench_tc.errors.CLIError: --shard takes RANK/N with 0 <= RANK < N (got '4/4')
    """
    try:
        rank, world = (int(x) for x in text.split("/"))
    except ValueError:
        rank, world = -1, 0
    if not 0 <= rank < world:
        raise CLIError(f"--shard takes RANK/N with 0 <= RANK < N (got {text!r})")
    return rank, world


def split_configs(values: list[str] | None) -> tuple[str, ...] | None:
    """``--configs`` words, each possibly a comma list (lm-eval's ``--tasks a,b``), in order,
    without repeats.

    >>> split_configs(["clean,transient_timeout", "CD", "clean"])
    ('clean', 'transient_timeout', 'CD')
    >>> split_configs(None) is None
    True
    """
    if not values:
        return None
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    if not names:
        raise CLIError("--configs names no config")
    return tuple(dict.fromkeys(names))


def _models(args: argparse.Namespace) -> int:
    from eval_harness.manifest import load_manifest

    rows = [("name", "hf_id", "mode", "dtype", "max_len", "thinking", "temp", "max_tok")]
    for e in load_manifest().models:
        rows.append(
            (
                e.name,
                e.hf_id or e.hf_id_as_printed or f"API: {e.api_model}",
                e.mode or "-",
                e.dtype or "-",
                str(e.max_model_len or "-"),
                {None: "-", False: "off", True: "on"}[e.thinking],
                "-" if e.temperature is None else str(e.temperature),
                str(e.max_tokens or "-"),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0
