"""What the vLLM engine is given on each device (the real ``engine_args``, without starting it:
no vLLM is needed), and the CPU dtype default."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval_harness.backends.base import BackendOptions
from eval_harness.backends.vllm_backend import VLLMBackend
from eval_harness.device import KV_MAX_BYTES, KV_MIN_BYTES, GiB, device_settings
from eval_harness.manifest import resolve_model
from tests.support.requires import unavailable


def _backend(model: str, on_cpu: bool, options: BackendOptions, **settings: object) -> VLLMBackend:
    backend = object.__new__(VLLMBackend)  # __init__ asks vLLM which platform it runs on
    backend.on_cpu = on_cpu
    backend.settings = backend.adapt(resolve_model(model, **settings))  # type: ignore[arg-type]
    backend.options = options
    return backend


@pytest.mark.parametrize(
    ("on_cpu", "options", "env", "expected"),
    [
        (False, BackendOptions(), None, {"gpu_memory_utilization": 0.9}),
        (False, BackendOptions(gpu_memory_utilization=0.5), None, {"gpu_memory_utilization": 0.5}),
        (True, BackendOptions(gpu_memory_utilization=0.3), None, {"gpu_memory_utilization": 0.3}),
        (True, BackendOptions(kv_cache_gib=2), None, {"kv_cache_memory_bytes": 2 * GiB}),
        (False, BackendOptions(kv_cache_gib=0.5), None, {"kv_cache_memory_bytes": GiB // 2}),
        (True, BackendOptions(), "3", {}),  # vLLM's own VLLM_CPU_KVCACHE_SPACE wins
        (True, BackendOptions(), None, "auto"),
    ],
)
def test_memory_arguments(
    tiny_model_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    on_cpu: bool,
    options: BackendOptions,
    env: str | None,
    expected: object,
) -> None:
    if env is None:
        monkeypatch.delenv("VLLM_CPU_KVCACHE_SPACE", raising=False)
    else:
        monkeypatch.setenv("VLLM_CPU_KVCACHE_SPACE", env)
    args = _backend(str(tiny_model_dir), on_cpu, options).memory_args(str(tiny_model_dir))
    if expected == "auto":
        assert list(args) == ["kv_cache_memory_bytes"]
        assert KV_MIN_BYTES <= args["kv_cache_memory_bytes"] <= KV_MAX_BYTES
    else:
        assert args == expected


def test_engine_arguments_per_device(tiny_model_dir: Path) -> None:
    model = str(tiny_model_dir)
    gpu = _backend(model, False, BackendOptions(tensor_parallel_size=4), max_model_len=8192)
    path, kwargs = gpu.engine_args()
    assert path == model
    assert kwargs["tensor_parallel_size"] == 4 and kwargs["enforce_eager"] is False
    assert kwargs["dtype"] == "auto" and kwargs["max_model_len"] == 8192
    cpu = _backend(model, True, BackendOptions(), tokenizer="some/tokenizer")
    _, kwargs = cpu.engine_args()
    assert kwargs["dtype"] == "float32" and kwargs["enforce_eager"] is True
    assert kwargs["tokenizer"] == "some/tokenizer"
    asked = _backend(model, True, BackendOptions(), dtype="bfloat16")
    assert asked.engine_args()[1]["dtype"] == "bfloat16"


def test_gguf_model_loads_its_cached_conversion() -> None:
    from robustbench_tc.testing.smollm2 import SmolLM2Unavailable, smollm2_dir, smollm2_gguf

    try:
        gguf, folder = smollm2_gguf(), smollm2_dir()
    except SmolLM2Unavailable as exc:
        unavailable(str(exc))
    path, _ = _backend(str(gguf), True, BackendOptions()).engine_args()
    assert Path(path) == folder and (folder / "tokenizer_config.json").is_file()


def test_manifest_bf16_becomes_float32_only_on_cpu() -> None:
    settings = resolve_model("Qwen3-8B")
    assert settings.dtype == "bfloat16"
    assert device_settings(settings, on_cpu=True).dtype == "float32"
    assert device_settings(settings, on_cpu=False) is settings
