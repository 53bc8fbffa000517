"""The prompt codecs: byte-exact round trips on the real upstream prompts, and ``with_tools``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from robustbench_tc.formats import (
    THINK_TOOL_NAME,
    FormatError,
    parse_tools,
    react,
    render_system_prompt,
    replace_tools,
    to_json_schema,
    to_source_schema,
    toolrl,
    with_tools,
)
from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample, Tool

APIBANK = "apibank/benchmarks/API-Bank/level-{}-api_processed.json"


def _upstream_prompts(sources: Path, name: str) -> list[str]:
    if name.startswith("apibank"):
        return [r["system"] for r in json.loads((sources / APIBANK.format(name[-1])).read_text())]
    if name == "rlla_sft":
        return [
            r["instruction"]
            for r in json.loads((sources / "toolrl/dataset/rlla_4k_raw/rlla_sft.json").read_text())
        ]
    if name == "rlla_test":
        import pyarrow.parquet as pq

        rows = pq.read_table(sources / "toolrl/dataset/rlla_4k/test.parquet").to_pylist()
        return [r["prompt"][0]["content"] for r in rows]
    path = {
        "rotbench": "rotbench/Data/First_Turn/clean.json",
        "tooleyes": "tooleyes/Test_Data/scenario_data_zero_processed.json",
    }[name]
    return [r["conversations"][0]["value"] for r in json.loads((sources / path).read_text())]


@pytest.mark.parametrize(
    ("name", "codec", "count"),
    [
        ("apibank1", toolrl, 399),
        ("apibank2", toolrl, 67),
        ("apibank3", toolrl, 131),
        ("rlla_sft", toolrl, 400),
        ("rlla_test", toolrl, 80),
        ("rotbench", react, 105),
        ("tooleyes", react, 382),
    ],
)
def test_rendering_the_parsed_tools_reproduces_every_upstream_prompt(sources_dir, name, codec, count):
    prompts = _upstream_prompts(sources_dir, name)
    assert len(prompts) == count
    for prompt in prompts:
        tools = codec.parse_tools(prompt)
        again = codec.replace_tools(prompt, tools)
        assert again == prompt
        assert codec.parse_tools(again) == tools


def test_apibank_tools_include_think_last_with_the_paper_description(sources_dir):
    prompt = _upstream_prompts(sources_dir, "apibank1")[101]
    tools = parse_tools("apibank", prompt)
    assert [t.name for t in tools] == ["ModifyAlarm", "GetUserToken", "AddAgenda", THINK_TOOL_NAME]
    assert tools[-1].description == "** Recall relevant context and analyze the current user goal."
    token = tools[0].properties["token"]
    assert token == {"type": "string", "x-source-type": "str", "description": "User's token."}
    assert [t.name for t in toolrl.parse_tools(prompt, include_think=False)][-1] == "AddAgenda"


def test_level3_inline_layout_is_read_and_kept(sources_dir):
    prompt = _upstream_prompts(sources_dir, "apibank3")[26]
    tools = parse_tools("apibank", prompt)
    assert [t.name for t in tools] == ["OrganizationMembers", THINK_TOOL_NAME]
    renamed = replace_tools("apibank", prompt, [tools[0].model_copy(update={"name": "OrgMembers"}), tools[1]])
    assert "\n1. OrgMembers: API to retrieve" in renamed


def test_think_position_and_paraphrase_reach_tools_and_the_steps_line(sources_dir):
    prompt = _upstream_prompts(sources_dir, "apibank2")[11]
    tools = parse_tools("apibank", prompt)
    think = tools[-1].model_copy(update={"description": "** Remember the context and study the user's aim."})
    shuffled = [think, *tools[:-1]]
    new = replace_tools("apibank", prompt, shuffled)
    assert "1. **Think:** Remember the context and study the user's aim.\n" in new
    assert "Name: **Think" not in new  # never rendered as an Available Tools entry
    # a paraphrase that lost the "** " lead-in still renders as the same Steps markup
    bare = replace_tools("apibank", prompt, [tools[0], think.model_copy(update={"description": "Recall."})])
    assert "1. **Think:** Recall.\n" in bare
    # duplicates of real tools are rendered and renumbered
    dup = replace_tools("apibank", prompt, [tools[0], tools[0], tools[-1]])
    assert "1. Name: GetToday" in dup and "2. Name: GetToday" in dup


@pytest.mark.parametrize(
    ("source", "marker"),
    [("bfcl_v3", "[func_name1(param=value"), ("toolalpaca", "Action Input:")],
)
def test_own_prompts_render_parse_and_keep_source_spelling(source, marker):
    bfcl_params = {
        "type": "dict",
        "properties": {"x": {"type": "float", "description": "X."}, "v": {"type": "any"}},
        "required": ["x"],
    }
    tools = [Tool(name="math.f", description="F.", parameters=to_json_schema(bfcl_params))]
    prompt = render_system_prompt(source, tools)
    assert marker in prompt
    assert json.dumps(bfcl_params) in prompt  # the source spelling is what the model sees
    assert parse_tools(source, prompt) == tools
    assert to_source_schema(tools[0].parameters) == bfcl_params


@pytest.mark.parametrize("source", ["apibank", "rotbench", "tooleyes"])
def test_upstream_prompt_sources_need_the_base_prompt(source):
    with pytest.raises(FormatError, match="base_prompt"):
        render_system_prompt(source, [Tool(name="x")])


@pytest.mark.parametrize(
    ("source", "prompt", "message"),
    [
        ("apibank", "no tools here", "Available Tools"),
        (
            "apibank",
            "**Available Tools**\nx\n1. Name: A\nDescription: d\nParameters: [1]\n\n**Steps for Each Turn**\n",
            "expected a dict",
        ),
        (
            "apibank",
            "**Available Tools**\nx\n1. Name: A\nDescription: d\nParameters: {oops\n\n**Steps for Each Turn**\n",
            "unreadable Parameters",
        ),
        ("rotbench", "nothing", "access of the following tools"),
        ("rotbench", 'access of the following tools:\n[{"nam": 1}]', "expected a dict with a 'name'"),
        ("tooleyes", "access of the following tools:\n[{", "not valid JSON"),
        ("toolbench", "x", "unknown source"),
    ],
)
def test_bad_prompts_fail_with_a_reason(source, prompt, message):
    with pytest.raises(FormatError, match=message):
        parse_tools(source, prompt)


def _sample(source: str, prompt: str, tools: list[Tool]) -> Sample:
    fmt = {"bfcl_v3": "bfcl_ast", "apibank": "tool_call_json"}.get(source, "react")
    return Sample(
        id=f"{source}__x",
        source=source,
        system_prompt=prompt,
        tools=tools,
        messages=[Message(role="user", content="q")],
        output_format=fmt,
        golden_answers=[GoldAnswer(calls=[GoldCall(name=tools[0].name)])],
    )


@pytest.mark.parametrize("name", ["apibank1", "apibank3", "rotbench", "tooleyes"])
def test_with_tools_rerenders_only_the_tool_block(sources_dir, name):
    source = name.rstrip("13")
    prompt = _upstream_prompts(sources_dir, name)[0]
    tools = parse_tools(source, prompt)
    sample = _sample(source, prompt, tools)
    extra = Tool(
        name="Zz_distractor",
        description="A distractor.",
        parameters={"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
    )
    new = with_tools(sample, [extra, *reversed(tools)])
    assert sample.system_prompt == prompt and sample.tools == tools  # the input is untouched
    assert new.tools[0] == extra and "Zz_distractor" in new.system_prompt
    assert new.system_prompt.split("Zz_distractor")[0].startswith(prompt[:60])
    reparsed = parse_tools(source, new.system_prompt)
    if source == "apibank":  # Think keeps its Steps position; the rest keeps the given order
        # (the ToolRL layout has no `required` list, so only names and descriptions survive)
        expected = [t for t in new.tools if t.name != THINK_TOOL_NAME] + [tools[-1]]
        assert [(t.name, t.description) for t in reparsed] == [(t.name, t.description) for t in expected]
    else:
        assert [t.name for t in reparsed] == new.tool_names
    assert with_tools(sample, tools).system_prompt == prompt


def test_with_tools_renders_own_prompts_from_scratch_when_missing():
    tools = [Tool(name="getRandomCat", description="Get random cat")]
    sample = _sample("toolalpaca", "", tools)
    assert parse_tools("toolalpaca", with_tools(sample, tools).system_prompt) == tools
    assert with_tools(_sample("rotbench", "", tools), tools).system_prompt == ""
