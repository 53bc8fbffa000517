"""Defaults that fit the machine a run happens on.

On a GPU the manifest's settings are used as they are (the paper's dtype, vLLM's
``gpu_memory_utilization`` 0.9). On a CPU:

- the dtype is float32 unless ``--dtype`` was passed: bf16 matmuls are slow or crash on many CPUs
  (SIGILL on this project's CI machine), and a checkpoint's ``auto`` dtype is usually bf16;
- vLLM's CPU backend reads ``gpu_memory_utilization`` as a fraction of ALL RAM that must be free at
  start, so 0.9 refuses to start on any machine that is in use. Instead the KV cache gets an
  explicit size (``kv_cache_memory_bytes``, the setting behind ``VLLM_CPU_KVCACHE_SPACE``) that
  fits the memory free now: 40% of what is left after the weights, between 256 MiB and 4 GiB.
  ``--kv-cache-gib``, ``--gpu-memory-utilization`` or ``VLLM_CPU_KVCACHE_SPACE`` override it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from eval_harness.manifest import ModelSettings

GiB = 1024**3
MiB = 1024**2
KV_MIN_BYTES = 256 * MiB
KV_MAX_BYTES = 4 * GiB
KV_FRACTION = 0.4
CPU_DTYPE = "float32"


def device_settings(settings: ModelSettings, *, on_cpu: bool) -> ModelSettings:
    """``settings`` with the CPU dtype default applied.

    >>> from eval_harness.manifest import resolve_model
    >>> device_settings(resolve_model("Qwen3-8B"), on_cpu=True).dtype
    'float32'
    >>> device_settings(resolve_model("Qwen3-8B"), on_cpu=False).dtype
    'bfloat16'
    >>> device_settings(resolve_model("Qwen3-8B", dtype="bfloat16"), on_cpu=True).dtype
    'bfloat16'
    """
    if not on_cpu or settings.dtype_explicit or settings.dtype == CPU_DTYPE:
        return settings
    return dataclasses.replace(settings, dtype=CPU_DTYPE)


def cpu_kv_cache_bytes(available: int, weights: int) -> int:
    """KV-cache size for vLLM on CPU: 40% of the memory left once the weights are loaded (counted
    twice: loading holds a transient copy), clamped to [256 MiB, 4 GiB].

    >>> cpu_kv_cache_bytes(available=20 * GiB, weights=1 * GiB) / GiB
    4.0
    >>> round(cpu_kv_cache_bytes(available=4 * GiB, weights=1 * GiB) / GiB, 2)
    0.8
    >>> cpu_kv_cache_bytes(available=1 * GiB, weights=1 * GiB) == KV_MIN_BYTES
    True
    """
    spare = available - 2 * weights
    return int(min(KV_MAX_BYTES, max(KV_MIN_BYTES, spare * KV_FRACTION)))


def weight_bytes(model: str) -> int:
    """Bytes of the weight files of a local checkpoint folder (0 when unknown, e.g. a Hub id not
    cached). Weights stored in 16 bits count double: they are upcast to float32 on CPU.

    >>> weight_bytes("no/such-model")
    0
    """
    path = Path(model)
    if not path.is_dir():
        return 0
    total = 0
    for file in path.glob("*.safetensors"):
        total += file.stat().st_size * (2 if _is_16_bit(path) else 1)
    for file in path.glob("*.bin"):
        total += file.stat().st_size
    return total


def _is_16_bit(folder: Path) -> bool:
    import json

    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return str(config.get("torch_dtype") or config.get("dtype") or "") in {"bfloat16", "float16"}


def available_memory() -> int:
    """Bytes of memory available now (``MemAvailable``)."""
    import psutil

    return int(psutil.virtual_memory().available)
