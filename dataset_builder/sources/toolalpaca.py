"""ToolAlpaca ``data/eval_real.json``: one sample per (API, instruction k).

Tools: every ``Function_Description`` key except ``components``; description = the first line;
``Parameters`` maps ``param -> "[Required. ]<type>. <description>."`` and becomes JSON Schema with
a ``required`` list.  Gold: ``Golden_Answers[k]``, one call per step.  The real API keys in the
gold inputs (WolframAlpha ``appid``, weatherstack ``access_key``, CurrencyBeacon ``api_key``) are
not in the instruction, so they become optional: ``""`` is added to their acceptable values.
The prompt is this project's (``robustbench_tc.formats.toolalpaca``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dataset_builder.manifest import ManifestEntry
from dataset_builder.sources.common import LoaderError, check_gold_tools, read_json
from robustbench_tc.formats import render_system_prompt, to_json_schema
from robustbench_tc.formats.schema import object_schema
from robustbench_tc.records import OPTIONAL, GoldAnswer, GoldCall, Message, Sample, Tool
from robustbench_tc.sources import get_source

SOURCE = "toolalpaca"
"""This loader's row of the source table (``robustbench_tc.sources``)."""

FILE = "toolalpaca/data/eval_real.json"
FILES = (FILE,)
AUTH_PARAMS = frozenset({"appid", "access_key", "api_key"})
NOT_A_TOOL = "components"
_REQUIRED = "Required. "
_PARAM = re.compile(r"([^.]*)\.\s?(.*)", re.S)


def parse_parameter(spec: str) -> tuple[dict[str, Any], bool]:
    """A ``"[Required. ]<type>. <description>."`` string as (JSON-Schema property, required).

    >>> parse_parameter("Required. string. Text that the cat says.")
    ({'type': 'string', 'description': 'Text that the cat says'}, True)
    >>> parse_parameter("integer. ")
    ({'type': 'integer', 'description': ''}, False)
    """
    required = spec.startswith(_REQUIRED)
    rest = spec[len(_REQUIRED) :] if required else spec
    match = _PARAM.fullmatch(rest)
    if not match:
        raise LoaderError(f"unreadable ToolAlpaca parameter {spec!r}")
    description = match.group(2).strip()
    if description.endswith("."):
        description = description[:-1]
    return to_json_schema({"type": match.group(1).strip(), "description": description}), required


def parse_function(name: str, text: str) -> Tool:
    """A ``Function_Description`` value as a ``Tool`` (description = its first line)."""
    marker = text.find("Parameters: ")
    if marker < 0:
        raise LoaderError(f"ToolAlpaca tool {name!r} has no 'Parameters:'")
    description = text[:marker].split("\n", 1)[0].strip() if marker else ""
    try:
        params, _ = json.JSONDecoder().raw_decode(text, marker + len("Parameters: "))
    except json.JSONDecodeError as exc:
        raise LoaderError(f"ToolAlpaca tool {name!r}: Parameters is not JSON: {exc}") from exc
    properties, required = {}, []
    for param, spec in params.items():
        properties[param], is_required = parse_parameter(spec)
        if is_required:
            required.append(param)
    return Tool(name=name, description=description, parameters=object_schema(properties, required))


def gold_call(step: dict[str, Any], instruction: str, sample_id: str) -> GoldCall:
    try:
        arguments = json.loads(step["Action_Input"]) if step["Action_Input"].strip() else {}
    except json.JSONDecodeError as exc:
        raise LoaderError(f"{sample_id}: gold Action_Input is not JSON: {exc}") from exc
    gold = {}
    for key, value in arguments.items():
        values = [value]
        if key in AUTH_PARAMS and str(value) not in instruction:
            values.append(OPTIONAL)
        gold[key] = values
    return GoldCall(name=step["Action"], arguments=gold)


def load(sources_dir: Path, entries: Sequence[ManifestEntry]) -> list[Sample]:
    apis = read_json(sources_dir, FILE)
    samples = []
    for entry in entries:
        api_index, k = entry.locator["api_index"], entry.locator["inst"]
        api = apis[api_index]
        if entry.file != FILE or entry.id != f"toolalpaca__{api['Name']}__inst{k}":
            raise LoaderError(f"{entry.id}: API {api_index} of {FILE} is {api['Name']!r}")
        tools = [
            parse_function(name, text)
            for name, text in api["Function_Description"].items()
            if name != NOT_A_TOOL
        ]
        instruction = api["Instructions"][k]
        calls = [gold_call(step, instruction, entry.id) for step in api["Golden_Answers"][k]]
        check_gold_tools(entry.id, calls, tools)
        samples.append(
            Sample(
                id=entry.id,
                source=SOURCE,
                system_prompt=render_system_prompt(SOURCE, tools),
                messages=[Message(role="user", content=instruction)],
                tools=tools,
                golden_answers=[GoldAnswer(calls=calls)],
                output_format=get_source(SOURCE).output_format,
                source_meta={
                    "file": FILE,
                    "api_index": api_index,
                    "api_name": api["Name"],
                    "inst": k,
                    "category": api.get("Category", ""),
                    "steps": len(calls),
                    "optional_auth_params": sorted(
                        {p for c in calls for p, v in c.arguments.items() if OPTIONAL in v}
                    ),
                },
            )
        )
    return samples
