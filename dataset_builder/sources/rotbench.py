"""RoTBench ``Data/First_Turn/clean.json``: ReAct prompt, every acceptable alternative kept.

Gold: each string of the assistant turn (``"Thought:...\\nAction: X\\nAction Input: {json}"``) is one
``GoldAnswer``.  RoTBench writes ``"None"`` for a parameter the query does not give and drops it
before comparing; here such a parameter's acceptable values are ``["", "None"]``: it may be
omitted (``""``, the project-wide "optional" marker) or given as the literal ``"None"``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dataset_builder.manifest import ManifestEntry
from dataset_builder.sources.common import LoaderError, check_gold_tools, read_json
from robustbench_tc.formats import parse_tools
from robustbench_tc.records import OPTIONAL, GoldAnswer, GoldCall, Message, Sample
from robustbench_tc.sources import NOT_GIVEN, get_source

SOURCE = "rotbench"
"""This loader's row of the source table (``robustbench_tc.sources``)."""

FILE = "rotbench/Data/First_Turn/clean.json"
FILES = (FILE,)
QUERY_SUFFIX = get_source(SOURCE).user_turn_suffix
_ALTERNATIVE = re.compile(r"Thought:(.*?)\nAction: (.*?)\nAction Input: (.*)", re.S)


def gold_arguments(arguments: dict[str, Any]) -> dict[str, list[Any]]:
    """RoTBench arguments as gold lists; ``"None"`` (not given) becomes optional.

    >>> gold_arguments({"query": "Madrid", "key": "None"})
    {'query': ['Madrid'], 'key': ['', 'None']}
    """
    return {k: [OPTIONAL, NOT_GIVEN] if v == NOT_GIVEN else [v] for k, v in arguments.items()}


def parse_alternative(text: str, sample_id: str) -> GoldCall:
    match = _ALTERNATIVE.fullmatch(text.strip())
    if not match:
        raise LoaderError(f"{sample_id}: unreadable gold alternative {text[:80]!r}")
    try:
        arguments = json.loads(match.group(3))
    except json.JSONDecodeError as exc:
        raise LoaderError(f"{sample_id}: gold Action Input is not JSON: {exc}") from exc
    return GoldCall(name=match.group(2).strip(), arguments=gold_arguments(arguments))


def load(sources_dir: Path, entries: Sequence[ManifestEntry]) -> list[Sample]:
    records = read_json(sources_dir, FILE)
    samples = []
    for entry in entries:
        index = entry.locator["index"]
        record = records[index]
        if entry.file != FILE or entry.id != f"rotbench__{record['id']}":
            raise LoaderError(f"{entry.id}: record {index} of {FILE} is {record['id']!r}")
        system, user, assistant = (turn["value"] for turn in record["conversations"])
        tools = parse_tools(SOURCE, system)
        alternatives = [parse_alternative(text, entry.id) for text in assistant]
        check_gold_tools(entry.id, alternatives, tools)
        query = user[: -len(QUERY_SUFFIX)] if user.endswith(QUERY_SUFFIX) else user
        meta: dict[str, Any] = {
            "file": FILE,
            "index": index,
            "scenario": record["scenario"],
            "alternatives": len(alternatives),
        }
        if any(call.name in get_source(SOURCE).meta_tools for call in alternatives):
            meta["meta_tool_gold"] = True  # upstream does not compare ask_to_user/finish content
        samples.append(
            Sample(
                id=entry.id,
                source=SOURCE,
                system_prompt=system,
                messages=[Message(role="user", content=query)],
                tools=tools,
                golden_answers=[GoldAnswer(calls=[call]) for call in alternatives],
                output_format=get_source(SOURCE).output_format,
                source_meta=meta,
            )
        )
    return samples
