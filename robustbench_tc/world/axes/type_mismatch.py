"""``parameter_type_mismatch`` (Appendix N (8)): the backend validates one gold parameter as another
JSON type than the schema advertises, and rejects other types with a realistic validation error.

The advertised schema and the prompt stay the clean ones (the backend is stricter than its schema,
the situation of the issues Appendix N cites).  The parameter and its enforced type follow from
the gold value: a number written as a string must be sent as a JSON number, a number must be sent
as a string (an id or code), and a plain string must be sent as a one-element list (a batch
endpoint).  The error names the parameter and the expected type, so a model can recover; scored by
the recovery rate.
"""

from __future__ import annotations

import re
from typing import Any

from robustbench_tc.records import OPTIONAL, Sample
from robustbench_tc.scoring.values import as_number, decoded
from robustbench_tc.world.axes.base import AxisBuilder, Pool, needs_target, runtime_row, target_call
from robustbench_tc.world.core import TOKEN_PARAMETER
from robustbench_tc.world.draw import Draw
from robustbench_tc.world.spec import TypeEnforcement, parse_spec
from robustbench_tc.world.values import declared_types, from_enforced, json_kind, strict_ok, to_enforced

CODE = "parameter_type_mismatch"

# style -> error template: {param} and {type} are filled at build time, {value} and {got} by the world
STYLES: dict[str, str] = {
    "fastapi_422": '422 Unprocessable Entity: {"detail": [{"type": "{code}", "loc": ["body", "{param}"], '
    '"msg": "Input should be a valid {word}", "input": {value}}]}',
    "jsonschema": "400 Bad Request: request validation failed: {value} is not of type '{type}' (at $.{param})",
    "openapi": "400 Bad Request: parameter '{param}' must be of type {type}, but got {got}.",
}
_CODES = {"integer": ("int_type", "integer"), "number": ("float_type", "number"),
          "string": ("string_type", "string"), "array": ("list_type", "list")}  # fmt: skip


def choose(sample: Sample) -> tuple[str, str, str, Any] | None:
    """``(parameter, gold value kind, enforced type, gold value)`` for the target gold call.

    The enforced type differs from the advertised one, so a model that follows the schema meets the
    error: a parameter advertised as a number must be sent as a string; one advertised as a string
    (or untyped) must be sent as a JSON number when its gold value is a number, else as a one-element
    list.  By priority: numbers first, then plain strings; ``None`` if nothing fits."""
    gold = target_call(sample)
    if gold is None:
        return None
    tool = next((t for t in sample.tools if t.name == gold.name), None)
    ranked = []
    for param, values in gold.arguments.items():
        if not values or values[0] == OPTIONAL or param == TOKEN_PARAMETER:
            continue  # a token is the source's state (API-Bank), not a value to retype
        value = values[0]
        kind = json_kind(value)
        declared = declared_types(tool.properties.get(param)) if tool else []
        number = as_number(value)
        if declared and declared[0] in ("integer", "number"):
            if number is not None:
                ranked.append((0, param, kind, "string", value))
        elif declared and declared[0] != "string":
            continue
        elif kind in ("string", "integer", "number") and number is not None:
            enforced = "integer" if isinstance(number, int) else "number"
            if _round_trips(value, enforced, kind):
                ranked.append((0, param, kind, enforced, value))
        elif kind == "string" and value.strip() and value.strip() != "None" and decoded(value) is value:
            ranked.append((1, param, kind, "array", value))
    if not ranked:
        return None
    _, param, kind, enforced, value = min(ranked, key=lambda r: r[0])
    return param, kind, enforced, value


def _round_trips(value: Any, enforced: str, kind: str) -> bool:
    typed = to_enforced(value, enforced)
    return strict_ok(enforced, typed) and from_enforced(typed, enforced, kind) == value


def eligible(sample: Sample, pool: Pool) -> str | None:
    return needs_target(sample, pool) or (
        None if choose(sample) else "no gold value to retype (no arguments)"
    )


def make(clean: Sample, _pool: Pool, draw: Draw) -> Sample:
    gold = target_call(clean)
    chosen = choose(clean)
    assert gold is not None and chosen is not None
    param, kind, enforced, _ = chosen
    style = draw.choice(sorted(STYLES))
    code, word = _CODES[enforced]
    error = STYLES[style]
    for key, value in {"{param}": param, "{type}": enforced, "{code}": code, "{word}": word}.items():
        error = error.replace(key, value)
    spec = TypeEnforcement(tool=gold.name, parameter=param, advertised=kind, enforced=enforced, error=error,
                           style=style)  # fmt: skip
    return runtime_row(clean, CODE, spec)


def checks(clean: Sample, row: Sample) -> list[str]:
    spec = parse_spec(row.perturbation_metadata.get("world"))
    if not isinstance(spec, TypeEnforcement):
        return ["no type-enforcement spec"]
    gold = target_call(clean)
    value = gold.arguments[spec.parameter][0] if gold and spec.parameter in gold.arguments else None
    out = []
    if value is None:
        return [f"{spec.parameter!r} is not a gold parameter"]
    tool = next(t for t in row.tools if t.name == spec.tool)
    declared = declared_types(tool.properties.get(spec.parameter))
    if spec.enforced in declared or (spec.enforced == "number" and "integer" in declared):
        out.append("the schema already advertises the enforced type (nothing to recover from)")
    if not _round_trips(value, spec.enforced, spec.advertised):
        out.append(f"the gold value {value!r} does not round-trip through {spec.enforced}")
    if spec.parameter not in spec.error or not {spec.enforced, _CODES[spec.enforced][1]} & set(
        re.findall(r"\w+", spec.error)
    ):
        out.append("the error does not name the parameter and the expected type")
    return out


BUILDER = AxisBuilder(
    CODE,
    eligible,
    make,
    checks,
    note="samples whose gold call has a parameter with a value; the backend enforces a type the "
    "schema does not advertise: a parameter advertised as a number must be a string, a string holding a "
    "number must be a JSON number, another string a one-element list (numbers first); the advertised "
    f"schema is unchanged; errors in one of {len(STYLES)} validator styles "
    f"({', '.join(sorted(STYLES))}) name the parameter and the expected type.",
)
