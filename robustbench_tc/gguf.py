"""GGUF checkpoints as plain float32 safetensors folders (for engines that cannot read GGUF).

vLLM 0.31 (the CPU wheel) has no GGUF loader at all, and transformers dequantises a GGUF on every
load. ``gguf_to_folder`` does the dequantisation once: transformers reads the file (weights,
config, tokenizer and chat template), and the result is saved as a normal model folder under
``~/.cache/robustbench-tc/gguf`` (or ``$RBTC_CACHE/gguf``), keyed by the file's name, size and
modification time. Both offline backends of the harness and the SmolLM2 test helper use it.

>>> is_gguf("models/SmolLM2-135M-Instruct.Q4_1.gguf"), is_gguf("Qwen/Qwen3-8B")
(True, False)
>>> converted_name(Path("/m/SmolLM2-135M-Instruct.Q4_1.gguf"), "0123abcd")
'smollm2-135m-instruct.q4_1-f32-0123abcd'
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from robustbench_tc.errors import RobustBenchError

GGUF_INSTALL_HINT = "pip install gguf"


class GGUFError(RobustBenchError):
    """A GGUF file that cannot be read or converted (missing ``gguf`` package, unknown layout)."""


def is_gguf(model: str | os.PathLike[str]) -> bool:
    """Whether ``--model`` names a GGUF file (by its suffix)."""
    return str(model).lower().endswith(".gguf")


def cache_root() -> Path:
    return Path(os.environ.get("RBTC_CACHE", Path.home() / ".cache" / "robustbench-tc"))


def fingerprint(path: Path) -> str:
    """Cheap identity of a (large) file: name, size and modification time."""
    stat = path.stat()
    return hashlib.sha256(f"{path.name}:{stat.st_size}:{int(stat.st_mtime)}".encode()).hexdigest()[:12]


def converted_name(gguf: Path, digest: str) -> str:
    return f"{gguf.name[: -len('.gguf')].lower()}-f32-{digest}"


def gguf_to_folder(gguf: Path, cache: Path | None = None, *, name: str | None = None) -> Path:
    """A float32 safetensors folder (config, weights, tokenizer with its chat template) holding
    the GGUF's model, converted once and then reused.

    The folder is written to a temporary sibling and renamed, so an interrupted conversion never
    leaves a half-written model behind, and two processes converting at once both end with it.
    """
    gguf = Path(gguf).expanduser()
    if not gguf.is_file():
        raise GGUFError(f"no GGUF file at {str(gguf)!r}")
    if importlib.util.find_spec("gguf") is None:
        raise GGUFError(f"reading {gguf.name} needs the gguf package: {GGUF_INSTALL_HINT}")
    root = cache or cache_root() / "gguf"
    out = root / (name or converted_name(gguf, fingerprint(gguf)))
    if (out / "config.json").is_file() and (out / "model.safetensors").is_file():
        return out
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".gguf-", dir=root))
    try:
        try:
            _convert(gguf, tmp)
        except (ValueError, KeyError, OSError) as exc:
            raise GGUFError(f"cannot convert {gguf} to a model folder: {exc}") from exc
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
