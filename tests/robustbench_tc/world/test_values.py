"""The world's type checks: lax for every call, strict for an enforced parameter."""

from __future__ import annotations

from typing import Any

import pytest

from robustbench_tc.world.values import from_enforced, lax_ok, strict_ok, stringified, to_enforced

LAX = [
    ("integer", 15, True), ("integer", "15", True), ("integer", 15.0, True), ("integer", "15.5", False),
    ("integer", "five", False), ("integer", True, False), ("number", "2.5", True), ("number", 3, True),
    ("number", [1], False), ("string", "x", True), ("string", 4, True), ("string", ["x"], False),
    ("string", {"a": 1}, False), ("boolean", "True", True), ("boolean", "yes", False), ("boolean", 1, False),
    ("array", ["a"], True), ("array", "['a', 'b']", True), ("array", "a, b", False), ("object", "{'k': 1}", True),
    ("object", [1], False), ("unknown-type", object(), True), ("integer", None, True),
]  # fmt: skip


@pytest.mark.parametrize(("declared", "value", "ok"), LAX)
def test_lax_check(declared: str, value: Any, ok: bool) -> None:
    assert lax_ok(declared, value) is ok


STRICT = [("integer", 4, True), ("integer", "4", False), ("integer", 4.5, False), ("integer", False, False),
          ("number", 4, True), ("number", "4.5", False), ("string", "4", True), ("string", 4, False),
          ("array", ["x"], True), ("array", "x", False), ("array", "['x']", False)]  # fmt: skip


@pytest.mark.parametrize(("enforced", "value", "ok"), STRICT)
def test_strict_check(enforced: str, value: Any, ok: bool) -> None:
    assert strict_ok(enforced, value) is ok


@pytest.mark.parametrize(
    ("gold", "enforced"),
    [("4", "integer"), ("2.5", "number"), (7, "string"), (2.5, "string"), ("Paris", "array")],
)
def test_enforced_values_round_trip(gold: Any, enforced: str) -> None:
    typed = to_enforced(gold, enforced)
    assert strict_ok(enforced, typed)
    assert from_enforced(typed, enforced, type(gold).__name__.replace("str", "string").replace("int", "integer")
                         .replace("float", "number")) == gold  # fmt: skip


def test_stringified_values_pass_the_lax_check_of_their_type() -> None:
    for declared, value in [
        ("integer", 5),
        ("number", 2.5),
        ("boolean", True),
        ("array", [1, "a"]),
        ("object", {"a": 1}),
    ]:
        assert lax_ok(declared, stringified(value)) and not strict_ok(declared, stringified(value))
