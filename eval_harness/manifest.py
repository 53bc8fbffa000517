"""The paper's per-model evaluation settings (Appendix K, Table 15) and how a run resolves them.

``model_manifest.json`` holds the 21 models as printed in the paper (values are facts; cells the
paper leaves empty are ``null``). ``resolve_model`` turns ``--model`` (a manifest name, a local
path or an HF id) plus command-line overrides into one frozen ``ModelSettings``.

>>> entry = load_manifest().get("Qwen3-8B")
>>> entry.hf_id, entry.mode, entry.thinking, entry.max_model_len
('Qwen/Qwen3-8B', 'fc', False, 16384)
>>> s = resolve_model("Qwen3-8B", dtype="float32")
>>> s.model, s.mode, s.dtype, s.chat_template_kwargs
('Qwen/Qwen3-8B', 'fc', 'float32', {'enable_thinking': False})
>>> resolve_model("some/model").mode
'prompt'
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.registry import unknown_name_message

MANIFEST_PATH = Path(__file__).with_name("model_manifest.json")

Mode = Literal["prompt", "fc"]
DEFAULT_TEMPERATURE = 0.0
DEFAULT_MAX_TOKENS = 1024


class ManifestError(RobustBenchError, ValueError):
    """A model name or setting that cannot be resolved; the message says what to pass."""


class ModelEntry(BaseModel):
    """One row of Table 15 (plus o4-mini, which the paper ran through the OpenAI API)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    hf_id: str | None = None
    """Loadable Hub id; ``None`` where the paper prints none (anonymized / SFT / API model)."""
    hf_id_as_printed: str | None = None
    backend: Literal["vllm", "openai"] = "vllm"
    api_model: str | None = None
    gpus: int | None = None
    dtype: str | None = None
    max_model_len: int | None = None
    mode: Mode | None = None
    thinking: bool | None = None
    """``False``: the chat template gets ``enable_thinking=False`` (Qwen3 family)."""
    temperature: float | None = None
    max_tokens: int | None = None
    params_b: float | None = None
    in_table15: bool = True
    note: str | None = None


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    defaults: dict[str, Any]
    models: list[ModelEntry]

    def names(self) -> list[str]:
        return [m.name for m in self.models]

    def find(self, name: str) -> ModelEntry | None:
        """Exact name, else case-insensitive name, HF id or API model name."""
        for entry in self.models:
            if entry.name == name:
                return entry
        folded = name.casefold()
        for entry in self.models:
            aliases = {entry.name, entry.hf_id or "", entry.api_model or ""}
            if folded in {a.casefold() for a in aliases if a}:
                return entry
        return None

    def get(self, name: str) -> ModelEntry:
        entry = self.find(name)
        if entry is None:
            raise ManifestError(unknown_name_message("model", name, self.names()))
        return entry


@lru_cache(maxsize=1)
def load_manifest(path: Path = MANIFEST_PATH) -> Manifest:
    return Manifest.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))


@dataclass(frozen=True)
class ModelSettings:
    """Everything about the model that decides its outputs (goes into the run header)."""

    name: str
    """Manifest name, or the path / id as given."""
    model: str
    """What the engine loads or the server is asked for (local path, HF id, API model name)."""
    mode: Mode
    dtype: str = "auto"
    max_model_len: int | None = None
    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float | None = DEFAULT_TEMPERATURE
    """``None``: not sent (the server's default; reasoning API models accept no other)."""
    thinking: bool | None = None
    seed: int = 0
    chat_template_kwargs: dict[str, Any] = field(default_factory=dict)
    dtype_explicit: bool = False
    """The user passed ``--dtype``: kept as is on every device (else CPU runs use float32)."""
    tokenizer: str | None = None
    """``--tokenizer``: load the tokenizer and chat template from here instead of the model."""

    def sampling(self) -> dict[str, Any]:
        """The sampling settings recorded in the run header."""
        return {"temperature": self.temperature, "max_tokens": self.max_tokens, "seed": self.seed}


def resolve_model(
    model: str,
    *,
    mode: str | None = None,
    dtype: str | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
    max_model_len: int | None = None,
    thinking: bool | None = None,
    seed: int = 0,
    manifest: Manifest | None = None,
    backend: str | None = None,
    tokenizer: str | None = None,
) -> ModelSettings:
    """Manifest values, overridden by whatever was passed explicitly (not ``None``).

    With ``backend`` (the CLI's), a name that can only be a mistake is refused before any engine
    starts (see ``check_model_for_backend``).
    """
    manifest = manifest or load_manifest()
    entry = manifest.find(model)
    if backend is not None:
        check_model_for_backend(model, entry, manifest, backend)
    if entry is not None:
        target = entry.hf_id or entry.api_model
        if target is None:
            raise ManifestError(
                f"manifest model {entry.name!r} has no public id (paper prints "
                f"{entry.hf_id_as_printed!r}); pass the checkpoint path or id as --model with "
                "--mode/--dtype/--max-model-len instead"
            )
        name = entry.name
        base: dict[str, Any] = {
            "mode": entry.mode,
            "dtype": entry.dtype or "auto",
            "max_model_len": entry.max_model_len,
            "max_tokens": entry.max_tokens if entry.max_tokens is not None else None,
            "temperature": entry.temperature,
            "thinking": entry.thinking,
        }
        if entry.backend == "openai" and entry.temperature is None and temperature is None:
            base["temperature"] = None  # the API model accepts only its default
        elif base["temperature"] is None:
            base["temperature"] = DEFAULT_TEMPERATURE
    else:
        target, name = model, model
        base = {
            "mode": "prompt",
            "dtype": "auto",
            "max_model_len": None,
            "max_tokens": None,
            "temperature": DEFAULT_TEMPERATURE,
            "thinking": None,
        }
    overrides = {
        "mode": mode,
        "dtype": dtype,
        "max_tokens": max_tokens,
        "temperature": temperature,
        "max_model_len": max_model_len,
        "thinking": thinking,
    }
    base.update({k: v for k, v in overrides.items() if v is not None})
    if base["mode"] not in ("prompt", "fc"):
        raise ManifestError(
            f"model {name!r} has no evaluation mode in the paper; pass --mode prompt or --mode fc"
        )
    kwargs = {} if base["thinking"] is None else {"enable_thinking": bool(base["thinking"])}
    return ModelSettings(
        name=name,
        model=target,
        mode=base["mode"],
        dtype=base["dtype"],
        max_model_len=base["max_model_len"],
        max_tokens=base["max_tokens"] if base["max_tokens"] is not None else DEFAULT_MAX_TOKENS,
        temperature=base["temperature"],
        thinking=base["thinking"],
        seed=seed,
        chat_template_kwargs=kwargs,
        dtype_explicit=dtype is not None,
        tokenizer=tokenizer,
    )


def check_model_for_backend(model: str, entry: ModelEntry | None, manifest: Manifest, backend: str) -> None:
    """Refuse a ``--model`` the backend cannot load: an API-only manifest model on an offline
    backend; and, offline, a path that does not exist or a bare name (no ``org/``) close to a
    manifest name (a typo). An ``openai`` server may serve any name, so nothing else is checked.

    >>> check_model_for_backend("LoopTool8B", None, load_manifest(), "vllm")
    Traceback (most recent call last):
    ...
    eval_harness.manifest.ManifestError: unknown model 'LoopTool8B'; did you mean 'LoopTool-8B' or 'LoopTool-32B'? (`robustbench-tc models` lists the manifest; a checkpoint folder or a Hub id org/name works too)
    >>> check_model_for_backend("gpt2", None, load_manifest(), "transformers")  # a legacy Hub id
    """
    if entry is not None:
        if entry.backend == "openai" and backend != "openai":
            raise ManifestError(
                f"{entry.name!r} is an API model; pass --backend openai (and --mode prompt|fc)"
            )
        return
    if backend == "openai" or Path(model).expanduser().exists():
        return
    if model.startswith(("/", "./", "../", "~")) or model.count("/") > 1:  # a Hub id has one
        raise ManifestError(f"no checkpoint folder at {model!r}")
    if "/" not in model:
        names = {n.casefold(): n for n in manifest.names()}
        close = difflib.get_close_matches(model.casefold(), list(names), n=3, cutoff=0.6)
        if close:
            raise ManifestError(
                f"unknown model {model!r}; did you mean "
                f"{' or '.join(repr(names[c]) for c in close)}? "
                "(`robustbench-tc models` lists the manifest; a checkpoint folder or a Hub id "
                "org/name works too)"
            )
