"""The oracle: every sample's ground truth rendered in its source's canonical output format.

The gold is rendered from the first alternative, with each parameter's first acceptable value
and parameters whose first value is ``""`` (optional) left out; BFCL's nested possible answers
(a dict mapping keys to acceptable lists) are rendered the same way, recursively.  Transition
records get the gold as both passes (``transition_injected=true``).  Scoring the oracle gives
1.000 on every config (the gold round-trip check); it is also the example submission.

>>> from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample, Tool
>>> def sample(fmt, source, args):
...     return Sample(id="x", source=source, messages=[Message(role="user", content="q")],
...                   tools=[Tool(name="f.g")], output_format=fmt,
...                   golden_answers=[GoldAnswer(calls=[GoldCall(name="f.g", arguments=args)])])
>>> print(oracle_output(sample("bfcl_ast", "bfcl_v3", {"a": [1], "b": ["", 2], "c": [{"k": ["v"], "o": [""]}]})))
[f.g(a=1, c={"k": "v"})]
>>> print(oracle_output(sample("tool_call_json", "apibank", {"token": ["t"]})))
<tool_call>
{"name": "f.g", "parameters": {"token": "t"}}
</tool_call>
>>> print(oracle_output(sample("react", "rotbench", {"query": ["Madrid"], "key": ["", "None"]})))
Thought: I will call f.g.
Action: f.g
Action Input: {"query": "Madrid"}
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from robustbench_tc import __version__
from robustbench_tc.predictions import PredictionRecord, RunHeader, write_predictions
from robustbench_tc.records import OPTIONAL, GoldCall, Sample
from robustbench_tc.registry import Registry
from robustbench_tc.sources import get_source
from robustbench_tc.taxonomy import is_runtime, is_transition


def _first(values: list[Any], nested: bool) -> Any:
    value = values[0]
    return _render_value(value, nested)


def _render_value(value: Any, nested: bool) -> Any:
    """A gold value with BFCL nested possible answers collapsed to their first choices."""
    if nested and isinstance(value, dict) and value and all(isinstance(v, list) for v in value.values()):
        return {k: _first(v, nested) for k, v in value.items() if v and v[0] != OPTIONAL}
    if nested and isinstance(value, list):
        return [_render_value(v, nested) for v in value]
    return value


def gold_arguments(call: GoldCall, source: str) -> dict[str, Any]:
    """The call's arguments as the oracle writes them (first acceptable values, optional-first omitted)."""
    nested = get_source(source).nested_gold_values
    return {k: _first(v, nested) for k, v in call.arguments.items() if v and v[0] != OPTIONAL}


def python_literal(value: Any) -> str:
    """A Python literal for BFCL's AST format (strings double-quoted, JSON-style escapes).

    >>> python_literal({"a": [True, None, 1.5, "x"]})
    '{"a": [True, None, 1.5, "x"]}'
    """
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return "None"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f'float("{value}")'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{python_literal(str(k))}: {python_literal(v)}" for k, v in value.items()) + "}"
        )
    raise TypeError(f"cannot render {type(value).__name__} as a Python literal")


Rendered = list[tuple[str, dict[str, Any]]]
"""The gold calls as ``(tool name, arguments)`` pairs."""

ORACLE_RENDERERS: Registry[Callable[[Rendered], str]] = Registry("output format")
"""Output format (a source row's ``output_format``) -> how the oracle writes gold calls in it."""


@ORACLE_RENDERERS.register("bfcl_ast")
def _bfcl_ast(rendered: Rendered) -> str:
    inner = ", ".join(
        f"{name}(" + ", ".join(f"{k}={python_literal(v)}" for k, v in args.items()) + ")"
        for name, args in rendered
    )
    return f"[{inner}]"


@ORACLE_RENDERERS.register("tool_call_json")
def _tool_call_json(rendered: Rendered) -> str:
    lines = [json.dumps({"name": name, "parameters": args}, ensure_ascii=False) for name, args in rendered]
    return "<tool_call>\n" + "\n".join(lines) + "\n</tool_call>"


@ORACLE_RENDERERS.register("react")
def _react(rendered: Rendered) -> str:
    return "\n".join(
        f"Thought: I will call {name}.\nAction: {name}\nAction Input: {json.dumps(args, ensure_ascii=False)}"
        for name, args in rendered
    )


def oracle_output(sample: Sample) -> str:
    """The sample's first gold answer in its canonical output format."""
    calls = sample.golden_answers[0].calls
    rendered = [(c.name, gold_arguments(c, sample.source)) for c in calls]
    if sample.output_format not in ORACLE_RENDERERS:
        raise ValueError(f"sample {sample.id!r}: unknown output format {sample.output_format!r}")
    return ORACLE_RENDERERS.get(sample.output_format)(rendered)


def episode_record(sample: Sample, agent: str = "oracle", step_limit: int | None = None) -> PredictionRecord:
    """A runtime row played by a scripted agent (``world.agents``), as the harness records it."""
    from robustbench_tc.predictions import TrajectoryStep
    from robustbench_tc.world.agents import AGENTS, play
    from robustbench_tc.world.episode import DEFAULT_STEP_LIMIT

    episode = play(sample, AGENTS[agent], step_limit or DEFAULT_STEP_LIMIT)
    return PredictionRecord(
        id=sample.id,
        perturbation=sample.perturbation,
        raw_output=episode.final_output,
        trajectory=[TrajectoryStep(output=s.output, observations=s.observations) for s in episode.steps],
    )


def oracle_records(
    samples: Mapping[str, Sequence[Sample]] | Iterable[Sample],
    agent: str = "oracle",
    step_limit: int | None = None,
) -> list[PredictionRecord]:
    """One oracle record per sample (transition records: both passes are the gold; runtime records:
    the episode ``agent`` plays, by default the scripted oracle)."""
    rows = (s for rows in samples.values() for s in rows) if isinstance(samples, Mapping) else samples
    records = []
    for sample in rows:
        if is_runtime(sample.perturbation):
            records.append(episode_record(sample, agent, step_limit))
            continue
        gold = oracle_output(sample)
        transition = is_transition(sample.perturbation)
        records.append(
            PredictionRecord(
                id=sample.id,
                perturbation=sample.perturbation,
                raw_output=gold,
                first_pass_output=gold if transition else None,
                transition_injected=True if transition else None,
            )
        )
    return records


def oracle_header(
    dataset_fingerprint: str | None = None, agent: str = "oracle", step_limit: int | None = None
) -> RunHeader:
    from robustbench_tc.world.core import WORLD_VERSION

    note = "ground truth rendered in each source's canonical format; scores 1.000 everywhere"
    if agent != "oracle":
        note = f"the gold for the paper's configs; the scripted agent {agent!r} plays the runtime episodes"
    return RunHeader(
        model="oracle" if agent == "oracle" else f"scripted:{agent}",
        engine="oracle",
        mode="prompt",
        dataset_fingerprint=dataset_fingerprint,
        project_version=__version__,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        step_limit=step_limit,
        world_version=WORLD_VERSION if step_limit is not None else None,
        extra={"note": note},
    )


def write_oracle(
    dataset_dir: str | Path, out: str | Path, configs: Iterable[str] | None = None, agent: str = "oracle"
) -> Path:
    """Write the oracle predictions (JSONL with a header) for a built dataset folder; ``agent``
    names the scripted agent that plays the runtime episodes (``world.agents.AGENTS``)."""
    from robustbench_tc.dataset import dataset_fingerprint, load_samples
    from robustbench_tc.world.episode import DEFAULT_STEP_LIMIT

    samples = load_samples(dataset_dir, configs)
    step_limit = DEFAULT_STEP_LIMIT if any(is_runtime(c) for c in samples) else None
    return write_predictions(
        out,
        oracle_records(samples, agent, step_limit),
        header=oracle_header(dataset_fingerprint(dataset_dir), agent, step_limit),
    )
