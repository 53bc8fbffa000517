"""Backends by name: ``vllm`` (offline engine), ``openai`` (OpenAI-compatible server),
``transformers`` (CPU fallback). Each module registers a factory
``(settings: ModelSettings, options: BackendOptions) -> Backend``; engines load lazily, on the
first ``generate``, so a run that has nothing left to do never starts one.

>>> sorted(BACKENDS.names())
['openai', 'transformers', 'vllm']
"""

from __future__ import annotations

from collections.abc import Callable

from eval_harness.backends.base import Backend, BackendOptions, ChatRequest, Generation
from eval_harness.manifest import ModelSettings
from robustbench_tc.registry import Registry

BackendFactory = Callable[[ModelSettings, BackendOptions], Backend]
BACKENDS: Registry[BackendFactory] = Registry("backend")


def _lazy(module: str, cls: str) -> BackendFactory:
    def factory(settings: ModelSettings, options: BackendOptions) -> Backend:
        import importlib

        return getattr(importlib.import_module(module), cls)(settings, options)

    return factory


BACKENDS.register("vllm", _lazy("eval_harness.backends.vllm_backend", "VLLMBackend"))
BACKENDS.register("openai", _lazy("eval_harness.backends.openai_backend", "OpenAIBackend"))
BACKENDS.register("transformers", _lazy("eval_harness.backends.transformers_backend", "TransformersBackend"))


def make_backend(name: str, settings: ModelSettings, options: BackendOptions) -> Backend:
    return BACKENDS.get(name)(settings, options)


__all__ = ["BACKENDS", "Backend", "BackendOptions", "ChatRequest", "Generation", "make_backend"]
