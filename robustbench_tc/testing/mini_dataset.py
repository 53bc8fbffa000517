"""A small hand-made dataset (3 samples x 4 configs) for harness tests and benchmarks.

No pytest import: benchmarks and the vLLM venv use it too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from robustbench_tc.dataset import config_path
from robustbench_tc.formats import render_system_prompt
from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample, Tool
from robustbench_tc.taxonomy import TRANSITION_ERRORS

MINI_CONFIGS = ("clean", "CD", "transient_timeout", "transient_server_error")


def _tool(name: str, description: str, **props: str) -> Tool:
    return Tool(
        name=name,
        description=description,
        parameters={
            "type": "object",
            "properties": {k: {"type": v, "description": f"The {k}."} for k, v in props.items()},
            "required": list(props),
        },
    )


def mini_samples(config: str) -> list[Sample]:
    """Three samples (one per output format) under ``config``; the transition configs keep the
    clean rows with the fault string, as the built dataset does."""
    weather = _tool("weather.get", "Current weather for a city.", city="string")
    convert = _tool("convert_currency", "Convert an amount.", amount="number", currency="string")
    search = _tool("search_city", "Facts about a city.", query="string")
    if config == "CD":  # a tool-list perturbation stand-in: a cheaper-looking distractor
        weather2 = _tool("weather.get_cheap", "Current weather (cheap).", city="string")
        extra = [weather2]
    else:
        extra = []
    transition_error = TRANSITION_ERRORS.get(config, "")

    def sample(
        id_: str, source: Any, fmt: Any, tools: list[Tool], query: str, gold: GoldCall, system: str
    ) -> Sample:
        return Sample(
            id=id_,
            source=source,
            perturbation=config,
            output_format=fmt,
            system_prompt=system,
            messages=[Message(role="user", content=query)],
            tools=tools,
            golden_answers=[GoldAnswer(calls=[gold])],
            transition_error=transition_error,
        )

    bfcl_tools = [weather, *extra, convert]
    alpaca_tools = [search, *extra]
    apibank_tools = [convert, *extra]
    apibank_system = (
        "You are a dialogue assistant. Tools:\n"
        + "\n".join(
            f"{i + 1}. Name: {t.name}\nDescription: {t.description}" for i, t in enumerate(apibank_tools)
        )
        + '\nAnswer with <tool_call>\n{"name": ..., "parameters": {...}}\n</tool_call>.'
    )
    return [
        sample(
            "bfcl_v3__BFCL_v3_multiple__multiple_1",
            "bfcl_v3",
            "bfcl_ast",
            bfcl_tools,
            "What is the weather in Paris?",
            GoldCall(name="weather.get", arguments={"city": ["Paris"]}),
            render_system_prompt("bfcl_v3", bfcl_tools),
        ),
        sample(
            "apibank__level1_1",
            "apibank",
            "tool_call_json",
            apibank_tools,
            "Convert 10 to EUR please.",
            GoldCall(name="convert_currency", arguments={"amount": ["10"], "currency": ["EUR"]}),
            apibank_system,
        ),
        sample(
            "toolalpaca__Cities__inst0",
            "toolalpaca",
            "react",
            alpaca_tools,
            "Tell me about Madrid.",
            GoldCall(name="search_city", arguments={"query": ["Madrid"]}),
            render_system_prompt("toolalpaca", alpaca_tools),
        ),
    ]


def write_mini_dataset(root: Path, configs: tuple[str, ...] = MINI_CONFIGS, copies: int = 1) -> Path:
    """The mini dataset; ``copies`` > 1 repeats each sample under new ids (for benchmarks)."""
    for config in configs:
        path = config_path(root, config)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as fh:
            for k in range(copies):
                for s in mini_samples(config):
                    if k:
                        query = Message(role="user", content=f"{s.messages[0].content} (case {k})")
                        s = s.model_copy(
                            update={"id": f"{s.id}_{k}", "base_id": f"{s.id}_{k}", "messages": [query]}
                        )
                    fh.write(json.dumps(s.to_row(), ensure_ascii=False) + "\n")
    return root


def score_file(dataset: Path, configs: list[str] | tuple[str, ...], predictions: Path) -> object:
    """Read ``predictions`` with the shared reader (validated against the dataset's keys) and
    score it with the scorer, as ``robustbench-tc score`` does; returns the report."""
    from robustbench_tc.dataset import load_samples
    from robustbench_tc.predictions import read_predictions
    from robustbench_tc.scoring import score_predictions

    samples = load_samples(dataset, configs)
    keys = [s.key for rows in samples.values() for s in rows]
    return score_predictions(samples, read_predictions(predictions, known_keys=keys), n_boot=200)
