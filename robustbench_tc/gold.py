"""The gold index: what scoring reads from a dataset, in one small file written by the build.

Scoring needs, per row, only the key, the source, the golden answers and the tools' names and
parameter schemas, not the prompts, messages and descriptions that make up most of the 27 MB of
``data/<config>.jsonl``.  ``robustbench-tc build`` therefore also writes ``data/gold_index.json``:

    {"format": 1, "fingerprint": <dataset_fingerprint of the data files it was derived from>,
     "tools": [tool, ...],                 # unique tools: name + parameters (descriptions dropped)
     "toolsets": [[tool index, ...], ...], # unique tool lists
     "golden_answers": [[answer, ...], ...],
     "worlds": [world spec, ...],          # runtime rows' faults (perturbation_metadata["world"])
     "configs": {config: [[id, base_id, source, toolset index, golden_answers index, distractor,
                           world index or null], ...]}}

``load_gold`` uses the index only when its fingerprint equals the data files' fingerprint (a sha256
over every data file, about 30 ms) and it lists the same configs; otherwise (an older build, an
edited or partial folder) it reads the data files themselves.  Either way the rows are the same
``GoldRow`` values, so verdicts never depend on which path was taken (a test checks it).  The file is
derived data: ``dataset_fingerprint`` stays a hash of the data files only.

>>> from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample, Tool
>>> s = Sample(id="bfcl_v3__x", source="bfcl_v3", output_format="bfcl_ast",
...            messages=[Message(role="user", content="q")],
...            tools=[Tool(name="f", description="long text", parameters={"type": "object",
...                   "properties": {"a": {"type": "integer", "description": "an a"}}})],
...            golden_answers=[GoldAnswer(calls=[GoldCall(name="f", arguments={"a": [1]})])])
>>> index = gold_index({"clean": [s.to_row()]}, fingerprint="abc")
>>> index["tools"]
[{'name': 'f', 'parameters': {'type': 'object', 'properties': {'a': {'type': 'integer'}}}}]
>>> row = rows_from_index(index)["clean"][0]
>>> row.key, row.golden_answers == s.golden_answers, row.tools[0].properties
(('bfcl_v3__x', 'clean'), True, {'a': {'type': 'integer'}})
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from robustbench_tc.dataset import (
    DATA_DIR,
    DatasetError,
    available_configs,
    check_dataset_dir,
    dataset_fingerprint,
    load_samples,
    select_configs,
)
from robustbench_tc.records import GoldAnswer, Sample, Tool

GOLD_INDEX = "gold_index.json"
INDEX_FORMAT = 3
"""2: each row also names its Reward distractor (the name-bias error mode).
3: runtime rows carry their world spec (the server replays their trajectories)."""


class ScoringRow(Protocol):
    """What a scorer reads from a dataset row (a ``Sample`` or a ``GoldRow``)."""

    @property
    def id(self) -> str: ...
    @property
    def base_id(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def perturbation(self) -> str: ...
    @property
    def golden_answers(self) -> list[GoldAnswer]: ...
    @property
    def tools(self) -> list[Tool]: ...
    @property
    def distractor(self) -> str | None: ...
    @property
    def key(self) -> tuple[str, str]: ...
    @property
    def world(self) -> dict[str, Any] | None: ...


@dataclass(frozen=True, slots=True)
class GoldRow:
    """One dataset row as scoring sees it.  Rows with equal gold or tools share those objects:
    treat them as read-only."""

    id: str
    base_id: str
    source: str
    perturbation: str
    golden_answers: list[GoldAnswer]
    tools: list[Tool]
    distractor: str | None = None
    """Reward types: the lure tool (``perturbation_metadata["distractor"]``); a call to it is name bias."""
    world: dict[str, Any] | None = None
    """Runtime rows: the fault the tool world plays (``perturbation_metadata["world"]``)."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.perturbation)

    @classmethod
    def from_sample(cls, sample: Sample) -> GoldRow:
        return cls(
            sample.id,
            sample.base_id,
            sample.source,
            sample.perturbation,
            sample.golden_answers,
            [scoring_tool(t) for t in sample.tools],
            reward_distractor(sample.perturbation_metadata),
            world_spec(sample.perturbation_metadata),
        )


def reward_distractor(metadata: Any) -> str | None:
    """The distractor a Reward perturbation recorded in its metadata, else ``None``.

    >>> reward_distractor({"dimension": "cost", "distractor": "f_Budget"}), reward_distractor({})
    ('f_Budget', None)
    """
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return None
    if not isinstance(metadata, dict) or "dimension" not in metadata:
        return None
    value = metadata.get("distractor")
    return value if isinstance(value, str) else None


def world_spec(metadata: Any) -> dict[str, Any] | None:
    """The world spec a runtime row stored in its metadata, else ``None``.

    >>> world_spec({"axis": "silent_noop", "world": {"kind": "noop", "tool": "AddAgenda"}}), world_spec("{}")
    ({'kind': 'noop', 'tool': 'AddAgenda'}, None)
    """
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return None
    value = metadata.get("world") if isinstance(metadata, dict) else None
    return value if isinstance(value, dict) else None


def gold_index_path(dataset_dir: str | Path) -> Path:
    return Path(dataset_dir) / DATA_DIR / GOLD_INDEX


def _scoring_tool_dict(tool: Mapping[str, Any]) -> dict[str, Any]:
    """A tool without the descriptions (of the tool and of its top-level parameters)."""
    params = tool.get("parameters")
    if isinstance(params, dict) and isinstance(params.get("properties"), dict):
        props = {
            name: {k: v for k, v in node.items() if k != "description"} if isinstance(node, dict) else node
            for name, node in params["properties"].items()
        }
        params = {**params, "properties": props}
    out: dict[str, Any] = {"name": tool["name"]}
    if params is not None:
        out["parameters"] = params
    return out


def scoring_tool(tool: Tool) -> Tool:
    """The scoring view of a tool (what the index stores): name and parameter schemas."""
    return Tool.model_validate(_scoring_tool_dict(tool.model_dump()))


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` without building an encoder per call."""


def _dumps(value: Any) -> str:
    return _ENCODE(value)


def gold_index(rows_by_config: Mapping[str, Sequence[Mapping[str, Any]]], fingerprint: str) -> dict[str, Any]:
    """The index document of dataset rows as written (``Sample.to_row()`` dicts, JSON-string fields),
    configs and tables in the given order, so equal inputs give equal bytes."""
    tools: dict[str, int] = {}
    tool_values: list[Any] = []
    toolsets: dict[str, int] = {}
    toolset_values: list[list[int]] = []
    answers: dict[str, int] = {}
    answer_values: list[Any] = []
    worlds: dict[str, int] = {}
    world_values: list[Any] = []
    configs: dict[str, list[list[Any]]] = {}

    def world_ref(metadata: Any) -> int | None:
        spec = world_spec(metadata)
        if spec is None:
            return None
        key = _dumps(spec)
        if key not in worlds:
            worlds[key] = len(world_values)
            world_values.append(spec)
        return worlds[key]

    def tool_ref(tool: Mapping[str, Any]) -> int:
        slim = _scoring_tool_dict(tool)
        key = _dumps(slim)
        if key not in tools:
            tools[key] = len(tool_values)
            tool_values.append(slim)
        return tools[key]

    for config, rows in rows_by_config.items():
        out = []
        for row in rows:
            raw_tools = row["tools"]
            if raw_tools not in toolsets:
                parsed = json.loads(raw_tools) if isinstance(raw_tools, str) else raw_tools
                toolsets[raw_tools] = len(toolset_values)
                toolset_values.append([tool_ref(t) for t in parsed])
            raw_gold = row["golden_answers"]
            if raw_gold not in answers:
                answers[raw_gold] = len(answer_values)
                answer_values.append(json.loads(raw_gold) if isinstance(raw_gold, str) else raw_gold)
            out.append(
                [
                    row["id"],
                    row["base_id"],
                    row["source"],
                    toolsets[raw_tools],
                    answers[raw_gold],
                    reward_distractor(row.get("perturbation_metadata")),
                    world_ref(row.get("perturbation_metadata")),
                ]
            )
        configs[config] = out
    return {
        "format": INDEX_FORMAT,
        "fingerprint": fingerprint,
        "tools": tool_values,
        "toolsets": toolset_values,
        "golden_answers": answer_values,
        "worlds": world_values,
        "configs": configs,
    }


def render_gold_index(index: Mapping[str, Any]) -> bytes:
    return (_dumps(index) + "\n").encode("utf-8")


def rows_from_index(
    index: Mapping[str, Any], configs: Iterable[str] | None = None
) -> dict[str, list[GoldRow]]:
    """``GoldRow``s of some (default: all) configs of an index document."""
    wanted = list(configs) if configs is not None else list(index["configs"])
    tools = [Tool.model_validate(t) for t in index["tools"]]
    toolsets = [[tools[i] for i in ids] for ids in index["toolsets"]]
    answers = [[GoldAnswer.model_validate(a) for a in alts] for alts in index["golden_answers"]]
    worlds = index.get("worlds", [])
    out: dict[str, list[GoldRow]] = {}
    for config in wanted:
        out[config] = [
            GoldRow(
                rid, base, src, config, answers[g], toolsets[t], distractor, None if w is None else worlds[w]
            )
            for rid, base, src, t, g, distractor, w in index["configs"][config]
        ]
    return out


def read_gold_index(dataset_dir: str | Path) -> dict[str, Any] | None:
    """The folder's index if it is there, readable and derived from the folder's current data
    files; otherwise ``None``."""
    path = gold_index_path(dataset_dir)
    try:
        index = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(index, dict) or index.get("format") != INDEX_FORMAT:
        return None
    if list(index.get("configs", {})) != available_configs(dataset_dir):
        return None
    if index.get("fingerprint") != dataset_fingerprint(dataset_dir):
        return None
    return index


def load_gold(dataset_dir: str | Path, configs: Iterable[str] | None = None) -> dict[str, list[GoldRow]]:
    """What scoring needs from some (default: all present) configs, from the gold index when it
    is current, else from the data files (same rows either way)."""
    root = check_dataset_dir(dataset_dir)
    wanted = select_configs(root, configs)
    index = read_gold_index(root)
    if index is not None:
        try:
            return rows_from_index(index, wanted)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise DatasetError(f"{gold_index_path(root)}: unreadable gold index ({exc}); rebuild") from exc
    return {c: [GoldRow.from_sample(s) for s in rows] for c, rows in load_samples(root, wanted).items()}
