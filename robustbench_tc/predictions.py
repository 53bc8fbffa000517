"""The predictions file: what the harness writes, the scorer reads and the Space accepts.

A predictions file is JSONL: an optional first line ``{"header": {...}}`` (a ``RunHeader``),
then one ``PredictionRecord`` per (sample id, perturbation). A JSON document is accepted too:
either a list of records or ``{"header": {...}, "predictions": [...]}``.

The scorer always re-parses ``raw_output``; ``tool_calls`` (whatever a client parsed) is kept
for reference and ignored.

>>> r = PredictionRecord(id="apibank__level1_213", perturbation="transient_timeout",
...                      raw_output="<tool_call>...</tool_call>", first_pass_output="...",
...                      transition_injected=True)
>>> r.key
('apibank__level1_213', 'transient_timeout')
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RunHeader(BaseModel):
    """Where a predictions file came from. Free-form extras are allowed under ``extra``."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="Manifest name, HF id or local path of the model.")
    model_revision: str | None = None
    engine: str = Field(description="vllm, openai, transformers, oracle, ...")
    engine_version: str | None = None
    mode: str | None = Field(default=None, description="prompt or fc (function calling).")
    sampling: dict[str, Any] = Field(default_factory=dict)
    dataset_fingerprint: str | None = None
    project_version: str | None = None
    created_at: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class PredictionRecord(BaseModel):
    """One model output for one (sample id, perturbation)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    perturbation: str
    raw_output: str
    first_pass_output: str | None = Field(
        default=None, description="Transition configs: the output of pass 1 (on the clean sample)."
    )
    transition_injected: bool | None = Field(
        default=None,
        description="Transition configs: whether pass 1 made a call, so the fault was injected.",
    )
    tool_calls: Any = Field(default=None, description="Client-parsed calls; ignored by the scorer.")
    error: str | None = Field(default=None, description="Client-side failure, if any (e.g. timeout).")
    meta: dict[str, Any] = Field(default_factory=dict, description="Free-form (latency, token counts).")

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.perturbation)
