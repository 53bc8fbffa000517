"""The benchmark sources as ONE table: everything the project knows about each upstream benchmark.

Every part reads this table: the builder (label, output format, paper counts), the prompt codecs
and perturbations (codec, own prompt, meta-tools, gold-tool policy), the parser (variant order),
the scorer (scorer, nested gold values), the oracle (output format), and the harness (user-turn
suffix, observation turn).  A new source is one ``SourceInfo`` passed to ``register_source`` (see
docs/ARCHITECTURE.md, "Adding a benchmark source"); nothing else lists sources.

>>> [s.name for s in sources()]
['bfcl_v3', 'apibank', 'rotbench', 'toolalpaca', 'tooleyes']
>>> get_source("rotbench").user_turn_suffix
'\\nBegin!\\n'
>>> get_source("toolalpaca").parser_order[:3]
('react', 'toolalpaca', 'bfcl_ast')
>>> sum(s.paper_clean for s in sources())
199
>>> get_source("rotbnech")
Traceback (most recent call last):
...
KeyError: "unknown source 'rotbnech'; did you mean 'rotbench'? (known: bfcl_v3, apibank, rotbench, toolalpaca, tooleyes)"
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from robustbench_tc.registry import Registry

META_TOOLS: tuple[str, ...] = ("ask_to_user", "finish")
"""The ReAct meta-tools of RoTBench and ToolEyes, in the order their prompts list them (last)."""

NOT_GIVEN = "None"
"""What RoTBench's gold writes for an optional argument the call leaves out."""

PAPER_ORDER: tuple[str, ...] = (
    "bfcl_ast",
    "tool_call_xml",
    "react",
    "toolalpaca",
    "json_blob",
    "python_call",
)
"""Appendix I's parser variants in the paper's order; a source's own variants are tried first."""


@dataclass(frozen=True)
class SourceInfo:
    """One row of the source table."""

    name: str
    """The id prefix of the paper's convention and the ``Sample.source`` value."""
    label: str
    """How the dataset card names the source and its slice."""
    output_format: str
    """The canonical output format (``Sample.output_format``; the oracle renders in it)."""
    codec: Any
    """The prompt codec: a module (or its dotted path) with ``parse_tools(prompt)`` and
    ``replace_tools(prompt, tools)``, plus ``render_system_prompt(tools)`` when ``own_prompt``."""
    scorer: Any
    """The strict scorer: a ``scoring.SourceScorer`` or ``"module:ATTR"`` naming one."""
    first_variants: tuple[str, ...]
    """Parser variants tried first (the source's own format); the rest follow in ``PAPER_ORDER``."""
    paper_clean: int
    """Clean samples of this source in the paper (Table 3)."""
    paper_avg_tools: float
    """Mean candidate tools per clean sample in the paper (Table 3)."""
    own_prompt: bool = False
    """The system prompt is written by this project (rendered from scratch), not upstream text."""
    meta_tools: tuple[str, ...] = ()
    """Tools that are protocol, not real tools: kept last and never perturbed or used as GT."""
    single_gold_tool: bool = True
    """Dup and Reward types need one GT tool; False skips them for every sample (paper §4.3)."""
    user_turn_suffix: str = ""
    """What the source's own user turn ends with; the dataset stores the bare query and the
    harness adds this back in prompt mode."""
    observation_turn: tuple[str, str] = ("user", "Observation: {error}")
    """``(role, template)`` of the turn that carries a tool's result (transition faults)."""
    nested_gold_values: bool = False
    """Gold values may be nested possible-answer dicts (BFCL): the oracle collapses them."""
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    @property
    def parser_order(self) -> tuple[str, ...]:
        order = self._cache.get("parser_order")
        if order is None:
            order = (*self.first_variants, *(v for v in PAPER_ORDER if v not in self.first_variants))
            self._cache["parser_order"] = order
        return order

    def codec_module(self) -> Any:
        return self._resolve("codec")

    def scorer_object(self) -> Any:
        return self._resolve("scorer")

    def _resolve(self, attr: str) -> Any:
        if attr not in self._cache:
            value = getattr(self, attr)
            if isinstance(value, str):
                module, _, name = value.partition(":")
                value = importlib.import_module(module)
                value = getattr(value, name) if name else value
            self._cache[attr] = value
        return self._cache[attr]


SOURCES: Registry[SourceInfo] = Registry("source")


def register_source(info: SourceInfo) -> SourceInfo:
    """Add a source to the table (at import time, or at run time for a plugin or a test)."""
    return SOURCES.register(info.name, info)


def get_source(name: object) -> SourceInfo:
    """The row of ``name`` (unknown names raise ``KeyError`` suggesting close ones)."""
    return SOURCES.get(str(name))


def sources() -> Iterator[SourceInfo]:
    """Every row, in table order."""
    return (SOURCES.get(name) for name in SOURCES)


def source_names() -> list[str]:
    return SOURCES.names()


def is_meta_tool(source: object, tool_name: str) -> bool:
    """Whether ``tool_name`` is one of the source's meta-tools."""
    return tool_name in get_source(source).meta_tools


_REACT = "robustbench_tc.formats.react"
for _row in (
    SourceInfo(
        name="bfcl_v3",
        label="BFCL V3 (single-turn `multiple`)",
        output_format="bfcl_ast",
        codec="robustbench_tc.formats.bfcl",
        scorer="robustbench_tc.scoring.bfcl:SCORER",
        first_variants=("bfcl_ast",),
        paper_clean=32,
        paper_avg_tools=2.8,
        own_prompt=True,
        observation_turn=("tool", "{error}"),  # BFCL appends execution results as tool messages
        nested_gold_values=True,
    ),
    SourceInfo(
        name="apibank",
        label="API-Bank (ToolRL-processed)",
        output_format="tool_call_json",
        codec="robustbench_tc.formats.toolrl",
        scorer="robustbench_tc.scoring.apibank:SCORER",
        first_variants=("tool_call_xml",),
        paper_clean=74,
        paper_avg_tools=3.1,
        observation_turn=("user", "<obs> {error} </obs>"),  # ToolRL / API-Bank dialogue tags
    ),
    SourceInfo(
        name="rotbench",
        label="RoTBench (First_Turn clean)",
        output_format="react",
        codec=_REACT,
        scorer="robustbench_tc.scoring.rotbench:SCORER",
        first_variants=("react",),
        paper_clean=21,
        paper_avg_tools=7.8,
        meta_tools=META_TOOLS,
        user_turn_suffix="\nBegin!\n",  # RoTBench First_Turn: every upstream user turn is query + this
    ),
    SourceInfo(
        name="toolalpaca",
        label="ToolAlpaca (eval_real)",
        output_format="react",
        codec="robustbench_tc.formats.toolalpaca",
        scorer="robustbench_tc.scoring.toolalpaca:SCORER",
        first_variants=("react", "toolalpaca"),
        paper_clean=21,
        paper_avg_tools=3.5,
        own_prompt=True,
    ),
    SourceInfo(
        name="tooleyes",
        label="ToolEyes (zero-shot)",
        output_format="react",
        codec=_REACT,
        scorer="robustbench_tc.scoring.tooleyes:SCORER",
        first_variants=("react",),
        paper_clean=51,
        paper_avg_tools=6.3,
        meta_tools=META_TOOLS,
        single_gold_tool=False,
    ),
):
    register_source(_row)
