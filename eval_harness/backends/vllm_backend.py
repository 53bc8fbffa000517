"""Offline vLLM: one ``LLM.generate`` call per pass over every prompt of the chunk.

Prompts are rendered with the model's chat template here (``tools=`` per sample in
function-calling mode; ``LLM.chat`` accepts one tools list per call) and passed as token ids, which
also lets a prompt longer than ``max_model_len`` become an error record instead of failing the
whole batch. The engine must be created under ``if __name__ == "__main__":`` (it spawns
processes); the ``robustbench-tc`` entry point satisfies that.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eval_harness.backends.base import Backend, BackendOptions, ChatRequest, Generation
from eval_harness.backends.chat_template import encode_prompt
from eval_harness.manifest import ModelSettings
from eval_harness.revision import model_revision


class VLLMBackend(Backend):
    name = "vllm"

    def __init__(self, settings: ModelSettings, options: BackendOptions) -> None:
        self.settings = settings
        self.options = options
        self._llm: Any = None

    def engine_version(self) -> str | None:
        import vllm

        return vllm.__version__

    def model_revision(self) -> str | None:
        return model_revision(self.settings.model)

    def _load(self) -> Any:
        if self._llm is None:
            from vllm import LLM
            from vllm.platforms import current_platform

            cpu = current_platform.is_cpu()
            kwargs: dict[str, Any] = {
                "dtype": self.settings.dtype,
                "seed": self.settings.seed,
                "enforce_eager": cpu,  # CUDA graphs only help on GPU
                "gpu_memory_utilization": self.options.gpu_memory_utilization,
                "tensor_parallel_size": self.options.tensor_parallel_size,
            }
            if self.settings.max_model_len is not None:
                kwargs["max_model_len"] = self.settings.max_model_len
            kwargs.update(self.options.extra_engine_args)
            self._llm = LLM(self.settings.model, **kwargs)
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
        if self._llm is not None:
            engine = getattr(self._llm, "llm_engine", None)
            shutdown = getattr(engine, "shutdown", None) if engine is not None else None
            if callable(shutdown):
                shutdown()
            self._llm = None
