"""The text generators behind the LLM-type perturbations, behind one interface.

Typo, QueryPara, ToolPara, ParamPara, RedunTool and the description rewrite of the MisDesc /
TimeDesc family ask a ``Generator`` for a ``Task``'s output.  Two implementations:

* ``rules`` (default): deterministic offline rules (``typos``, ``paraphrase``, ``siblings``,
  templates here) so the whole dataset builds without a model;
* ``llm``: any OpenAI-compatible chat endpoint (``perturbations.llm``), prompts in the spirit of
  the paper's Appendix F, every response cached on disk and replayed byte-identically.

Both run every output through ``validate``: an unusable output (empty, unchanged, a gold value
lost, invalid JSON...) is a ``GenerationError`` naming the sample, never a silent copy.

>>> gen = make_generator(GeneratorConfig())
>>> gen.label
'rules'
>>> task = Task("reward_description", "CD", "s1", {"tool_name": "f", "description": "Adds an item.",
...             "dimension": "cost", "figure": "$0.002 per call", "template": 0}, seed=0)
>>> gen.generate(task)["text"]
'Adds an item. Cost: $0.002 per call.'
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any, Literal, Protocol

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.perturbations import paraphrase as para
from robustbench_tc.perturbations.seeding import stable_hash
from robustbench_tc.perturbations.siblings import sibling_tools
from robustbench_tc.perturbations.typos import add_typos
from robustbench_tc.records import Tool

RULES_VERSION = 2
"""Version of the ``rules`` generators' texts: 2 = the phrase tables after the rule review plus
the clause-level rewrites (docs/perturbations.md, "Rule review"); 1 = the first tables."""


@dataclass(frozen=True)
class GeneratorConfig:
    """Which generator writes the LLM-type perturbations (the field help is the CLI help)."""

    kind: Literal["rules", "llm"] = field(
        default="rules",
        metadata={
            "help": "'rules': deterministic offline generators (no model needed); "
            "'llm': an OpenAI-compatible chat endpoint (needs --model)"
        },
    )
    model: str | None = field(
        default=None, metadata={"help": "model name sent to the endpoint (kind=llm), e.g. gpt-5-mini"}
    )
    base_url: str | None = field(
        default=None,
        metadata={"help": "OpenAI-compatible base URL ending in /v1 (default: https://api.openai.com/v1)"},
    )
    api_key_env: str = field(
        default="OPENAI_API_KEY",
        metadata={"help": "environment variable holding the API key (unset: no auth header)"},
    )
    cache_dir: str | None = field(
        default=None,
        metadata={
            "help": "response cache folder; a rebuild replays it byte-identically "
            "(default: ~/.cache/robustbench-tc/llm)"
        },
    )
    max_retries: int = field(
        default=4, metadata={"help": "retries per request on HTTP 429/5xx, timeouts and connection errors"}
    )
    timeout_s: float = field(default=60, metadata={"help": "per-request timeout in seconds"})
    concurrency: int = field(default=8, metadata={"help": "requests in flight at once"})
    backoff_s: float = field(
        default=1.0, metadata={"help": "first retry delay in seconds (doubles at every retry)"}
    )
    temperature: float | None = field(
        default=None, metadata={"help": "sampling temperature sent to the endpoint (default: the server's)"}
    )
    max_tokens: int | None = field(
        default=None, metadata={"help": "completion token limit sent to the endpoint (default: the server's)"}
    )
    fallback: Literal["rules", "fail"] = field(
        default="rules",
        metadata={
            "help": "a row whose every attempt is rejected: 'rules' writes it with the rules generator "
            "(recorded in the row and counted in the report), 'fail' stops the build"
        },
    )

    def __post_init__(self) -> None:
        if self.kind not in ("rules", "llm"):
            raise ValueError(f"generator kind must be 'rules' or 'llm', got {self.kind!r}")
        if self.kind == "llm" and not self.model:
            raise ValueError("the 'llm' generator needs a model name (GeneratorConfig.model / --model)")
        if self.concurrency < 1 or self.max_retries < 0 or self.timeout_s <= 0:
            raise ValueError("concurrency must be >= 1, max_retries >= 0 and timeout_s > 0")
        if self.fallback not in ("rules", "fail"):
            raise ValueError(f"fallback must be 'rules' or 'fail', got {self.fallback!r}")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ValueError("max_tokens must be >= 1")

    def sampling(self) -> dict[str, Any]:
        """The sampling parameters to send (only those set)."""
        return {
            k: v
            for k, v in (("temperature", self.temperature), ("max_tokens", self.max_tokens))
            if v is not None
        }

    @property
    def label(self) -> str:
        """What rows record in ``Sample.generator``: ``rules`` or ``llm:<model>``."""
        return "rules" if self.kind == "rules" else f"llm:{self.model}"

    @staticmethod
    def help() -> dict[str, str]:
        """Field name -> help text (for CLI option help)."""
        return {f.name: f.metadata.get("help", "") for f in fields(GeneratorConfig)}


TaskKind = Literal[
    "typo",
    "query_paraphrase",
    "tool_description",
    "parameter_description",
    "redundant_tools",
    "reward_description",
]


@dataclass(frozen=True)
class Task:
    """One generation request: what to write (``kind``), for which row, from which inputs."""

    kind: TaskKind
    code_name: str
    sample_id: str
    inputs: Mapping[str, Any]
    protect: tuple[str, ...] = ()
    """Strings that must survive unchanged (gold argument values found in the text)."""
    seed: int = 0
    """The row's seed plus the regeneration attempt."""

    def rng(self) -> random.Random:
        """The rules' random stream: fixed by (seed, type, sample id, kind, inputs)."""
        digest = stable_hash([self.seed, self.code_name, self.sample_id, self.kind, dict(self.inputs)])
        return random.Random(int(digest[:16], 16))

    def input_hash(self) -> str:
        return stable_hash([self.kind, dict(self.inputs), list(self.protect), self.seed])


class GenerationError(RobustBenchError, RuntimeError):
    """A generator could not produce a usable output for one sample.  ``transport``: no output
    at all (the endpoint failed or refused the request), as opposed to an unusable output."""

    def __init__(self, task: Task, reason: str, *, transport: bool = False) -> None:
        self.task = task
        self.reason = reason
        self.transport = transport
        super().__init__(f"{task.code_name} / {task.sample_id}: {task.kind}: {reason}")


class Generator(Protocol):
    label: str
    concurrent: bool
    """Whether rows should be generated in parallel threads (I/O-bound generators)."""

    def generate(self, task: Task) -> dict[str, Any]:
        """The task's output (``{"text": ...}`` or ``{"tools": [...]}``), validated."""
        ...


# ----------------------------------------------------------------------------- validation
_DIGITS = re.compile(r"\d+")
_TAGS = re.compile(r"</?[a-z_]+>")


def validate(task: Task, output: Mapping[str, Any]) -> None:
    """Raise ``GenerationError`` if ``output`` is not a usable result for ``task``."""
    kind = task.kind
    if kind == "redundant_tools":
        validate_tools(task, output.get("tools"))
        return
    text = output.get("text")
    if not isinstance(text, str) or not text.strip():
        raise GenerationError(task, "empty response")
    original = str(task.inputs.get("text", task.inputs.get("description", "")))
    if text.strip() == original.strip():
        raise GenerationError(task, "the response is the input text unchanged")
    lost = [v for v in task.protect if v in original and v not in text]
    if lost:
        raise GenerationError(task, f"gold values lost: {lost}")
    # Typos keep every number in place; a query paraphrase may reorder clauses but keeps each
    # number; a description keeps its numbers (a Reward description adds one: the figure).
    before, after = _DIGITS.findall(original), _DIGITS.findall(text)
    if kind == "typo" and before != after:
        raise GenerationError(task, "numbers were changed")
    if kind == "query_paraphrase" and Counter(before) != Counter(after):
        raise GenerationError(task, "numbers were changed")
    if Counter(before) - Counter(after):
        raise GenerationError(task, "numbers were changed")
    if kind in ("typo", "query_paraphrase"):
        if _TAGS.findall(original) != _TAGS.findall(text):
            raise GenerationError(task, "dialogue markup (<user>, <response>, ...) was changed")
        if not 0.5 * len(original) - 20 <= len(text) <= 1.6 * len(original) + 40:
            raise GenerationError(task, "the response length is far from the input's")
    else:
        if "\n" in text and "\n" not in original:
            raise GenerationError(task, "a one-line description became multi-line")
        if kind == "reward_description":
            if task.inputs["figure"] not in text:
                raise GenerationError(task, f"the figure {task.inputs['figure']!r} is missing")
            if len(text) > 3 * len(original) + 160:
                raise GenerationError(task, "the response is far longer than the description")
        elif not 0.3 <= len(text) / len(original) <= 3.0:
            raise GenerationError(task, "the response length is far from the input's")


# Sources use odd names (rlla: "8YJvg...", "Check .netDomain..."): no quotes, brackets or newlines.
_TOOL_NAME = re.compile(r"^[^\s\"'<>(){}\[\],][^\n\"'<>(){}\[\],]{0,99}$")


def validate_tools(task: Task, tools: Any) -> None:
    want = task.inputs["num_tools"]
    if not isinstance(tools, list) or len(tools) != want:
        raise GenerationError(task, f"expected a JSON array of {want} tools, got {str(tools)[:80]!r}")
    taken = {t.lower() for t in task.inputs["taken"]}
    for tool in tools:
        if not isinstance(tool, dict):
            raise GenerationError(task, f"a tool is not an object: {str(tool)[:80]!r}")
        name = tool.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.match(name):
            raise GenerationError(task, f"invalid tool name {name!r}")
        if name.lower() in taken:
            raise GenerationError(task, f"tool name {name!r} already exists")
        taken.add(name.lower())
        if not isinstance(tool.get("description"), str) or not tool["description"].strip():
            raise GenerationError(task, f"tool {name!r} has no description")
        props = (tool.get("parameters") or {}).get("properties")
        if not isinstance(props, dict) or not all(
            isinstance(p, dict) and p.get("type") for p in props.values()
        ):
            raise GenerationError(task, f"tool {name!r} needs typed parameters")


# ----------------------------------------------------------------------------- rules
COST_TEMPLATES = (
    "{desc}Cost: {figure}.",
    "{desc}Pricing: {figure}.",
    "{desc}Each call is billed at {figure}.",
)
TIME_TEMPLATES = (
    "{desc}Average response time: {figure}.",
    "{desc}Typical latency: {figure}.",
    "{desc}Responds in about {figure} on average.",
)


def reward_text(description: str, dimension: str, figure: str, template: int) -> str:
    """The rules' MisDesc/TimeDesc description: the original plus one cost/latency sentence.

    >>> reward_text("Get the user token", "time", "150 ms", 1)
    'Get the user token. Typical latency: 150 ms.'
    """
    templates = COST_TEMPLATES if dimension == "cost" else TIME_TEMPLATES
    desc = description.strip()
    if desc and desc[-1] not in ".!?":
        desc += "."
    return templates[template % len(templates)].format(desc=f"{desc} " if desc else "", figure=figure)


def _frames(inputs: Mapping[str, Any]) -> tuple[str, ...]:
    """Description frames, only when the caller allows them (no other description of the row
    could be rephrased)."""
    return para.DESCRIPTION_FRAMES if inputs.get("allow_frame") else ()


class RulesGenerator:
    """Deterministic offline generator (see the module docstring)."""

    label = "rules"
    concurrent = False

    def generate(self, task: Task) -> dict[str, Any]:
        rng = task.rng()
        inputs = task.inputs
        try:
            if task.kind == "typo":
                text, edits = add_typos(inputs["text"], rng, task.protect)
                out: dict[str, Any] = {"text": text, "edits": edits}
            elif task.kind == "query_paraphrase":
                text, edits = para.rephrase(
                    inputs["text"], "query", rng, task.protect, frames=para.QUERY_FRAMES
                )
                out = {"text": text, "edits": edits}
            elif task.kind == "tool_description":
                text, edits = para.rephrase(
                    inputs["description"],
                    "description",
                    rng,
                    task.protect,
                    acronyms=para.GENERIC_ACRONYMS,
                    frames=_frames(inputs),
                )
                out = {"text": text, "edits": edits}
            elif task.kind == "parameter_description":
                text, edits = para.rephrase(
                    inputs["description"],
                    "parameter",
                    rng,
                    task.protect,
                    param_type=str(inputs.get("param_type", "")),
                    acronyms=para.GENERIC_ACRONYMS,
                    frames=_frames(inputs),
                )
                out = {"text": text, "edits": edits}
            elif task.kind == "reward_description":
                out = {
                    "text": reward_text(
                        inputs["description"], inputs["dimension"], inputs["figure"], inputs["template"]
                    )
                }
            elif task.kind == "redundant_tools":
                tool = Tool.model_validate(inputs["tool"])
                made = sibling_tools(tool, inputs["num_tools"], rng, inputs["taken"], inputs["spelling"])
                out = {"tools": [t.model_dump() for t in made]}
            else:
                raise GenerationError(task, f"unknown task kind {task.kind!r}")
        except ValueError as exc:
            raise GenerationError(task, str(exc)) from exc
        validate(task, out)
        return out


@lru_cache(maxsize=8)
def make_generator(config: GeneratorConfig) -> Generator:
    """The generator for a config (one instance per config, so the LLM client is shared)."""
    if config.kind == "rules":
        return RulesGenerator()
    from robustbench_tc.perturbations.llm import LLMGenerator

    return LLMGenerator(config)
