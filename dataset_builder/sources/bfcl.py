"""BFCL V3 single-turn ``multiple``: question + functions, gold from ``possible_answer``.

Every acceptable value of the possible answer is kept (``""`` = the parameter may be omitted);
the prompt is this project's (``robustbench_tc.formats.bfcl``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dataset_builder.manifest import ManifestEntry
from dataset_builder.sources.common import LoaderError, check_gold_tools, read_jsonl
from robustbench_tc.formats import render_system_prompt
from robustbench_tc.formats.react import tool_from_json
from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample
from robustbench_tc.sources import get_source

SOURCE = "bfcl_v3"
"""This loader's row of the source table (``robustbench_tc.sources``)."""

DATA = "bfcl/berkeley-function-call-leaderboard/bfcl_eval/data"
QUESTIONS = f"{DATA}/BFCL_v3_multiple.json"
ANSWERS = f"{DATA}/possible_answer/BFCL_v3_multiple.json"
FILES = (QUESTIONS, ANSWERS)
STEM = "BFCL_v3_multiple"


def load(sources_dir: Path, entries: Sequence[ManifestEntry]) -> list[Sample]:
    questions = read_jsonl(sources_dir, QUESTIONS)
    answers = {a["id"]: a for a in read_jsonl(sources_dir, ANSWERS)}
    samples = []
    for entry in entries:
        if entry.file != QUESTIONS:
            raise LoaderError(f"{entry.id}: BFCL samples come from {QUESTIONS}, not {entry.file}")
        line, upstream_id = entry.locator["line"], entry.locator["upstream_id"]
        record = questions[line]
        if record["id"] != upstream_id or entry.id != f"bfcl_v3__{STEM}__{upstream_id}":
            raise LoaderError(f"{entry.id}: line {line} of {QUESTIONS} holds {record['id']!r}")
        if upstream_id not in answers:
            raise LoaderError(f"{entry.id}: no possible answer for {upstream_id!r} in {ANSWERS}")
        tools = [tool_from_json(f, entry.id) for f in record["function"]]
        calls = [
            GoldCall(name=name, arguments=arguments)
            for gt in answers[upstream_id]["ground_truth"]
            for name, arguments in gt.items()
        ]
        check_gold_tools(entry.id, calls, tools)
        messages = [Message(role=m["role"], content=m["content"]) for m in record["question"][0]]
        samples.append(
            Sample(
                id=entry.id,
                source=SOURCE,
                system_prompt=render_system_prompt(SOURCE, tools),
                messages=messages,
                tools=tools,
                golden_answers=[GoldAnswer(calls=calls)],
                output_format=get_source(SOURCE).output_format,
                source_meta={
                    "file": QUESTIONS,
                    "answer_file": ANSWERS,
                    "line": line,
                    "upstream_id": upstream_id,
                    "category": "multiple",
                },
            )
        )
    return samples
