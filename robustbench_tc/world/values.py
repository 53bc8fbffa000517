"""How the world checks argument types: leniently, as a typical JSON API does, and strictly for the
one parameter a ``parameter_type_mismatch`` row enforces.

Lax check (every call): a value is accepted for a declared JSON-Schema type when it is of that
type, or is a string that spells one losslessly, as a FastAPI/pydantic endpoint in its default
(lax) mode coerces it: ``"15"`` for an integer, ``"2.5"`` for a number, ``"true"`` for a boolean,
and (API-Bank's convention) ``"['a', 'b']"`` for an array.  A number is also accepted for a string
(query-string APIs read every value as text).  What no coercion can read is a wrong type:
``"five"`` for an integer, a list for a string, ``true`` for a number.

Strict check (the enforced parameter): exactly that JSON type, no coercion.

>>> lax_ok("integer", "15"), lax_ok("integer", "five"), lax_ok("string", 4), lax_ok("string", ["a"])
(True, False, True, False)
>>> strict_ok("integer", "15"), strict_ok("integer", 15), strict_ok("array", ["x"]), strict_ok("integer", True)
(False, True, True, False)
>>> json_kind(True), json_kind(2.5), json_kind("x"), json_kind([1]), json_kind(None)
('boolean', 'number', 'string', 'array', 'null')
"""

from __future__ import annotations

import re
from typing import Any

from robustbench_tc.scoring.values import as_number, decoded

JSON_TYPES = ("string", "integer", "number", "boolean", "array", "object", "null")
_BOOL_WORDS = {"true": True, "false": False}
_INTEGRAL_FLOAT = re.compile(r"[+-]?\d+(?:\.0+)?")


def json_kind(value: Any) -> str:
    """The JSON type of a Python value (``integer`` for ints, ``number`` for floats)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def declared_types(node: Any) -> list[str]:
    """The JSON types a schema node declares (``[]``: untyped, anything goes)."""
    if not isinstance(node, dict):
        return []
    kind = node.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [k for k in kind if isinstance(k, str)]
    return []


def lax_ok(declared: str, value: Any) -> bool:
    """Whether a lenient API accepts ``value`` for a parameter declared ``declared``."""
    kind = json_kind(value)
    if declared not in JSON_TYPES or kind == declared or value is None:
        return True
    if declared == "number":
        return kind == "integer" or (kind == "string" and as_number(value) is not None)
    if declared == "integer":
        if kind == "number":
            return float(value).is_integer()
        return kind == "string" and bool(_INTEGRAL_FLOAT.fullmatch(value.strip()))
    if declared == "string":
        return kind in ("integer", "number")
    if declared == "boolean":
        return kind == "string" and value.strip().lower() in _BOOL_WORDS
    if declared in ("array", "object"):
        return kind == "string" and json_kind(decoded(value)) == declared
    return False


def strict_ok(enforced: str, value: Any) -> bool:
    """Whether ``value`` is exactly of JSON type ``enforced`` (an int counts as a number)."""
    kind = json_kind(value)
    return kind == enforced or (enforced == "number" and kind == "integer")


def to_enforced(value: Any, enforced: str) -> Any:
    """``value`` (a gold value as the source writes it) in the enforced type.

    >>> to_enforced("4", "integer"), to_enforced("2.5", "number"), to_enforced(7, "string"), to_enforced("Paris", "array")
    (4, 2.5, '7', ['Paris'])
    """
    if enforced in ("integer", "number"):
        number = as_number(value)
        if number is None:
            raise ValueError(f"{value!r} is not a number")
        if enforced == "integer" and float(number).is_integer():
            return int(number)
        return number
    if enforced == "string":
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    if enforced == "array":
        return [value]
    raise ValueError(f"cannot enforce type {enforced!r}")


def from_enforced(value: Any, enforced: str, advertised_kind: str) -> Any:
    """A value that passed the strict check, back in the advertised form the gold is written in
    (``advertised_kind`` is the JSON kind of the gold value), so the source's scorer compares it.

    >>> from_enforced(4, "integer", "string"), from_enforced("7", "string", "integer"), from_enforced(["Paris"], "array", "string")
    ('4', 7, 'Paris')
    """
    if enforced in ("integer", "number") and advertised_kind == "string":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value)
    if enforced == "string" and advertised_kind in ("integer", "number"):
        number = as_number(value)
        return value if number is None else number
    if enforced == "array" and isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def stringified(value: Any) -> str:
    """A value as a string-passing client sends it: strings as they are, anything else as JSON.

    >>> stringified(5), stringified([1, "a"]), stringified(True), stringified("x")
    ('5', '[1, "a"]', 'true', 'x')
    """
    import json

    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
