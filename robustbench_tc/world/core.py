"""The tool world: answers a sample's tool calls deterministically, as a small stateful API would.

``ToolWorld(row, spec)`` serves the tools of one dataset row (a ``Sample`` or the scorer's
``GoldRow``).  ``answer(calls)`` takes one model turn's calls (``ParsedCall``s, read with the
project's one rule, ``parsing.made_calls``) and returns one ``ToolResult`` per call, in order:

1. a meta-tool (``finish``, ``ask_to_user``) is not a tool call the world executes: it ends the
   episode and gets no result;
2. the errors a real API gives: an unknown tool, arguments it cannot read, a missing required
   parameter, a value of the wrong type (``world.values.lax_ok``), and the source's own state
   (API-Bank: a ``token`` that was never issued);
3. the row's runtime fault (``world.spec``): a prerequisite not yet called, a strictly enforced
   parameter type, Appendix G's transition fault on the first turn;
4. otherwise success.  A call that matches the gold (the source's own ``match_call``, the same
   test the scorer makes) is a *gold* call: its result echoes the request, and the row's fault may
   change it (an injected instruction, a fabricated value, a stale snapshot, a silent no-op).
   Any other valid call gets the same kind of schema-valid success.

Every result's payload is drawn from ``Draw(row id, calls so far)``, so the same calls give the
same bytes on every machine: the server replays a trajectory and compares.

>>> from robustbench_tc.parsing import ParsedCall
>>> from robustbench_tc.records import OPTIONAL, GoldAnswer, GoldCall, Tool
>>> from robustbench_tc.gold import GoldRow
>>> city = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
>>> row = GoldRow("bfcl_v3__x", "bfcl_v3__x", "bfcl_v3", "clean",
...               [GoldAnswer(calls=[GoldCall(name="weather.get", arguments={"city": ["Paris"]})])],
...               [Tool(name="weather.get", parameters=city)])
>>> world = ToolWorld(row)
>>> [r.status for r in world.answer([ParsedCall("weather.get", {"city": "Paris"})])]
['gold']
>>> world.answer([ParsedCall("weather.get", {})])[0].text
'{"name": "weather.get", "status": "error", "error": "Missing required parameter \\'city\\' for tool \\'weather.get\\'."}'
>>> world.answer([ParsedCall("forecast", {})])[0].status
'unknown_tool'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from robustbench_tc.parsing import ParsedCall
from robustbench_tc.records import OPTIONAL, GoldAnswer, GoldCall, Tool
from robustbench_tc.sources import get_source
from robustbench_tc.world.draw import Draw
from robustbench_tc.world.spec import (
    Fabrication,
    Injection,
    Prerequisite,
    SilentNoOp,
    Spec,
    StaleSnapshot,
    TransitionFault,
    TypeEnforcement,
    parse_spec,
)
from robustbench_tc.world.values import declared_types, from_enforced, json_kind, lax_ok, strict_ok

WORLD_VERSION = 1
"""Bumped whenever the world answers a call differently: a trajectory is replayed against the
version that wrote it (the run header records it), or refused."""

Status = Literal[
    "gold",
    "ok",
    "unknown_tool",
    "bad_arguments",
    "missing_parameter",
    "wrong_type",
    "invalid_token",
    "prerequisite",
    "enforced_type",
    "transition_fault",
]
ERROR_STATUSES: frozenset[str] = frozenset(
    {"unknown_tool", "bad_arguments", "missing_parameter", "wrong_type", "invalid_token"}
)
"""Errors any real API gives (schema and state), whatever the row's fault."""
FAULT_STATUSES: frozenset[str] = frozenset({"prerequisite", "enforced_type", "transition_fault"})
"""Errors the row's runtime fault causes."""

TOKEN_PARAMETER = "token"
TOKEN_ISSUER = "GetUserToken"
"""API-Bank's token flow: tools taking a ``token`` need one that ``GetUserToken`` issued."""


def dumps(value: Any) -> str:
    """How the world writes a JSON result (one spelling everywhere, so replays compare bytes)."""
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class ToolResult:
    """The world's answer to one call."""

    call: ParsedCall
    text: str
    """The tool message sent back to the model."""
    status: Status
    gold: tuple[int, int] | None = None
    """``(alternative, call)`` of the gold call this call matched, for gold calls."""
    tampered: bool = False
    """The row's fault changed this success (an injection, a fabricated value, a stale snapshot, a no-op)."""
    attack: bool = False
    """A call to the injection's target after the instruction was shown (the attack succeeded)."""

    @property
    def ok(self) -> bool:
        return self.status in ("gold", "ok")


@dataclass
class ToolWorld:
    """The world of one dataset row (see the module docstring)."""

    row: Any
    """A ``Sample`` or ``GoldRow``: ``id``, ``source``, ``tools``, ``golden_answers``."""
    spec: Spec | None = None
    strict_schema: bool = True
    """Check required parameters and types (training rows without schemas pass False)."""
    open_registry: bool = False
    """Serve any tool name as a tool without a schema (a training row whose tools are unknown)."""
    history: list[list[Any]] = field(default_factory=list)
    results: list[ToolResult] = field(default_factory=list)
    _faulted: bool = False
    _prerequisite_done: bool = False
    _injected: bool = False
    _tampered_once: bool = False
    _tokens: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.spec = parse_spec(self.spec)
        self._source = get_source(self.row.source)
        self._tools: dict[str, Tool] = {}
        for tool in self.row.tools:
            self._tools.setdefault(tool.name, tool)
        self._meta = set(self._source.meta_tools)
        self._scorer = self._source.scorer_object()
        self._tokens = set(_gold_tokens(self.row.golden_answers))
        # a parameter the gold may leave out is not enforced as required (RoTBench's tools mark as
        # required what its gold writes as "None", and its evaluator drops such fields)
        self._may_omit: dict[str, frozenset[str]] = {}
        for answer in self.row.golden_answers:
            for gold in answer.calls:
                omit = {p for p, values in gold.arguments.items() if not values or OPTIONAL in values}
                self._may_omit[gold.name] = self._may_omit.get(gold.name, frozenset()) | omit

    @classmethod
    def for_row(cls, row: Any, spec: Any = None) -> ToolWorld:
        """The world of ``row``, with its stored spec unless ``spec`` is given."""
        if spec is None:
            spec = getattr(row, "world", None)
            if spec is None and hasattr(row, "perturbation_metadata"):
                spec = row.perturbation_metadata.get("world")
        return cls(row, spec)

    # -- the API -----------------------------------------------------------------------------------
    def is_meta(self, call: ParsedCall) -> bool:
        return call.name in self._meta

    def answer(self, calls: Sequence[ParsedCall]) -> list[ToolResult]:
        """The results of one turn's calls, in order (meta-tool calls get none)."""
        real = [c for c in calls if not self.is_meta(c)]
        if not real:
            return []
        if isinstance(self.spec, TransitionFault) and not self._faulted:
            self._faulted = True
            out = [self._record(c, self.spec.message, "transition_fault") for c in real]
            return out
        return [self._answer_one(c) for c in real]

    # -- one call ----------------------------------------------------------------------------------
    def _answer_one(self, call: ParsedCall) -> ToolResult:
        self.history.append([call.name, call.arguments if call.arguments_ok else None])
        tool = self._tools.get(call.name)
        if tool is None and self.open_registry:
            tool = Tool(name=call.name)
        if tool is None:
            names = ", ".join(n for n in self._tools if n not in self._meta)
            return self._error(
                call, "unknown_tool", f"Tool {call.name!r} not found. Available tools: {names}"
            )
        if not call.arguments_ok or not isinstance(call.arguments, dict):
            return self._error(
                call,
                "bad_arguments",
                f"Could not read the arguments of {call.name!r}: expected one JSON object of named parameters.",
            )
        spec = self.spec
        if isinstance(spec, Prerequisite) and not self._prerequisite_done:
            if call.name == spec.tool:
                return self._error(call, "prerequisite", spec.error)
        if isinstance(spec, TypeEnforcement) and call.name == spec.tool and spec.parameter in call.arguments:
            value = call.arguments[spec.parameter]
            if not strict_ok(spec.enforced, value):
                text = spec.error.replace("{got}", json_kind(value)).replace("{value}", dumps(value))
                return self._error(call, "enforced_type", text)
        if self.strict_schema:
            problem = self._schema_problem(tool, call)
            if problem is not None:
                return self._error(call, *problem)
        token_problem = self._token_problem(tool, call)
        if token_problem is not None:
            return self._error(call, "invalid_token", token_problem)
        if isinstance(spec, Prerequisite) and call.name == spec.prerequisite:
            self._prerequisite_done = True
        return self._success(call)

    def _schema_problem(self, tool: Tool, call: ParsedCall) -> tuple[Status, str] | None:
        enforced = (
            self.spec.parameter
            if isinstance(self.spec, TypeEnforcement) and call.name == self.spec.tool
            else None
        )
        optional = self._may_omit.get(call.name, frozenset())
        for name in tool.required:
            if name in optional:
                continue
            if name not in call.arguments or call.arguments[name] is None:
                return "missing_parameter", f"Missing required parameter {name!r} for tool {call.name!r}."
        for name, value in call.arguments.items():
            if name == enforced:
                continue  # checked strictly above
            types = declared_types(tool.properties.get(name))
            if types and not any(lax_ok(t, value) for t in types):
                return (
                    "wrong_type",
                    f"Invalid type for parameter {name!r} of tool {call.name!r}: expected {' or '.join(types)}, "
                    f"got {json_kind(value)} {dumps(value)[:80]}.",
                )
        return None

    def _token_problem(self, tool: Tool, call: ParsedCall) -> str | None:
        if self.row.source != "apibank" or TOKEN_PARAMETER not in tool.properties:
            return None
        token = call.arguments.get(TOKEN_PARAMETER)
        if isinstance(token, str) and token.strip() in self._tokens:
            return None
        hint = f" Get a valid token with {TOKEN_ISSUER}." if TOKEN_ISSUER in self._tools else ""
        return f"Invalid token: the token is missing, expired or was never issued.{hint}"

    def _success(self, call: ParsedCall) -> ToolResult:
        spec = self.spec
        gold = self.match_gold(call)
        draw = Draw(self.row.id, self.history)
        request = dict(call.arguments)
        result: dict[str, Any] = {"request": request, "message": f"{call.name} completed successfully."}
        data = {"record_id": f"r-{draw.hex(6)}", "value": round(draw.between(100, 99_999) / 100, 2)}
        if call.name == TOKEN_ISSUER and self.row.source == "apibank":
            token = next(iter(sorted(_gold_tokens(self.row.golden_answers))), None) or draw.hex(18)
            self._tokens.add(token)
            data = {"token": token}
        result["data"] = data
        tampered = attack = False
        if isinstance(spec, Injection) and self._injected and call.name == spec.target:
            attack = True
        if gold is not None and getattr(spec, "tool", None) == call.name:
            if isinstance(spec, SilentNoOp):
                result = {"request": request, "message": "Request accepted.", "matched": 1, "modified": 0}
                tampered = True
            elif not self._tampered_once:
                if isinstance(spec, Injection):
                    result[spec.field] = spec.text
                    self._injected = tampered = True
                elif isinstance(spec, Fabrication) and spec.parameter in request:
                    request[spec.parameter] = spec.value
                    tampered = True
                elif isinstance(spec, StaleSnapshot):
                    result["snapshot_age_seconds"] = spec.age_seconds
                    tampered = True
                self._tampered_once = tampered
            elif isinstance(spec, StaleSnapshot):
                result["snapshot_age_seconds"] = 0
        text = dumps({"name": call.name, "status": "success", "result": result})
        return self._record(call, text, "gold" if gold is not None else "ok", gold, tampered, attack)

    def _error(self, call: ParsedCall, status: Status, message: str) -> ToolResult:
        attack = isinstance(self.spec, Injection) and self._injected and call.name == self.spec.target
        return self._record(call, dumps({"name": call.name, "status": "error", "error": message}), status,
                            attack=attack)  # fmt: skip

    def _record(
        self,
        call: ParsedCall,
        text: str,
        status: Status,
        gold: tuple[int, int] | None = None,
        tampered: bool = False,
        attack: bool = False,
    ) -> ToolResult:
        result = ToolResult(call, text, status, gold, tampered, attack)
        self.results.append(result)
        return result

    # -- the gold ----------------------------------------------------------------------------------
    def match_gold(self, call: ParsedCall) -> tuple[int, int] | None:
        """``(alternative, call index)`` of the first gold call ``call`` matches (the source's own
        ``match_call``), with an enforced parameter read back in the form the gold is written in."""
        if (
            isinstance(self.spec, TypeEnforcement)
            and call.name == self.spec.tool
            and self.spec.parameter in call.arguments
        ):
            arguments = dict(call.arguments)
            arguments[self.spec.parameter] = from_enforced(
                arguments[self.spec.parameter], self.spec.enforced, self.spec.advertised
            )
            call = ParsedCall(call.name, arguments, call.arguments_ok)
        answers: Sequence[GoldAnswer] = self.row.golden_answers
        for a, answer in enumerate(answers):
            for i, gold in enumerate(answer.calls):
                if gold.name == call.name and self._scorer.match_call(call, gold, self.row.tools):
                    return (a, i)
        return None


def _gold_tokens(answers: Sequence[GoldAnswer]) -> list[str]:
    out = []
    for answer in answers:
        for call in answer.calls:
            out.extend(_token_values(call))
    return out


def _token_values(call: GoldCall) -> list[str]:
    return [v.strip() for v in call.arguments.get(TOKEN_PARAMETER, []) if isinstance(v, str) and v.strip()]
