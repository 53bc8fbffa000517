"""``robustbench-tc serve``: run the leaderboard locally (the same app as the Space).

The dataset is built, if asked, through the ``robustbench-tc build`` command in a subprocess
(apps never import one another).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from pathlib import Path

from robustbench_tc.cli import CLIError

_DEFAULTS = {
    "db": Path("leaderboard.sqlite"),
    "max_upload_mb": 20.0,
    "rate_limit": 5,
    "n_boot": 10_000,
}


def _help(name: str) -> str:
    """The field's docstring in ``BoardConfig`` (one help text for CLI and env)."""
    from space import config

    source = Path(config.__file__).read_text(encoding="utf-8")
    marker = f"    {name}:"
    start = source.index(marker)
    doc = source[start:].split('"""')[1]
    return " ".join(doc.split())


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve",
        help="serve the leaderboard (Gradio) on a local port",
        description="Serve the RobustBench-TC leaderboard: the paper's 21 models plus scored submissions.",
    )
    p.add_argument("--dataset", type=Path, required=True, help=_help("dataset_dir"))
    p.add_argument(
        "--db", type=Path, default=_DEFAULTS["db"], help=_help("db_path") + " (default: %(default)s)"
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    p.add_argument("--port", type=int, default=7860, help="port (default: %(default)s)")
    p.add_argument(
        "--sources",
        type=Path,
        default=None,
        help="upstream sources, for --build-if-missing (default: $RBTC_SOURCES)",
    )
    p.add_argument(
        "--build-if-missing",
        action="store_true",
        help="build the dataset into --dataset first if it is not there",
    )
    p.add_argument(
        "--max-upload-mb",
        type=float,
        default=_DEFAULTS["max_upload_mb"],
        help=_help("max_upload_bytes") + " (MB)",
    )
    p.add_argument(
        "--rate-limit", type=int, default=_DEFAULTS["rate_limit"], help=_help("rate_limit_per_hour")
    )
    p.add_argument("--n-boot", type=int, default=_DEFAULTS["n_boot"], help=_help("n_boot"))
    p.add_argument("--refusal-limit", type=int, default=20, help=_help("refusal_limit_per_hour"))
    p.add_argument("--time-budget", type=float, default=120.0, help=_help("time_budget_s"))
    p.add_argument("--queue-size", type=int, default=16, help=_help("queue_size"))
    p.add_argument("--paired-limit", type=int, default=20, help=_help("paired_limit"))
    p.add_argument("--trusted-proxies", default="", help=_help("trusted_proxies"))
    p.add_argument("--monitoring", action="store_true", help=_help("monitoring"))
    p.add_argument("--sync-repo", default=None, help=_help("sync_repo") + " (token: $HF_TOKEN)")
    p.set_defaults(func=run_serve)

    board = subparsers.add_parser(
        "board",
        help="maintain a leaderboard database (rescore, worker)",
        description="Maintenance of a leaderboard database file.",
    )
    actions = board.add_subparsers(dest="board_command", metavar="<action>", required=True)
    r = actions.add_parser(
        "rescore",
        help="re-score every stored submission with the current scorer (one transaction, history kept)",
        description=(
            "Re-score every stored submission from its stored predictions file with this version's "
            "scorer, recompute the paired tests, and write everything in one transaction; the previous "
            "scores stay in the score history. Submissions without a stored file or made on another "
            "dataset build are left as they are and listed."
        ),
    )
    r.add_argument("--db", type=Path, required=True, help=_help("db_path"))
    r.add_argument(
        "--dataset",
        type=Path,
        default=None,
        help="the served dataset folder (gold answers); default: $RBTC_DATASET",
    )
    r.add_argument("--n-boot", type=int, default=_DEFAULTS["n_boot"], help=_help("n_boot"))
    r.add_argument(
        "--paired-limit",
        type=int,
        default=20,
        help=_help("paired_limit") + " (0 = all; default: %(default)s)",
    )
    r.set_defaults(func=run_rescore)

    w = actions.add_parser(
        "worker",
        help="evaluate pending evaluation requests with the harness and store them as verified rows",
        description=(
            "The maintainers' worker: claim pending requests (HF model id, revision, prompt/FC mode) from "
            "the board's queue, run `robustbench-tc run` on each model in a subprocess, score the "
            "predictions with the board's scorer and store the row as verified (with the revision, engine "
            "and sampling). Requests come from the SQLite file (--db), or from a private Hub dataset "
            "(--queue-repo) when the board is a Space; with --sync-repo the rows are mirrored there too."
        ),
    )
    w.add_argument("--db", type=Path, required=True, help=_help("db_path"))
    w.add_argument("--dataset", type=Path, required=True, help="the dataset folder the board serves")
    w.add_argument("--queue-repo", default=None, help=_help("queue_repo") + " (token: $HF_TOKEN)")
    w.add_argument("--sync-repo", default=None, help=_help("sync_repo") + " (token: $HF_TOKEN)")
    w.add_argument(
        "--backend", default="vllm", help="harness backend: vllm | transformers (default: %(default)s)"
    )
    w.add_argument(
        "--python",
        default=None,
        help="Python that runs the harness (default: $RBTC_VLLM_PYTHON for --backend vllm when set, else this one)",
    )
    w.add_argument(
        "--max-tokens", type=int, default=None, help="generation budget per pass (harness default)"
    )
    w.add_argument(
        "--local-model",
        action="append",
        default=[],
        metavar="ID=PATH",
        help="use this local folder or GGUF file for the HF model id instead of downloading it (repeatable)",
    )
    w.add_argument(
        "--run-arg", action="append", default=[], help="a further `run` flag, e.g. --run-arg=--batch-size=4"
    )
    w.add_argument("--work-dir", type=Path, default=None, help="predictions files (default: beside --db)")
    w.add_argument("--name", default=None, help="worker name in the queue (default: the host name)")
    w.add_argument("--once", action="store_true", help="stop when no request is pending")
    w.add_argument("--max-requests", type=int, default=None, help="stop after this many requests")
    w.add_argument("--poll", type=float, default=60.0, help="seconds between looks at an empty queue")
    w.add_argument("--timeout", type=float, default=None, help="stop one evaluation after this many seconds")
    w.add_argument("--n-boot", type=int, default=_DEFAULTS["n_boot"], help=_help("n_boot"))
    w.add_argument("--paired-limit", type=int, default=20, help=_help("paired_limit"))
    w.set_defaults(func=run_worker)


def ensure_dataset(dataset: Path, sources: Path | None, build: bool) -> None:
    """Fail with a clear message (or build) when the dataset folder is not usable."""
    if (dataset / "data").is_dir() and any((dataset / "data").glob("*.jsonl")):
        return
    if not build:
        raise CLIError(
            f"{dataset} is not a built dataset; build it first (`robustbench-tc build --sources DIR --out {dataset}`) "
            "or pass --sources DIR --build-if-missing"
        )
    cmd = [sys.executable, "-m", "robustbench_tc", "build", "--out", str(dataset)]
    if sources is not None:
        cmd += ["--sources", str(sources)]
    if subprocess.call(cmd) != 0:
        raise CLIError(f"building the dataset failed ({' '.join(cmd)})")


def run_serve(args: argparse.Namespace) -> int:
    from space.config import MB, BoardConfig

    ensure_dataset(args.dataset, args.sources, args.build_if_missing)
    if args.n_boot < 1:
        raise CLIError("--n-boot must be at least 1")
    if args.max_upload_mb <= 0:
        raise CLIError("--max-upload-mb must be positive")
    if args.time_budget <= 0 or args.queue_size < 1:
        raise CLIError("--time-budget must be positive and --queue-size at least 1")
    config = BoardConfig(
        dataset_dir=args.dataset,
        db_path=args.db,
        max_upload_bytes=int(args.max_upload_mb * MB),
        rate_limit_per_hour=args.rate_limit,
        n_boot=args.n_boot,
        sync_repo=args.sync_repo,
        refusal_limit_per_hour=args.refusal_limit,
        time_budget_s=args.time_budget,
        queue_size=args.queue_size,
        paired_limit=args.paired_limit,
        trusted_proxies=args.trusted_proxies,
        monitoring=args.monitoring,
    )
    check_port(args.host, args.port)
    from space.app import launch
    from space.store import StoreError

    try:
        launch(config, host=args.host, port=args.port)
    except (ValueError, StoreError) as exc:  # unusable dataset, seed or database: one line, exit 2
        raise CLIError(str(exc)) from None
    except OSError as exc:  # e.g. the port was taken between check_port and Gradio's bind
        raise CLIError(f"cannot serve on {args.host}:{args.port}: {exc}") from None
    return 0


def run_rescore(args: argparse.Namespace) -> int:
    dataset = args.dataset or (Path(os.environ["RBTC_DATASET"]) if os.environ.get("RBTC_DATASET") else None)
    if dataset is None:
        raise CLIError("pass --dataset DIR (the served dataset) or set RBTC_DATASET")
    ensure_dataset(dataset, None, False)
    if not args.db.is_file():
        raise CLIError(f"{args.db} does not exist; pass the leaderboard's database file")
    if args.n_boot < 1:
        raise CLIError("--n-boot must be at least 1")
    from space.gold import GoldSet
    from space.rescore import rescore_store
    from space.store import Store

    store = Store(args.db)
    summary = rescore_store(
        store,
        GoldSet.load(dataset),
        n_boot=args.n_boot,
        paired_limit=args.paired_limit or None,
        progress=print,
    )
    print("\n".join(summary.lines()))
    return 0


def check_port(host: str, port: int) -> None:
    """Fail with a clear message, before loading anything, when ``host:port`` cannot be listened on."""
    if not 1 <= port <= 65535:
        raise CLIError(f"--port must be between 1 and 65535, got {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise CLIError(f"--host {host!r} cannot be resolved ({exc})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(
            socket.SOL_SOCKET, socket.SO_REUSEADDR, 1
        )  # as Gradio binds: TIME_WAIT is no conflict
        try:
            sock.bind(address)
        except OSError as exc:
            raise CLIError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}); is another server using it? "
                "Pass another --port"
            ) from None


def parse_local_models(values: list[str]) -> dict[str, str]:
    """``--local-model ID=PATH`` values as a mapping.

    >>> parse_local_models(["org/m=/models/m.gguf"])
    {'org/m': '/models/m.gguf'}
    """
    out = {}
    for value in values:
        model, sep, path = value.partition("=")
        if not sep or not model.strip() or not path.strip():
            raise CLIError(f"--local-model takes ID=PATH, got {value!r}")
        out[model.strip()] = path.strip()
    return out


def run_worker(args: argparse.Namespace) -> int:
    import dataclasses
    import socket
    import time

    ensure_dataset(args.dataset, None, False)
    if args.n_boot < 1:
        raise CLIError("--n-boot must be at least 1")
    for flag, value in (("--max-tokens", args.max_tokens), ("--max-requests", args.max_requests)):
        if value is not None and value < 1:
            raise CLIError(f"{flag} must be at least 1 (got {value})")
    local = parse_local_models(args.local_model)
    python = args.python or (
        os.environ.get("RBTC_VLLM_PYTHON")
        if args.backend == "vllm" and os.environ.get("RBTC_VLLM_PYTHON")
        else sys.executable
    )
    from space.app import create_board
    from space.config import BoardConfig
    from space.store import StoreError
    from space.worker import WorkerConfig, work

    config = BoardConfig(dataset_dir=args.dataset, db_path=args.db, n_boot=args.n_boot,
                         paired_limit=args.paired_limit, sync_repo=args.sync_repo, queue_repo=args.queue_repo)  # fmt: skip
    try:
        board = create_board(dataclasses.replace(config, rescore_on_start=False))
    except (ValueError, StoreError) as exc:
        raise CLIError(str(exc)) from None
    cfg = WorkerConfig(
        dataset_dir=args.dataset, work_dir=args.work_dir or args.db.resolve().parent / "worker",
        backend=args.backend, python=python, max_tokens=args.max_tokens, local_models=local,
        run_args=tuple(args.run_arg), name=args.name or socket.gethostname(), timeout_s=args.timeout,
    )  # fmt: skip
    start = time.monotonic()
    results = work(board.queue, board.submitter, cfg, once=args.once, poll_s=args.poll,
                   max_requests=args.max_requests)  # fmt: skip
    if board.sync is not None:
        board.sync.wait(300)
    done = sum(r.status == "finished" for r in results)
    print(
        f"worker {cfg.name}: {done} verified, {len(results) - done} failed in {time.monotonic() - start:.1f} s"
    )
    return 0 if all(r.status == "finished" for r in results) else 1
