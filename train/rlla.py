"""ToolRL's ``rlla`` training format: read it from anywhere, and convert items to and from ``Sample``.

An rlla item is ``{instruction, input, output}``: the ToolRL system prompt with the tools, the
dialogue history ending with the user turn, and the target output (``<think>`` plus
``<tool_call>`` and/or ``<response>``). ToolRL's processed parquet (``rlla_4k/*.parquet``) holds
the same three strings under ``extra_info`` (and ``prompt`` / ``reward_model.ground_truth``); the
training sets this package writes hold them as ``prompt`` and ``ground_truth``. All three layouts
are read.

>>> item = RllaItem(instruction="sys", input="<user> hi </user>",
...                 output='<think> t </think>\\n<tool_call>\\n{"name": "F", "parameters": {"a": "1"}}\\n</tool_call>')
>>> gold_calls(item.output)
[GoldCall(name='F', arguments={'a': ['1']})]
>>> with_gold_names(item.output, ["G"]).splitlines()[2]
'{"name": "G", "parameters": {"a": "1"}}'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample
from train.rewards import answer_part, parse_tool_calls, target_shape

ID_PREFIX = "toolrl"


@dataclass(frozen=True)
class RllaItem:
    """One ToolRL training item."""

    instruction: str
    """The system prompt: ToolRL's instructions with the available tools rendered in."""
    input: str
    """The ``**Dialogue Records History**`` string ending with the user's turn."""
    output: str
    """The target output (the reward's ground truth)."""

    def prompt(self) -> list[dict[str, str]]:
        """The prompt in TRL's conversational format (system, then user)."""
        return [
            {"role": "system", "content": self.instruction},
            {"role": "user", "content": self.input},
        ]


def item_from_row(row: Mapping[str, Any]) -> RllaItem:
    """An item from a raw rlla record, a ToolRL processed row, or a row of our training sets.

    >>> item_from_row({"prompt": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}],
    ...                "ground_truth": "<think>t</think>"}).input
    'u'
    """
    if all(isinstance(row.get(k), str) for k in ("instruction", "input", "output")):
        return RllaItem(row["instruction"], row["input"], row["output"])
    extra = row.get("extra_info")
    if isinstance(extra, Mapping) and all(
        isinstance(extra.get(k), str) for k in ("instruction", "input", "output")
    ):
        return RllaItem(extra["instruction"], extra["input"], extra["output"])
    prompt = row.get("prompt")
    truth = row.get("ground_truth")
    if truth is None and isinstance(row.get("reward_model"), Mapping):
        truth = row["reward_model"].get("ground_truth")
    if prompt is not None and isinstance(truth, str):
        roles = {m.get("role"): m.get("content") for m in list(prompt)}
        if isinstance(roles.get("system"), str) and isinstance(roles.get("user"), str):
            return RllaItem(roles["system"], roles["user"], truth)
    raise ValueError(
        "not an rlla row: expected {instruction, input, output}, ToolRL's processed columns "
        "(extra_info / prompt + reward_model.ground_truth) or {prompt, ground_truth}; "
        f"got keys {sorted(row)}"
    )


def read_rlla(source: str | Path, *, split: str = "train") -> list[RllaItem]:
    """Read rlla items from a .json/.jsonl/.parquet file, a dataset folder (``save_to_disk`` or
    data files with a card), or a Hugging Face Hub dataset name (``split`` picks the split)."""
    path = Path(source)
    if path.is_file():
        suffix = path.suffix.lower()
        if suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            rows = data.get("data") if isinstance(data, dict) else data
            if not isinstance(rows, list):
                raise ValueError(f"{path}: expected a JSON list of rlla records")
        elif suffix == ".jsonl":
            with path.open(encoding="utf-8") as handle:
                rows = [json.loads(line) for line in handle if line.strip()]
        elif suffix == ".parquet":
            import pyarrow.parquet as pq

            rows = pq.read_table(path).to_pylist()
        else:
            raise ValueError(f"{path}: unsupported file type {suffix!r} (use .json, .jsonl or .parquet)")
        return _items(rows, str(path))
    return _items(_load_hf(str(source), path, split), f"{source} [{split}]")


def _load_hf(name: str, path: Path, split: str) -> Iterable[Mapping[str, Any]]:
    import datasets

    if path.is_dir() and ((path / "state.json").is_file() or (path / "dataset_dict.json").is_file()):
        loaded = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            if split not in loaded:
                raise ValueError(f"{path}: no split {split!r} (have {', '.join(loaded)})")
            loaded = loaded[split]
        return loaded
    looks_local = (
        path.is_absolute()
        or name.startswith((".", "~"))
        or path.suffix.lower() in (".json", ".jsonl", ".parquet")
    )
    if not path.exists() and looks_local:
        raise FileNotFoundError(f"rlla source not found: {name}")
    return datasets.load_dataset(name, split=split)


def _items(rows: Iterable[Mapping[str, Any]], where: str) -> list[RllaItem]:
    items = []
    for index, row in enumerate(rows):
        try:
            items.append(item_from_row(row))
        except ValueError as exc:
            raise ValueError(f"{where}: row {index}: {exc}") from None
    if not items:
        raise ValueError(f"{where}: no rlla rows")
    return items


def gold_calls(output: str) -> list[GoldCall]:
    """The gold calls of a target output; ``[]`` for a response-only target.

    >>> gold_calls("<think> t </think>\\n<response> Hi </response>")
    []
    """
    calls = parse_tool_calls(output)
    if calls is None:
        if target_shape(output)[0]:
            raise ValueError(f"target output has an unparseable <tool_call> block: {output[:200]!r}")
        return []
    return [
        GoldCall(name=call["name"], arguments={k: [v] for k, v in call["parameters"].items()})
        for call in calls
    ]


def with_gold_names(output: str, names: Sequence[str]) -> str:
    """The target output with its calls renamed to ``names`` (in order); lines whose name is
    unchanged keep their exact text. The ``<think>`` text is left as is (the reward ignores it)."""
    calls = parse_tool_calls(output)
    if calls is None or len(calls) != len(names):
        raise ValueError(f"cannot rename {len(names)} call(s) in target output {output[:200]!r}")
    if [c["name"] for c in calls] == list(names):
        return output
    offset = len(output) - len(answer_part(output))
    start = output.index("<tool_call>", offset) + len("<tool_call>")
    end = output.index("</tool_call>", start)
    lines, position = [], 0
    for line in output[start:end].split("\n"):
        if line.strip():
            call = calls[position]
            if call["name"] != names[position]:
                line = json.dumps(
                    {"name": names[position], "parameters": call["parameters"]}, ensure_ascii=False
                )
            position += 1
        lines.append(line)
    return output[:start] + "\n".join(lines) + output[end:]


def sample_id(split: str, index: int) -> str:
    """The id of the rlla item at ``index`` of ``split``.

    >>> sample_id("train", 7)
    'toolrl__train_7'
    """
    return f"{ID_PREFIX}__{split}_{index}"


def to_sample(item: RllaItem, sample_id: str) -> Sample:
    """The item as an API-Bank-style ``Sample`` (same system prompt family, ``tool_call_json``
    output), with the tools parsed by the ToolRL codec and the gold from the target's calls."""
    from robustbench_tc.formats import toolrl

    return Sample(
        id=sample_id,
        source="apibank",
        system_prompt=item.instruction,
        messages=[Message(role="user", content=item.input)],
        tools=toolrl.parse_tools(item.instruction),
        golden_answers=[GoldAnswer(calls=gold_calls(item.output))],
        output_format="tool_call_json",
        source_meta={"dataset": "toolrl_rlla"},
    )


def from_sample(sample: Sample, original: RllaItem) -> RllaItem:
    """Back to rlla after a perturbation: the system prompt is re-rendered with the sample's tools,
    the input is the (possibly perturbed) user turn, and the target's call names follow the
    sample's gold (the Abbr types rename the gold tool)."""
    from robustbench_tc.formats import toolrl

    users = [m for m in sample.messages if m.role == "user"]
    if len(users) != 1:
        raise ValueError(f"sample {sample.id!r}: expected one user message, got {len(users)}")
    names = [c.name for c in sample.golden_answers[0].calls]
    output = with_gold_names(original.output, names) if names else original.output
    instruction = toolrl.replace_tools(original.instruction, sample.tools)
    return RllaItem(instruction=instruction, input=users[0].content, output=output)
