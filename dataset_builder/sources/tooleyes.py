"""ToolEyes zero-shot (``Test_Data/scenario_data_zero_processed.json``) with project-made gold.

Upstream ToolEyes has no ground truth (its evaluation is reference-free).  The gold calls come
from this project's annotation file ``dataset_builder/annotations/tooleyes_gold.jsonl``, one line
per sample: ``{"id": "tooleyes__Turn 1: ...", "answers": [[{"name": ..., "arguments":
{param: [values]}}]], "rationale": ...}``; ``generator`` is ``annotation``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dataset_builder.manifest import ManifestEntry
from dataset_builder.sources.common import LoaderError, read_json
from robustbench_tc.formats import parse_tools
from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample, Tool
from robustbench_tc.sources import get_source

SOURCE = "tooleyes"
"""This loader's row of the source table (``robustbench_tc.sources``)."""

FILE = "tooleyes/Test_Data/scenario_data_zero_processed.json"
FILES = (FILE,)
ANNOTATIONS = Path(__file__).resolve().parents[1] / "annotations" / "tooleyes_gold.jsonl"


def load_annotations(path: Path = ANNOTATIONS) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        raise LoaderError(f"the ToolEyes gold annotations are missing: expected {path}")
    out: dict[str, dict[str, Any]] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            key = row["id"]
            row["answers"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise LoaderError(f"{path}:{lineno}: not an annotation line ({exc})") from exc
        if key in out:
            raise LoaderError(f"{path}:{lineno}: duplicate annotation for {key!r}")
        out[key] = row
    return out


def gold_answers(row: dict[str, Any], tools: list[Tool], where: str) -> list[GoldAnswer]:
    """The annotated alternatives, checked against the sample's tools and their parameters."""
    by_name = {t.name: t for t in tools}
    answers = []
    if not row["answers"]:
        raise LoaderError(f"{where}: the annotation has no answer")
    for alternative in row["answers"]:
        calls = []
        for call in alternative:
            tool = by_name.get(call.get("name"))
            if tool is None:
                raise LoaderError(f"{where}: annotated tool {call.get('name')!r} is not in {sorted(by_name)}")
            arguments = call.get("arguments") or {}
            unknown = sorted(set(arguments) - set(tool.properties))
            if unknown:
                raise LoaderError(f"{where}: {tool.name} has no parameter(s) {unknown}")
            bad = [k for k, v in arguments.items() if not isinstance(v, list) or not v]
            if bad:
                raise LoaderError(f"{where}: arguments {bad} must map to non-empty lists of values")
            calls.append(GoldCall(name=tool.name, arguments=arguments))
        answers.append(GoldAnswer(calls=calls))
    return answers


def load(
    sources_dir: Path, entries: Sequence[ManifestEntry], annotations: Path = ANNOTATIONS
) -> list[Sample]:
    records = read_json(sources_dir, FILE)
    labels = load_annotations(annotations)
    missing = [e.id for e in entries if e.id not in labels]
    if missing:
        raise LoaderError(
            f"{len(missing)} ToolEyes sample(s) have no gold label in {annotations}, e.g. {missing[0]!r}"
        )
    samples = []
    for entry in entries:
        index = entry.locator["index"]
        record = records[index]
        if entry.file != FILE or entry.id != f"tooleyes__{record['id']}":
            raise LoaderError(f"{entry.id}: record {index} of {FILE} is {record['id']!r}")
        system, user = (turn["value"] for turn in record["conversations"][:2])
        tools = parse_tools(SOURCE, system)
        row = labels[entry.id]
        meta: dict[str, Any] = {
            "file": FILE,
            "index": index,
            "scenario": record["scenario"],
            "path": record["path"],
        }
        if row.get("rationale"):
            meta["gold_rationale"] = row["rationale"]
        samples.append(
            Sample(
                id=entry.id,
                source=SOURCE,
                system_prompt=system,
                messages=[Message(role="user", content=user)],
                tools=tools,
                golden_answers=gold_answers(row, tools, f"{annotations.name}: {entry.id}"),
                output_format=get_source(SOURCE).output_format,
                generator="annotation",
                source_meta=meta,
            )
        )
    return samples
