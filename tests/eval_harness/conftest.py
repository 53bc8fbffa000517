"""Harness fixtures: the tiny model, a small hand-made dataset, the vLLM venv's python."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from robustbench_tc.testing.mini_dataset import MINI_CONFIGS, mini_samples, write_mini_dataset
from robustbench_tc.testing.tiny_model import build_tiny_model
from tests.support.requires import unavailable

__all__ = ["MINI_CONFIGS", "mini_samples", "write_mini_dataset"]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_VLLM_PYTHON = REPO_ROOT / ".venv-vllm" / "bin" / "python"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny random-weight Qwen2 chat model (built once per session, content-hash cached)."""
    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-qwen2")


@pytest.fixture(scope="session")
def mini_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset folder with 3 samples in each of clean, CD and two transition configs."""
    return write_mini_dataset(tmp_path_factory.mktemp("mini") / "dataset")


def vllm_python() -> Path | None:
    path = Path(os.environ.get("RBTC_VLLM_PYTHON", DEFAULT_VLLM_PYTHON))
    return path if path.is_file() else None


@pytest.fixture(scope="session")
def vllm_python_path() -> Path:
    path = vllm_python()
    if path is None:
        unavailable(
            f"vLLM venv not found ({os.environ.get('RBTC_VLLM_PYTHON', DEFAULT_VLLM_PYTHON)}): "
            "create it (see docs/harness.md) or set RBTC_VLLM_PYTHON"
        )
    return path
