"""The project's own ToolEyes gold (dataset_builder/annotations/tooleyes_gold.jsonl), checked
against the pinned upstream records: ids, tool names, argument names, types and grounding."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from robustbench_tc.records import GoldAnswer, GoldCall
from robustbench_tc.sources import META_TOOLS

REPO_ROOT = Path(__file__).resolve().parents[2]
GOLD_PATH = REPO_ROOT / "dataset_builder" / "annotations" / "tooleyes_gold.jsonl"
MANIFEST_PATH = REPO_ROOT / "dataset_builder" / "clean_manifest.json"
DERIVED_IDS = Path("derived") / "paper_clean_ids.json"
TOOLEYES_FILE = Path("tooleyes") / "Test_Data" / "scenario_data_zero_processed.json"
PREFIX = "tooleyes__"
TOOLS_START = "access of the following tools:\n"
TOOLS_END = "\n\nLet's Begin!"
OPTIONAL = ""
JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
}
NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()


def _read_gold() -> list[dict[str, Any]]:
    lines = GOLD_PATH.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


GOLD = _read_gold()


def _norm(text: str) -> str:
    """Case-folded text with typographic quotes made plain and runs of space, ``-`` and ``_`` made one space.

    >>> _norm("Entry-Level  ‘Pulp Fiction’")
    "entry level 'pulp fiction'"
    """
    text = (
        text.casefold()
        .replace("\u2018", "'")
        .replace("\u2019", "'")
        .replace("\u201c", '"')
        .replace("\u201d", '"')
    )
    return re.sub(r"[\s_\-]+", " ", text)


def grounded(value: str, query: str, param: str, rationale: str) -> bool:
    """Whether an argument value comes from the query: it occurs in it (after `_norm`); or each of
    its comma-separated items does; or it is a count the query writes as a number word; or, for a
    value the query implies without spelling it (a 0-based page, a boolean flag), the rationale
    states it as ``param=value``.

    >>> grounded("4", "generate four UUIDs", "cnt", "")
    True
    >>> grounded("2", "page three of 4chan", "page", "0-based, so page=2")
    True
    >>> grounded("2", "page three of 4chan", "page", "")
    False
    """
    q = _norm(query)
    if _norm(value) in q:
        return True
    items = [item.strip() for item in value.split(",")]
    if len(items) > 1 and all(item and _norm(item) in q for item in items):
        return True
    if value.isdigit() and int(value) < len(NUMBER_WORDS):
        if re.search(rf"\b{NUMBER_WORDS[int(value)]}\b", q):
            return True
    return f"{param}={value}".casefold() in rationale.casefold()


@cache
def _upstream(sources_dir: Path) -> dict[str, dict[str, Any]]:
    """Upstream records by id; ids that occur twice upstream map to ``None`` (never usable)."""
    records = json.loads((sources_dir / TOOLEYES_FILE).read_text(encoding="utf-8"))
    by_id: dict[str, Any] = {}
    for record in records:
        by_id[record["id"]] = None if record["id"] in by_id else record
    return by_id


def _tools(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    system = record["conversations"][0]["value"]
    start = system.index(TOOLS_START) + len(TOOLS_START)
    tools = json.loads(system[start : system.index(TOOLS_END, start)])
    return {tool["name"]: tool for tool in tools}


def _manifest_ids(sources_dir: Path) -> list[str]:
    """The ToolEyes clean ids in row order: the project manifest if present, else the derived list."""
    if MANIFEST_PATH.exists():
        samples = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))["samples"]
        return [s["id"] for s in samples if s["source"] == "tooleyes"]
    derived = json.loads((sources_dir / DERIVED_IDS).read_text(encoding="utf-8"))
    return [entry["id"] for entry in derived["clean"]["tooleyes"]]


def _record_for(sources_dir: Path, sample_id: str) -> dict[str, Any]:
    assert sample_id.startswith(PREFIX), f"{sample_id!r} lacks the {PREFIX!r} prefix"
    record = _upstream(sources_dir).get(sample_id[len(PREFIX) :])
    assert record is not None, f"{sample_id!r} is missing upstream or duplicated there"
    return record


@pytest.mark.parametrize(
    ("value", "query", "param", "rationale", "expected"),
    [
        ("hello", "the word 'hello'.", "word", "", True),
        ("HELLO", "the word 'hello'.", "word", "", True),
        ("Entry Level", "entry-level positions", "level", "", True),
        ("Pulp Fiction", "similar to ‘Pulp Fiction’", "q", "", True),
        ("www.a.com, www.b.com", "domains: www.a.com and www.b.com", "domains", "", True),
        ("www.a.com,www.c.com", "domains: www.a.com and www.b.com", "domains", "", False),
        ("6", "generate six passwords", "cnt", "", True),
        ("7", "generate six passwords", "cnt", "", False),
        ("16", "generate sixteen passwords", "cnt", "", True),
        ("False", "excluding Kraken", "if_include", "needs if_include=False", True),
        ("False", "excluding Kraken", "if_include", "needs False", False),
        ("Tokyo", "hotels in Kyoto", "city", "", False),
    ],
)
def test_grounded(value: str, query: str, param: str, rationale: str, expected: bool) -> None:
    assert grounded(value, query, param, rationale) is expected


def test_ids_are_exactly_the_clean_tooleyes_ids_in_order(sources_dir: Path) -> None:
    ids = [row["id"] for row in GOLD]
    assert len(ids) == len(set(ids)), "duplicate ids in the gold file"
    expected = _manifest_ids(sources_dir)
    assert len(expected) == 51
    assert ids == expected


def test_file_is_one_compact_utf8_object_per_line() -> None:
    raw = GOLD_PATH.read_text(encoding="utf-8")
    assert raw.endswith("\n") and "\\u" not in raw, "write with ensure_ascii=False, newline-terminated"
    for line in raw.splitlines():
        assert set(json.loads(line)) == {"id", "answers", "rationale"}, line[:80]


@pytest.mark.parametrize("row", GOLD, ids=[row["id"][len(PREFIX) :][:60] for row in GOLD])
def test_gold_row_matches_its_upstream_sample(row: dict[str, Any], sources_dir: Path) -> None:
    record = _record_for(sources_dir, row["id"])
    query = record["conversations"][1]["value"]
    tools = _tools(record)
    assert list(tools)[-2:] == list(META_TOOLS)

    rationale = row["rationale"]
    assert isinstance(rationale, str) and rationale.strip() and "\n" not in rationale

    answers = row["answers"]
    assert isinstance(answers, list) and answers, "no alternative"
    assert len({json.dumps(a, sort_keys=True) for a in answers}) == len(answers), "duplicate alternative"
    for alternative in answers:
        assert isinstance(alternative, list) and alternative, "empty alternative"
        for call in alternative:
            assert set(call) == {"name", "arguments"}
            assert call["name"] in tools, f"{call['name']!r} is not among this sample's tools"
            schema = tools[call["name"]]["parameters"]
            properties, required = schema.get("properties", {}), schema.get("required", [])
            for param, values in call["arguments"].items():
                assert param in properties, f"{call['name']} has no parameter {param!r}"
                assert isinstance(values, list) and values, f"{param}: no acceptable value"
                assert len(values) == len(set(map(json.dumps, values))), f"{param}: duplicate values"
                if OPTIONAL in values:
                    assert param not in required, f"{param} is required, so it may not be omitted"
                expected_type = JSON_TYPES[properties[param]["type"]]
                for value in values:
                    if value == OPTIONAL:
                        continue
                    assert isinstance(value, expected_type), (
                        f"{param}={value!r} is not {properties[param]['type']}"
                    )
                    if isinstance(value, str):
                        assert grounded(value, query, param, rationale), (
                            f"{param}={value!r} is not grounded in the query"
                        )
        GoldAnswer(calls=[GoldCall(**call) for call in alternative])
