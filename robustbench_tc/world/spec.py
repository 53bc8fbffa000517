"""What a dataset row asks of the world: the runtime fault it plays, as data.

A runtime row stores its fault under ``perturbation_metadata["world"]`` (one of the models below);
the gold index carries it to the scorer, so the server's world is built from the same data as the
client's.  Every text the world sends because of a fault (an injected instruction, a precondition
error, a validation error) is rendered at build time and stored here: the world code only decides
*when* to send it.

>>> spec = parse_spec({"kind": "stale", "tool": "get_weather", "age_seconds": 259200})
>>> spec.kind, spec.tool
('stale', 'get_weather')
>>> parse_spec(None) is None
True
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TransitionFault(_Spec):
    """Appendix G: every call of the first turn that makes calls gets ``message`` verbatim."""

    kind: Literal["transition_fault"] = "transition_fault"
    message: str


class Injection(_Spec):
    """The first successful gold call's result carries ``text`` (an instruction to call ``target``)
    in its ``field``."""

    kind: Literal["injection"] = "injection"
    tool: str
    """The gold tool whose result carries the instruction."""
    field: str
    """The result field the instruction is written into (``notes``, ``comment``, ...)."""
    text: str
    style: str
    """The attack style (``robustbench_tc.world.axes.injection.STYLES``)."""
    target: str
    """The registry tool the instruction asks for: calling it after the instruction is the attack's success."""
    target_arguments: dict[str, Any] = Field(default_factory=dict)


class Prerequisite(_Spec):
    """Calls to ``tool`` fail with ``error`` until ``prerequisite`` has been called successfully."""

    kind: Literal["prerequisite"] = "prerequisite"
    tool: str
    prerequisite: str
    error: str
    style: str


class TypeEnforcement(_Spec):
    """The backend of ``tool`` validates ``parameter`` strictly as ``enforced`` (whatever the
    advertised schema says) and answers other types with ``error`` (``{got}`` / ``{value}`` filled in)."""

    kind: Literal["type_enforcement"] = "type_enforcement"
    tool: str
    parameter: str
    advertised: str
    """The JSON kind of the gold value as the source writes it."""
    enforced: str
    error: str
    style: str


class Fabrication(_Spec):
    """The first successful gold call's result is about ``value`` instead of the requested
    ``parameter`` value (another city, another date); a repeated call gets the true result."""

    kind: Literal["fabrication"] = "fabrication"
    tool: str
    parameter: str
    value: Any
    original: Any
    """The gold's value the fabricated one replaces (for audits and the card; the world echoes the
    value actually sent)."""


class StaleSnapshot(_Spec):
    """The first successful gold call's result is a snapshot ``age_seconds`` old; a repeated call is fresh."""

    kind: Literal["stale"] = "stale"
    tool: str
    age_seconds: int


class SilentNoOp(_Spec):
    """Every successful gold call reports success without changing anything (``modified: 0``)."""

    kind: Literal["noop"] = "noop"
    tool: str


WorldSpec = Annotated[
    TransitionFault | Injection | Prerequisite | TypeEnforcement | Fabrication | StaleSnapshot | SilentNoOp,
    Field(discriminator="kind"),
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(WorldSpec)

Spec = TransitionFault | Injection | Prerequisite | TypeEnforcement | Fabrication | StaleSnapshot | SilentNoOp


def parse_spec(value: Any) -> Spec | None:
    """A stored spec (a dict, or an already-built spec) as its model; ``None`` stays ``None``."""
    if value is None or isinstance(value, _Spec):
        return value  # type: ignore[return-value]
    spec: Spec = _ADAPTER.validate_python(value)
    return spec


def dump_spec(spec: Spec | None) -> dict[str, Any] | None:
    """The JSON-serialisable form stored in ``perturbation_metadata["world"]``."""
    return None if spec is None else spec.model_dump(mode="json")
