"""Reading rlla items from every supported form, and the rlla <-> Sample conversion."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from robustbench_tc.records import GoldAnswer, GoldCall
from train.rewards import target_shape
from train.rlla import (
    RllaItem,
    from_sample,
    gold_calls,
    item_from_row,
    read_rlla,
    sample_id,
    to_sample,
    with_gold_names,
)

SFT = "toolrl/dataset/rlla_4k_raw/rlla_sft.json"
TEST = "toolrl/dataset/rlla_4k/test.parquet"

PROMPT = (
    "Intro.\n\n**Available Tools**\nIn your response, you can use the following tools:\n"
    '1. Name: Get Weather\nDescription: Weather of a city.\nParameters: {"city": {"description": '
    '"The city.", "type": "string", "default": ""}}\n'
    "2. Name: Get Time\nDescription: Time now.\nParameters: {}\n\n"
    "**Steps for Each Turn**\n1. **Think:** Recall context.\n2. **Decide:** Go.\n\n**Output Format**\n..."
)
CALL_OUT = (
    "<think> The user asks about <tool_call> usage. </think>\n<tool_call>\n"
    '{"name": "Get Weather", "parameters": {"city": "Paris"}}\n{"name": "Get Time", "parameters": {}}\n</tool_call>'
)
ITEM = RllaItem(PROMPT, "**Dialogue Records History**\n<user> Weather in Paris? </user>", CALL_OUT)


def test_sft_json_counts_and_answer_shapes(sources_dir: Path) -> None:
    items = read_rlla(sources_dir / SFT)
    shapes = Counter(target_shape(i.output) for i in items)
    assert len(items) == 400
    # FORMATS.md §6 counts 5 items with both blocks: their thoughts mention <response>; the
    # answers after </think> are 346 call-only and 54 response-only.
    assert shapes == {(True, False): 346, (False, True): 54}


def test_processed_parquet_reads_the_same_strings(sources_dir: Path) -> None:
    import pyarrow.parquet as pq

    items = read_rlla(sources_dir / TEST, split="test")
    raw = pq.read_table(sources_dir / TEST).to_pylist()
    assert len(items) == 80
    assert items[3] == RllaItem(**{k: raw[3]["extra_info"][k] for k in ("instruction", "input", "output")})
    assert items[3].output == raw[3]["reward_model"]["ground_truth"]


@pytest.mark.parametrize("suffix", [".json", ".jsonl", ".parquet"])
def test_read_rlla_file_forms(tmp_path: Path, suffix: str) -> None:
    rows = [{"instruction": "s", "input": "u", "output": "<think>t</think>"}] * 2
    path = tmp_path / f"items{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(rows))
    elif suffix == ".jsonl":
        path.write_text("\n".join(json.dumps(r) for r in rows))
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path)
    assert read_rlla(path) == [RllaItem("s", "u", "<think>t</think>")] * 2


def test_read_rlla_save_to_disk_folder(tmp_path: Path) -> None:
    import datasets

    rows = [{"prompt": ITEM.prompt(), "ground_truth": ITEM.output}]
    datasets.DatasetDict(train=datasets.Dataset.from_list(rows)).save_to_disk(str(tmp_path / "ds"))
    assert read_rlla(tmp_path / "ds", split="train") == [ITEM]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("items.txt", "unsupported file type"),
        ("bad.json", "row 0: not an rlla row"),
        ("empty.json", "no rlla rows"),
    ],
)
def test_read_rlla_errors_name_the_problem(tmp_path: Path, source: str, message: str) -> None:
    (tmp_path / "items.txt").write_text("x")
    (tmp_path / "bad.json").write_text(json.dumps([{"question": "q"}]))
    (tmp_path / "empty.json").write_text("[]")
    with pytest.raises(ValueError, match=message):
        read_rlla(tmp_path / source)


def test_missing_local_source_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        read_rlla(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (CALL_OUT, [GoldCall(name="Get Weather", arguments={"city": ["Paris"]}), GoldCall(name="Get Time")]),
        ("<think> t </think>\n<response> Hello </response>", []),
    ],
)
def test_gold_calls(output: str, expected: list[GoldCall]) -> None:
    assert gold_calls(output) == expected


def test_with_gold_names_renames_only_changed_calls() -> None:
    renamed = with_gold_names(CALL_OUT, ["GW", "Get Time"])
    assert renamed.splitlines()[0] == CALL_OUT.splitlines()[0]  # thought untouched
    assert renamed.splitlines()[2] == '{"name": "GW", "parameters": {"city": "Paris"}}'
    assert renamed.splitlines()[3] == CALL_OUT.splitlines()[3]
    assert with_gold_names(CALL_OUT, ["Get Weather", "Get Time"]) == CALL_OUT
    with pytest.raises(ValueError, match="cannot rename"):
        with_gold_names(CALL_OUT, ["only one"])


def test_to_sample_fields() -> None:
    sample = to_sample(ITEM, sample_id("train", 3))
    assert sample.id == "toolrl__train_3"
    assert sample.source == "apibank" and sample.output_format == "tool_call_json"
    assert sample.tool_names == ["Get Weather", "Get Time", "**Think"]
    assert sample.messages[0].content == ITEM.input
    assert sample.golden_answers == [GoldAnswer(calls=gold_calls(CALL_OUT))]


def test_round_trip_is_identity_on_the_real_items(sources_dir: Path) -> None:
    for split, path in (("train", SFT), ("test", TEST)):
        for index, item in enumerate(read_rlla(sources_dir / path, split=split)):
            assert from_sample(to_sample(item, sample_id(split, index)), item) == item


def test_from_sample_follows_renamed_tools_and_query() -> None:
    sample = to_sample(ITEM, "toolrl__train_0")
    tools = [t.model_copy(update={"name": "GW"}) if t.name == "Get Weather" else t for t in sample.tools]
    gold = [GoldAnswer(calls=[GoldCall(name="GW", arguments={"city": ["Paris"]}), GoldCall(name="Get Time")])]
    messages = [sample.messages[0].model_copy(update={"content": ITEM.input + " Thanks!"})]
    changed = sample.model_copy(update={"tools": tools, "golden_answers": gold, "messages": messages})
    back = from_sample(changed, ITEM)
    assert "1. Name: GW\n" in back.instruction and "Name: Get Weather" not in back.instruction
    assert back.input.endswith("Thanks!")
    assert '{"name": "GW", "parameters": {"city": "Paris"}}' in back.output
    assert item_from_row({"prompt": back.prompt(), "ground_truth": back.output}) == back
