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
        "--configs", nargs="+", metavar="CONFIG", help="configs to run (default: every config in the dataset)"
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
        help="items generated and flushed together (default: vllm 1024, openai 256, "
        "transformers 32); a kill loses at most one chunk",
    )

    g = p.add_argument_group("model settings (override the manifest)")
    g.add_argument(
        "--mode",
        choices=["prompt", "fc"],
        help="prompt: tools in the system prompt; fc: tools= (function calling)",
    )
    g.add_argument("--dtype", help="float32 | bfloat16 | float16 | auto")
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
    b.add_argument("--gpu-memory-utilization", type=float, default=0.9, help="vllm: memory fraction")
    b.add_argument("--tensor-parallel-size", type=int, default=1, help="vllm: GPUs per model")
    p.set_defaults(func=_run)

    m = subparsers.add_parser("models", help="list the paper's models and their evaluation settings")
    m.set_defaults(func=_models)


def _run(args: argparse.Namespace) -> int:
    from eval_harness.backends import BACKENDS, BackendOptions
    from eval_harness.manifest import resolve_model
    from eval_harness.runner import RunOptions, run_eval
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
    ):
        if value is not None and value < 1:
            raise CLIError(f"{flag} must be at least 1 (got {value})")
    if args.max_retries < 0:
        raise CLIError(f"--max-retries must be 0 or more (got {args.max_retries})")
    if args.timeout <= 0:
        raise CLIError(f"--timeout must be more than 0 seconds (got {args.timeout})")
    if not 0 < args.gpu_memory_utilization <= 1:
        raise CLIError(f"--gpu-memory-utilization must be in (0, 1] (got {args.gpu_memory_utilization})")
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
    )
    options = RunOptions(
        dataset=args.dataset,
        out=args.out,
        backend=args.backend,
        configs=tuple(args.configs) if args.configs else None,
        limit=args.limit,
        chunk_size=args.chunk_size,
        overwrite=args.overwrite,
        retry_errors=args.retry_errors,
        progress=not args.no_progress,
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
            tensor_parallel_size=args.tensor_parallel_size,
        ),
    )
    try:
        summary = run_eval(settings, options)
    except KeyboardInterrupt:
        print(
            f"interrupted: {args.out} keeps every finished chunk; run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    print(
        f"wrote {summary.out}: {summary.records} records ({summary.generated} generated, "
        f"{summary.resumed} already there; {summary.transition_injected} transition faults "
        f"injected; {summary.errors} errors)"
    )
    return 0


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
