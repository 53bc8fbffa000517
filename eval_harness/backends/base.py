"""The one interface every backend implements, and the request/response records it trades in."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eval_harness.manifest import ModelSettings
from robustbench_tc.errors import RobustBenchError
from robustbench_tc.gguf import gguf_to_folder, is_gguf
from robustbench_tc.records import Tool


class EngineUnavailable(RobustBenchError):
    """The backend's engine is not installed; the message names the install command."""


@dataclass(frozen=True)
class ChatRequest:
    """One chat to complete. ``tools`` (function-calling mode) are the sample's own tools; each
    backend turns them into its API's form (and back, for names it had to sanitise)."""

    messages: list[dict[str, Any]]
    tools: list[Tool] | None = None


@dataclass(frozen=True)
class Generation:
    """One completion. ``text`` is the raw output recorded for the scorer; ``tool_calls`` holds
    structured calls an API returned (``id``, ``name``, ``arguments``; names as in the dataset)."""

    text: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BackendOptions:
    """Backend-specific knobs that do not change outputs (not in the run header)."""

    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    served_model_name: str | None = None
    concurrency: int = 16
    timeout_s: float = 600.0
    max_retries: int = 4
    retry_backoff_s: float = 1.0
    """openai: first retry waits about this long (halved at random), doubling up to 30 s."""
    batch_size: int = 8
    sanitize_tool_names: str = "auto"
    gpu_memory_utilization: float | None = None
    """vllm: memory fraction; ``None``: 0.9 on GPU, an explicit KV-cache size on CPU."""
    kv_cache_gib: float | None = None
    """vllm: KV-cache size in GiB (``kv_cache_memory_bytes``); overrides the fraction."""
    tensor_parallel_size: int = 1
    memory_share: float = 1.0
    """Share of the free memory this engine may size its CPU KV cache from (1/N for N ranks)."""
    extra_engine_args: dict[str, Any] = field(default_factory=dict)


class Backend(ABC):
    """Generates completions for a batch of chats; one call per pass of a chunk."""

    name: str = ""
    min_chunk_size: int = 1
    """Adaptive chunks never go below this (a GPU engine needs a full batch to be fast)."""

    def load(self) -> None:  # noqa: B027 - optional hook
        """Start the engine now (it otherwise starts on the first ``generate``), so that chunk
        timing does not count the start."""

    @abstractmethod
    def generate(self, requests: Sequence[ChatRequest]) -> list[Generation]:
        """Completions in request order. A failing request yields ``Generation(error=...)``."""

    def adapt(self, settings: ModelSettings) -> ModelSettings:
        """``settings`` with this backend's device defaults applied (CPU: float32 unless asked);
        the run header records the result."""
        return settings

    def engine_version(self) -> str | None:
        return None

    def model_revision(self) -> str | None:
        return None

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op for backends with nothing to release
        """Release the engine (processes, GPU memory, connections)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def local_model(model: str) -> str:
    """What an offline engine loads for ``--model``: a GGUF file becomes a float32 safetensors
    folder (converted once, cached; see ``robustbench_tc.gguf``), anything else is unchanged."""
    if not is_gguf(model):
        return model
    import sys
    from pathlib import Path

    folder = gguf_to_folder(Path(model))
    print(f"GGUF {model}: loading its float32 conversion (cached) {folder}", file=sys.stderr)
    return str(folder)
