"""Pydantic records that cross a boundary: dataset rows and predictions.

A ``Sample`` is one benchmark row (one base sample under one perturbation). On disk (the Hub
dataset) a sample is a flat row whose free-form parts (tools, golden answers, metadata) are JSON
strings, so every config shares one schema; ``Sample.to_row`` / ``Sample.from_row`` convert.

>>> call = GoldCall(name="country_info.capital", arguments={"country": ["Brazil"]})
>>> s = Sample(id="bfcl_v3__BFCL_v3_multiple__multiple_2", source="bfcl_v3",
...            messages=[Message(role="user", content="What is the capital of Brazil?")],
...            tools=[Tool(name="country_info.capital")],
...            golden_answers=[GoldAnswer(calls=[call])], output_format="bfcl_ast")
>>> s.key, s.component, s.base_id == s.id
(('bfcl_v3__BFCL_v3_multiple__multiple_2', 'clean'), 'clean', True)
>>> Sample.from_row(s.to_row()) == s
True
"""

from __future__ import annotations

import json
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from robustbench_tc.registry import unknown_name_message
from robustbench_tc.sources import get_source, sources
from robustbench_tc.taxonomy import CLEAN, component_of, config_names, get_type, is_config

OutputFormat = str
"""The canonical output format of a source's original scorer (the source table's
``output_format``): ``bfcl_ast`` = ``[f(a=1)]`` (BFCL), ``tool_call_json`` =
``<tool_call>{json}</tool_call>`` (API-Bank / ToolRL), ``react`` = ``Action: X / Action Input: {json}``
(RoTBench, ToolEyes, ToolAlpaca)."""

RecordT = TypeVar("RecordT", bound=BaseModel)

OPTIONAL = ""
"""In a gold argument's list of acceptable values, ``""`` means the parameter may be omitted
(BFCL's possible_answer convention, used for every source)."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, defer_build=False)


class Message(_Record):
    role: Literal["system", "user", "assistant", "tool"]
    content: str


class Tool(_Record):
    """A tool as shown to the model. ``parameters`` is a JSON-Schema object
    (``{"type": "object", "properties": {...}, "required": [...]}``); a property whose source
    spelled its type differently (BFCL ``float``/``dict``, API-Bank ``str``) keeps that spelling
    under ``"x-source-type"`` so the source's own prompt layout can be rendered again."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}, "required": []}
    )

    @property
    def properties(self) -> dict[str, Any]:
        return self.parameters.get("properties", {}) or {}

    @property
    def required(self) -> list[str]:
        return list(self.parameters.get("required", []) or [])


class GoldCall(_Record):
    """One expected call: every parameter maps to its list of acceptable values."""

    name: str
    arguments: dict[str, list[Any]] = Field(default_factory=dict)

    def first_values(self) -> dict[str, Any]:
        """The call with the first acceptable value of each parameter, omitting optional-only ones
        (how the paper prints ground truth)."""
        return {k: v[0] for k, v in self.arguments.items() if v and v[0] != OPTIONAL}


class GoldAnswer(_Record):
    """One acceptable answer: a sequence of calls (mostly one). A sample holds one or more
    alternatives (RoTBench keeps every alternative it lists)."""

    calls: list[GoldCall]


class Sample(_Record):
    """One row of RobustBench-TC."""

    id: str
    """The paper's sample id, e.g. ``apibank__level1_101``; the same for every perturbation."""
    base_id: str = ""
    """The clean sample this row derives from (defaults to ``id``)."""
    source: str
    """A source of the table (``robustbench_tc.sources``), e.g. ``bfcl_v3``."""
    perturbation: str = CLEAN
    """``clean`` or a code name from the taxonomy."""
    system_prompt: str = ""
    """The source's own instruction prompt with this row's tools rendered in (prompt mode)."""
    messages: list[Message]
    """The conversation without tool specifications (function-calling mode adds ``tools=``)."""
    tools: list[Tool]
    golden_answers: list[GoldAnswer]
    output_format: OutputFormat
    transition_error: str = ""
    """For transition configs: the fault string the harness injects after the first call."""
    generator: str = "upstream"
    """Provenance: ``upstream``, ``rules``, ``llm:<model>``, ``annotation`` or ``runtime``."""
    perturbation_metadata: dict[str, Any] = Field(default_factory=dict)
    source_meta: dict[str, Any] = Field(default_factory=dict)
    """Source-specific facts (file, index, level, scenario, ...)."""

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        try:
            get_source(value)
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None
        return value

    @field_validator("output_format")
    @classmethod
    def _known_output_format(cls, value: str) -> str:
        known = list(dict.fromkeys(s.output_format for s in sources()))
        if value not in known:
            raise ValueError(unknown_name_message("output format", value, known))
        return value

    @field_validator("perturbation")
    @classmethod
    def _known_perturbation(cls, value: str) -> str:
        if not is_config(value):
            raise ValueError(unknown_name_message("perturbation", value, config_names()))
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Sample:
        if not self.base_id:
            self.base_id = self.id
        if not self.golden_answers:
            raise ValueError(f"sample {self.id!r} has no golden answer")
        expected = "" if self.perturbation == CLEAN else get_type(self.perturbation).fault
        if self.transition_error != expected:
            raise ValueError(
                f"sample {self.id!r}: transition_error must be {expected!r} for {self.perturbation!r}"
            )
        return self

    @property
    def key(self) -> tuple[str, str]:
        """What identifies a row across the whole benchmark: (sample id, perturbation)."""
        return (self.id, self.perturbation)

    @property
    def component(self) -> str:
        return component_of(self.perturbation).value

    @property
    def tool_names(self) -> list[str]:
        return [t.name for t in self.tools]

    def to_row(self) -> dict[str, Any]:
        """The flat, JSON-serialisable row stored in the dataset files (stable key order)."""
        return {
            "id": self.id,
            "base_id": self.base_id,
            "source": self.source,
            "perturbation": self.perturbation,
            "component": self.component,
            "output_format": self.output_format,
            "system_prompt": self.system_prompt,
            "messages": [m.model_dump() for m in self.messages],
            "tools": _dumps([t.model_dump() for t in self.tools]),
            "golden_answers": _dumps([g.model_dump() for g in self.golden_answers]),
            "transition_error": self.transition_error,
            "generator": self.generator,
            "perturbation_metadata": _dumps(self.perturbation_metadata),
            "source_meta": _dumps(self.source_meta),
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Sample:
        """Inverse of ``to_row``; accepts JSON strings or already-decoded values."""
        data = dict(row)
        data.pop("component", None)
        for key in ("tools", "golden_answers", "perturbation_metadata", "source_meta"):
            if isinstance(data.get(key), str):
                data[key] = json.loads(data[key])
        return cls.model_validate(data)


def copy_record(record: RecordT) -> RecordT:
    """A deep copy of a record: what ``model_copy(deep=True)`` gives, about three times faster
    (one dump and one validation, both in pydantic-core, instead of ``copy.deepcopy`` in Python).
    A record mutated into an invalid state is copied with ``model_copy(deep=True)``.

    >>> tool = Tool(name="f", parameters={"type": "object", "properties": {"a": {"type": "string"}}})
    >>> copied = copy_record(tool)
    >>> copied == tool, copied.parameters is tool.parameters
    (True, False)
    """
    try:
        return type(record).model_validate(record.model_dump())
    except ValidationError:
        return record.model_copy(deep=True)


_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=False, separators=(",", ":")).encode
"""``json.dumps`` with these options, without building an encoder per call (build writes ~16k)."""


def _dumps(value: Any) -> str:
    return _ENCODE(value)


# Dataset features, declared in the card so `datasets` never has to guess types.
ROW_FEATURES: dict[str, Any] = {
    "id": "string",
    "base_id": "string",
    "source": "string",
    "perturbation": "string",
    "component": "string",
    "output_format": "string",
    "system_prompt": "string",
    "messages": [{"role": "string", "content": "string"}],
    "tools": "string",
    "golden_answers": "string",
    "transition_error": "string",
    "generator": "string",
    "perturbation_metadata": "string",
    "source_meta": "string",
}
