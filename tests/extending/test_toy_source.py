"""A sixth benchmark source defined only here (a loader, a table row, a scorer) goes through
build -> oracle -> score -> harness prompt rendering with no other change (docs/ARCHITECTURE.md,
"Adding a benchmark source")."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from dataset_builder import build as build_module
from dataset_builder.build import build_dataset
from dataset_builder.manifest import ManifestEntry, load_manifest
from dataset_builder.sources import LOADERS
from robustbench_tc.parsing import parse_tool_calls
from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample, Tool
from robustbench_tc.scoring.base import SourceScorer, any_answer_fits, match_arguments
from robustbench_tc.sources import SOURCES, SourceInfo, register_source

TOY = "toybench"
CONFIGS = [
    "clean",
    "realistic_typos",
    "paraphrase_tool_description",
    "same_name_B",
    "CD",
    "transient_timeout",
]

# -- the toy source's prompt codec: a JSON-lines tool block between two marker lines -------------
BEGIN, END = "<<TOY TOOLS>>", "<<END TOY TOOLS>>"


def _render(tools: list[Tool]) -> str:
    block = "\n".join(json.dumps(t.model_dump(), ensure_ascii=False) for t in tools)
    return f"You are ToyBench's assistant.\n{BEGIN}\n{block}\n{END}\nReply with Action: and Action Input:."


def _parse(prompt: str) -> list[Tool]:
    body = prompt.split(BEGIN + "\n", 1)[1].split("\n" + END, 1)[0]
    return [Tool.model_validate(json.loads(line)) for line in body.splitlines() if line]


def _replace(prompt: str, tools: list[Tool]) -> str:
    head, rest = prompt.split(BEGIN + "\n", 1)
    tail = rest.split("\n" + END, 1)[1]
    block = "\n".join(json.dumps(t.model_dump(), ensure_ascii=False) for t in tools)
    return f"{head}{BEGIN}\n{block}\n{END}{tail}"


CODEC = SimpleNamespace(parse_tools=_parse, replace_tools=_replace, render_system_prompt=_render)


# -- its scorer: exact tool name and exact argument values, call for call -----------------------
def _match(call, gold, tools) -> bool:
    return call.name == gold.name and match_arguments(
        call.arguments, gold.arguments, lambda _p, value, ok: value in ok
    )


SCORER = SourceScorer(
    source=TOY,
    match_call=_match,
    score=lambda calls, answers, tools: any_answer_fits(calls, answers, tools, _match),
    rule="exact name and values (toy)",
)

ROW = SourceInfo(
    name=TOY,
    label="ToyBench (test fixture)",
    output_format="react",
    codec=CODEC,
    scorer=SCORER,
    first_variants=("react",),
    paper_clean=2,
    paper_avg_tools=2.0,
    own_prompt=True,
    user_turn_suffix="\n(toy turn end)",
    observation_turn=("user", "ToyObservation: {error}"),
)


# -- its loader: two samples, no upstream file --------------------------------------------------
def _tool(name: str, description: str, param: str) -> Tool:
    schema = {"type": "object", "properties": {param: {"type": "string", "description": f"The {param}."}}}
    return Tool(name=name, description=description, parameters={**schema, "required": [param]})


TOOLS = [
    _tool("toy_weather", "Look up the current weather of a city.", "city"),
    _tool("toy_stock", "Look up the latest price of a stock ticker.", "ticker"),
]
QUERIES = {
    "toybench__1": ("What is the weather in Lisbon right now?", "toy_weather", {"city": ["Lisbon"]}),
    "toybench__2": ("How much does ACME stock cost today?", "toy_stock", {"ticker": ["ACME"]}),
}


def _load(sources_dir: Path, entries: list[ManifestEntry]) -> list[Sample]:
    out = []
    for entry in entries:
        query, name, arguments = QUERIES[entry.id]
        out.append(
            Sample(
                id=entry.id,
                source=TOY,
                system_prompt=_render(TOOLS),
                messages=[Message(role="user", content=query)],
                tools=TOOLS,
                golden_answers=[GoldAnswer(calls=[GoldCall(name=name, arguments=arguments)])],
                output_format=ROW.output_format,
                generator="upstream",
            )
        )
    return out


LOADER = SimpleNamespace(SOURCE=TOY, FILES=(), load=_load)


@pytest.fixture
def toy_source(monkeypatch):
    register_source(ROW)
    LOADERS.register(TOY, LOADER)
    entries = [*load_manifest(), *(ManifestEntry(id=i, source=TOY, file="") for i in QUERIES)]
    monkeypatch.setattr(build_module, "load_manifest", lambda: entries)
    yield ROW
    LOADERS.unregister(TOY)
    SOURCES.unregister(TOY)


@pytest.fixture
def toy_dataset(toy_source, sources_dir, tmp_path) -> Path:
    out = tmp_path / "dataset"
    build_dataset(sources_dir, out, configs=CONFIGS, progress=False)
    return out


@pytest.mark.slow
def test_a_toy_source_goes_through_build_oracle_score_and_the_harness(toy_dataset, tmp_path):
    from eval_harness.conversation import build_messages, follow_up
    from robustbench_tc.dataset import load_samples
    from robustbench_tc.gold import load_gold
    from robustbench_tc.predictions import read_predictions
    from robustbench_tc.scoring import score_predictions, score_sample
    from robustbench_tc.scoring.oracle import write_oracle

    samples = load_samples(toy_dataset)
    toy = {c: [s for s in rows if s.source == TOY] for c, rows in samples.items()}
    # build: every config has the toy rows (the static types ran on them and passed the audit)
    assert {c: len(rows) for c, rows in toy.items()} == dict.fromkeys(CONFIGS, 2)
    assert all(r.tool_names.count("toy_weather") == 2 for r in toy["same_name_B"] if r.id == "toybench__1")
    assert all(_parse(r.system_prompt) == r.tools for rows in toy.values() for r in rows)
    card = (toy_dataset / "README.md").read_text(encoding="utf-8")
    assert (
        f"| {TOY} |"
        in card.splitlines()[next(i for i, x in enumerate(card.splitlines()) if "| config |" in x)]
    )

    # oracle -> score: 1.000 everywhere, the toy rows included, through the toy scorer
    preds = write_oracle(toy_dataset, tmp_path / "oracle.jsonl")
    report = score_predictions(load_gold(toy_dataset), read_predictions(preds), n_boot=50)
    assert report.configs_scored == CONFIGS and all(c.acc.value == 1.0 for c in report.configs)
    clean = toy["clean"][0]
    assert score_sample(clean, 'Action: toy_weather\nAction Input: {"city": "Lisbon"}').correct == 1.0
    assert score_sample(clean, 'Action: toy_weather\nAction Input: {"city": "Porto"}').correct == 0.0
    assert parse_tool_calls("Action: toy_stock\nAction Input: {}", TOY)[0].name == "toy_stock"

    # harness prompt rendering: the row's prompt, user-turn suffix and observation turn
    messages = build_messages(clean, "prompt")
    assert messages[0] == {"role": "system", "content": clean.system_prompt}
    assert messages[-1]["content"].endswith("(toy turn end)")
    fault = toy["transient_timeout"][0]
    second = follow_up(fault, "prompt", "Action: toy_weather\nAction Input: {}", [], fault.transition_error)
    assert second[-1] == {"role": "user", "content": f"ToyObservation: {fault.transition_error}"}


def test_the_toy_row_is_gone_after_the_fixture():
    assert TOY not in SOURCES and TOY not in LOADERS
