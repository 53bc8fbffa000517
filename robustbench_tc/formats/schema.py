"""Convert a source's parameter spelling to JSON Schema and back, losslessly.

Sources spell types their own way: BFCL ``dict``/``float``/``tuple``/``any``, API-Bank and ToolRL
python names (``str``, ``int``, ``list(str)``, ``str, optional``, ``List[int]``).  ``Tool.parameters``
is always JSON Schema; a node whose source type differs keeps the original spelling under
``"x-source-type"`` (placed right after ``"type"``) so a source prompt can be rendered again
byte-for-byte.  Types already valid in JSON Schema are kept as they are.

>>> json_type("float"), json_type("str, optional"), json_type("List[int]"), json_type("Callable")
('number', 'string', 'array', 'string')
>>> node = to_json_schema({"type": "dict", "properties": {"x": {"type": "float"}}, "required": []})
>>> node
{'type': 'object', 'x-source-type': 'dict', 'properties': {'x': {'type': 'number', 'x-source-type': 'float'}}, 'required': []}
>>> to_source_schema(node)
{'type': 'dict', 'properties': {'x': {'type': 'float'}}, 'required': []}
>>> to_json_schema({"type": "any", "description": "anything"})
{'x-source-type': 'any', 'description': 'anything'}
"""

from __future__ import annotations

import re
from typing import Any

SOURCE_TYPE_KEY = "x-source-type"

JSON_TYPES = frozenset({"string", "integer", "number", "boolean", "array", "object", "null"})

_ALIASES: dict[str, str] = {
    "str": "string",
    "text": "string",
    "int": "integer",
    "float": "number",
    "double": "number",
    "bool": "boolean",
    "list": "array",
    "tuple": "array",
    "set": "array",
    "dict": "object",
    "mapping": "object",
}

_UNTYPED = frozenset({"any"})
"""Source types that mean "no constraint": the JSON Schema node gets no ``type`` at all."""

# Keys whose values are schema nodes / maps of schema nodes (recursed into).
_NODE_KEYS = ("items", "additionalProperties")
_MAP_KEYS = ("properties",)


def _is_json_type(value: Any) -> bool:
    if isinstance(value, str):
        return value in JSON_TYPES
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, str) and v in JSON_TYPES for v in value)
    return False


def json_type(source_type: Any) -> str | None:
    """The JSON-Schema type for a source type spelling (``None`` for BFCL's ``any``).

    Unknown spellings fall back to ``"string"``, the type every source accepts.

    >>> json_type("list(str)"), json_type("Tuple[float, float]"), json_type("any")
    ('array', 'array', None)
    """
    if _is_json_type(source_type):
        return source_type
    if not isinstance(source_type, str):
        return "string"
    base = source_type.split(",")[0].strip().lower()  # "str, optional" -> "str"
    base = re.split(r"[\[(]", base, maxsplit=1)[0].strip()  # "list(str)", "List[int]" -> "list"
    if base in _UNTYPED:
        return None
    if base in JSON_TYPES:
        return base
    return _ALIASES.get(base, "string")


def to_json_schema(node: Any) -> Any:
    """A source parameter schema (any spelling) as JSON Schema; the input is not modified."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "type" and not _is_json_type(value):
            mapped = json_type(value)
            if mapped is not None:
                out["type"] = mapped
            out[SOURCE_TYPE_KEY] = value
        elif key in _MAP_KEYS and isinstance(value, dict):
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key in _NODE_KEYS and isinstance(value, dict):
            out[key] = to_json_schema(value)
        else:
            out[key] = value
    return out


def to_source_schema(node: Any) -> Any:
    """Inverse of ``to_json_schema``: restore each node's source spelling, drop the markers."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    has_type = "type" in node
    for key, value in node.items():
        if key == "type":
            out["type"] = node.get(SOURCE_TYPE_KEY, value)
        elif key == SOURCE_TYPE_KEY:
            if not has_type:
                out["type"] = value
        elif key in _MAP_KEYS and isinstance(value, dict):
            out[key] = {name: to_source_schema(sub) for name, sub in value.items()}
        elif key in _NODE_KEYS and isinstance(value, dict):
            out[key] = to_source_schema(value)
        else:
            out[key] = value
    return out


def object_schema(
    properties: dict[str, Any], required: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    """A JSON-Schema object node with the given (already converted) properties.

    >>> object_schema({"q": {"type": "string"}}, ["q"])
    {'type': 'object', 'properties': {'q': {'type': 'string'}}, 'required': ['q']}
    """
    return {"type": "object", "properties": properties, "required": list(required or []), **extra}
