"""The CPU fallback: ``transformers`` batched generation (greedy at temperature 0), left padding.

Prompts of a pass are sorted by length and generated in batches of ``--batch-size``; outputs are
returned in request order. Slow for real models, but needs nothing beyond ``transformers``.
"""

from __future__ import annotations

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
from eval_harness.device import device_settings
from eval_harness.manifest import ModelSettings
from eval_harness.revision import model_revision


class TransformersBackend(Backend):
    name = "transformers"

    def __init__(self, settings: ModelSettings, options: BackendOptions) -> None:
        try:
            import torch
            import transformers  # noqa: F401
        except ImportError as exc:
            raise EngineUnavailable(
                f"transformers is not installed in this Python: pip install 'robustbench-tc[harness]' ({exc})"
            ) from None
        self.on_cpu = not torch.cuda.is_available()
        self.settings = self.adapt(settings)
        self.options = options
        self._model: Any = None
        self._tokenizer: Any = None

    def adapt(self, settings: ModelSettings) -> ModelSettings:
        return device_settings(settings, on_cpu=self.on_cpu)

    def engine_version(self) -> str | None:
        import transformers

        return transformers.__version__

    def model_revision(self) -> str | None:
        return model_revision(self.settings.model)

    def load(self) -> None:
        self._load()

    def _load(self) -> None:
        if self._model is not None:
            return
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        dtype = self.settings.dtype
        torch_dtype: Any = "auto" if dtype == "auto" else getattr(torch, dtype)
        model_path = local_model(self.settings.model)
        self._tokenizer = AutoTokenizer.from_pretrained(self.settings.tokenizer or model_path)
        self._tokenizer.padding_side = "left"
        if self._tokenizer.pad_token_id is None:
            self._tokenizer.pad_token = self._tokenizer.eos_token
        model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch_dtype)
        device = "cpu" if self.on_cpu else "cuda"
        self._model = model.to(device).eval()

    def generate(self, requests: Sequence[ChatRequest]) -> list[Generation]:
        import torch

        self._load()
        tok, model = self._tokenizer, self._model
        kwargs = self.settings.chat_template_kwargs
        encoded = [encode_prompt(tok, r, kwargs) for r in requests]
        results: list[Generation | None] = [None] * len(requests)
        limit = self.settings.max_model_len
        runnable = []
        for i, ids in enumerate(encoded):
            if limit is not None and len(ids) >= limit:
                results[i] = Generation(
                    text="",
                    error=f"prompt has {len(ids)} tokens; max_model_len is {limit}",
                    meta={"prompt_tokens": len(ids)},
                )
            else:
                runnable.append(i)
        runnable.sort(key=lambda i: (len(encoded[i]), i))
        size = max(1, self.options.batch_size)
        temperature = self.settings.temperature or 0.0
        for start in range(0, len(runnable), size):
            batch = runnable[start : start + size]
            longest = max(len(encoded[i]) for i in batch)
            max_new = self.settings.max_tokens
            if limit is not None:
                max_new = max(1, min(max_new, limit - longest))
            pad = tok.pad_token_id
            input_ids = torch.tensor([[pad] * (longest - len(encoded[i])) + encoded[i] for i in batch])
            attention = torch.tensor(
                [[0] * (longest - len(encoded[i])) + [1] * len(encoded[i]) for i in batch]
            )
            sampling: dict[str, Any] = {"do_sample": temperature > 0}
            if temperature > 0:
                torch.manual_seed(self.settings.seed)
                sampling["temperature"] = temperature
            else:
                sampling.update(temperature=None, top_p=None, top_k=None)
            with torch.no_grad():
                out = model.generate(
                    input_ids=input_ids.to(model.device),
                    attention_mask=attention.to(model.device),
                    max_new_tokens=max_new,
                    pad_token_id=pad,
                    **sampling,
                )
            eos = _eos_ids(model, tok)
            for row, i in enumerate(batch):
                new = out[row, longest:].tolist()
                finish = "length"
                for j, token in enumerate(new):
                    if token in eos:
                        new, finish = new[:j], "stop"
                        break
                text = tok.decode(new, skip_special_tokens=True)
                results[i] = Generation(
                    text=text,
                    meta={
                        "finish_reason": finish,
                        "prompt_tokens": len(encoded[i]),
                        "completion_tokens": len(new),
                    },
                )
        return [r for r in results if r is not None]

    def close(self) -> None:
        self._model = self._tokenizer = None


def _eos_ids(model: Any, tok: Any) -> set[int]:
    ids = model.generation_config.eos_token_id
    out = set(ids if isinstance(ids, list) else [ids] if ids is not None else [])
    if tok.eos_token_id is not None:
        out.add(tok.eos_token_id)
    return out
