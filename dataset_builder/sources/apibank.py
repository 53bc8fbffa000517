"""API-Bank as processed by ToolRL (three levels; ToolRL's system prompt + flattened dialogue).

Tools come from the system prompt, ``**Think`` pseudo-tool included (``robustbench_tc.formats
.toolrl``).  Level-2 answers are a bare dict; they are normalised to a list of calls.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dataset_builder.manifest import ManifestEntry
from dataset_builder.sources.common import LoaderError, check_gold_tools, read_json, single_valued
from robustbench_tc.formats import parse_tools
from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample
from robustbench_tc.sources import get_source

SOURCE = "apibank"
"""This loader's row of the source table (``robustbench_tc.sources``)."""

FILES = tuple(f"apibank/benchmarks/API-Bank/level-{level}-api_processed.json" for level in (1, 2, 3))
_LEVEL = re.compile(r"level-(\d)-api_processed\.json$")


def gold_calls(answer: Any, sample_id: str) -> list[GoldCall]:
    """Calls from an answer that is a list of ``{name, parameters}`` or (level 2) one such dict.

    >>> gold_calls({"name": "GetToday", "parameters": {}}, "x")
    [GoldCall(name='GetToday', arguments={})]
    """
    calls = answer if isinstance(answer, list) else [answer]
    out = []
    for call in calls:
        if not isinstance(call, dict) or "name" not in call:
            raise LoaderError(f"{sample_id}: unreadable answer {str(call)[:80]!r}")
        out.append(GoldCall(name=call["name"], arguments=single_valued(call.get("parameters") or {})))
    return out


def load(sources_dir: Path, entries: Sequence[ManifestEntry]) -> list[Sample]:
    files: dict[str, list[dict[str, Any]]] = {}
    samples = []
    for entry in entries:
        match = _LEVEL.search(entry.file)
        if entry.file not in FILES or not match:
            raise LoaderError(f"{entry.id}: API-Bank samples come from {FILES}, not {entry.file}")
        level, index = int(match.group(1)), entry.locator["index"]
        if entry.id != f"apibank__level{level}_{index}":
            raise LoaderError(f"{entry.id}: the locator says level {level}, index {index}")
        if entry.file not in files:  # read each level file once (setdefault would read it per sample)
            files[entry.file] = read_json(sources_dir, entry.file)
        records = files[entry.file]
        record = records[index]
        tools = parse_tools(SOURCE, record["system"])
        calls = gold_calls(record["answer"], entry.id)
        check_gold_tools(entry.id, calls, tools)
        samples.append(
            Sample(
                id=entry.id,
                source=SOURCE,
                system_prompt=record["system"],
                messages=[Message(role="user", content=record["user"])],
                tools=tools,
                golden_answers=[GoldAnswer(calls=calls)],
                output_format=get_source(SOURCE).output_format,
                source_meta={
                    "file": entry.file,
                    "index": index,
                    "level": level,
                    "upstream_other": record.get("other", {}),
                },
            )
        )
    return samples
