"""Offline vLLM: one ``LLM.generate`` call per pass over every prompt of the chunk.

Prompts are rendered with the model's chat template here (``tools=`` per sample in
function-calling mode; ``LLM.chat`` accepts one tools list per call) and passed as token ids, which
also lets a prompt longer than ``max_model_len`` become an error record instead of failing the
whole batch. The engine must be created under ``if __name__ == "__main__":`` (it spawns
processes); the ``robustbench-tc`` entry point satisfies that.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from eval_harness.backends.base import (
    Backend,
    BackendOptions,
    ChatRequest,
    EngineUnavailable,
    Generation,
    local_model,
)
from eval_harness.backends.chat_template import encode_prompt
from eval_harness.device import GiB, available_memory, cpu_kv_cache_bytes, device_settings, weight_bytes
from eval_harness.manifest import ModelSettings
from eval_harness.revision import model_revision
from eval_harness.shutdown import SHUTDOWN_TIMEOUT_S, signals_deferred
from robustbench_tc.processes import descendants, reap

GPU_MEMORY_UTILIZATION = 0.9
GPU_MIN_CHUNK = 256
ENGINE_GRACE_S = 5.0
REAP_GRACE_S = 3.0


VLLM_INSTALL_HINT = (
    "vLLM is not installed in this Python: `pip install vllm` on a GPU machine; on a CPU "
    "`bash scripts/install.sh --vllm` builds .venv-vllm (then run `.venv-vllm/bin/python -m "
    "robustbench_tc run ...`); or pass --backend transformers"
)


class VLLMBackend(Backend):
    name = "vllm"

    def __init__(self, settings: ModelSettings, options: BackendOptions) -> None:
        try:
            from vllm.platforms import current_platform
        except ImportError as exc:
            raise EngineUnavailable(f"{VLLM_INSTALL_HINT} ({exc})") from None
        self.on_cpu = bool(current_platform.is_cpu())
        self.settings = self.adapt(settings)
        self.options = options
        self._llm: Any = None
        self.engine_kwargs: dict[str, Any] = {}

    def adapt(self, settings: ModelSettings) -> ModelSettings:
        return device_settings(settings, on_cpu=self.on_cpu)

    @property
    def min_chunk_size(self) -> int:  # type: ignore[override]
        """On a GPU a chunk fills vLLM's default batch (256 sequences); on a CPU any size."""
        return 1 if self.on_cpu else GPU_MIN_CHUNK

    def load(self) -> None:
        self._load()

    def engine_version(self) -> str | None:
        import vllm

        return vllm.__version__

    def model_revision(self) -> str | None:
        return model_revision(self.settings.model)

    def engine_args(self) -> tuple[str, dict[str, Any]]:
        """What ``vllm.LLM`` gets: the model folder (a GGUF converted once, see
        ``robustbench_tc.gguf``) and its keyword arguments, with the device's memory defaults."""
        model = local_model(self.settings.model)
        kwargs: dict[str, Any] = {
            "dtype": self.settings.dtype,
            "seed": self.settings.seed,
            "enforce_eager": self.on_cpu,  # CUDA graphs only help on GPU
            "tensor_parallel_size": self.options.tensor_parallel_size,
        }
        if self.settings.tokenizer:
            kwargs["tokenizer"] = self.settings.tokenizer
        kwargs.update(self.memory_args(model))
        if self.settings.max_model_len is not None:
            kwargs["max_model_len"] = self.settings.max_model_len
        kwargs.update(self.options.extra_engine_args)
        return model, kwargs

    def memory_args(self, model: str) -> dict[str, Any]:
        """GPU: ``gpu_memory_utilization`` (0.9 unless given). CPU: an explicit KV-cache size that
        fits the free memory (see ``eval_harness.device``), unless the user chose one."""
        gib, fraction = self.options.kv_cache_gib, self.options.gpu_memory_utilization
        if gib is not None:
            return {"kv_cache_memory_bytes": int(gib * GiB)}
        if fraction is not None:
            return {"gpu_memory_utilization": fraction}
        if not self.on_cpu:
            return {"gpu_memory_utilization": GPU_MEMORY_UTILIZATION}
        if os.environ.get("VLLM_CPU_KVCACHE_SPACE"):
            return {}  # vLLM's own CPU setting (GiB) wins
        available = int(available_memory() * self.options.memory_share)
        return {"kv_cache_memory_bytes": cpu_kv_cache_bytes(available, weight_bytes(model))}

    def _load(self) -> Any:
        if self._llm is None:
            from vllm import LLM

            model, self.engine_kwargs = self.engine_args()
            self._llm = LLM(model, **self.engine_kwargs)
        return self._llm

    def generate(self, requests: Sequence[ChatRequest]) -> list[Generation]:
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        llm = self._load()
        tokenizer = llm.get_tokenizer()
        limit = llm.llm_engine.model_config.max_model_len
        kwargs = self.settings.chat_template_kwargs
        temperature = self.settings.temperature or 0.0

        def params(prompt_len: int) -> SamplingParams:
            return SamplingParams(
                temperature=temperature,
                max_tokens=max(1, min(self.settings.max_tokens, limit - prompt_len)),
                seed=self.settings.seed if temperature > 0 else None,
            )

        sampling = []
        results: list[Generation | None] = [None] * len(requests)
        prompts, where = [], []
        for i, request in enumerate(requests):
            ids = encode_prompt(tokenizer, request, kwargs)
            if len(ids) >= limit:
                results[i] = Generation(
                    text="",
                    error=f"prompt has {len(ids)} tokens; max_model_len is {limit}",
                    meta={"prompt_tokens": len(ids)},
                )
                continue
            prompts.append(TokensPrompt(prompt_token_ids=ids))
            sampling.append(params(len(ids)))
            where.append(i)
        if prompts:
            outputs = llm.generate(prompts, sampling, use_tqdm=False)
            for i, output in zip(where, outputs, strict=True):
                completion = output.outputs[0]
                results[i] = Generation(
                    text=completion.text,
                    meta={
                        "finish_reason": completion.finish_reason,
                        "prompt_tokens": len(output.prompt_token_ids or []),
                        "completion_tokens": len(completion.token_ids),
                    },
                )
        return [r for r in results if r is not None]

    def close(self) -> None:
        """Shut the engine down: vLLM's own shutdown first (``ENGINE_GRACE_S``), then any process
        it started that is still alive (EngineCore, workers; a vLLM CPU worker ignores SIGTERM) is
        terminated and, ``REAP_GRACE_S`` later, killed: within ``SHUTDOWN_TIMEOUT_S`` in all."""
        if self._llm is None:
            return
        started = time.monotonic()
        deadline = started + SHUTDOWN_TIMEOUT_S
        with signals_deferred():
            children = descendants()
            core = getattr(getattr(self._llm, "llm_engine", None), "engine_core", None)
            shutdown = getattr(core, "shutdown", None)
            if callable(shutdown):
                try:
                    shutdown(timeout=ENGINE_GRACE_S)
                except Exception:  # noqa: BLE001 - the processes are reaped below either way
                    pass
            self._llm = None
            gc.collect()
            killed = reap(children, min(deadline, time.monotonic() + REAP_GRACE_S))
        print(
            f"vllm: engine and its {len(children)} processes stopped in {time.monotonic() - started:.1f} s"
            + (f" ({len(killed)} killed)" if killed else ""),
            file=sys.stderr,
        )
