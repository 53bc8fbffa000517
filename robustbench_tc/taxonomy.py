"""The 22 perturbation types of RobustBench-TC as one table of data.

Every component of the project (builder, scorer, harness, Space, training) reads this table;
nothing else lists perturbation types.

>>> get_type("CD_AB").display_name
'MisDesc-Abbr'
>>> get_type("Dup-NoDesc").code_name        # display names resolve too
'same_name_A'
>>> [t.code_name for t in types_of("transition")][:2]
['transient_timeout', 'transient_rate_limit']
>>> sum(t.paper_n for t in PERTURBATION_TYPES)
3522
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from robustbench_tc.registry import unknown_name_message


class Component(StrEnum):
    """The part of the tool-use POMDP that a perturbation touches."""

    CLEAN = "clean"
    OBSERVATION = "observation"
    ACTION = "action"
    REWARD = "reward"
    TRANSITION = "transition"


class Method(StrEnum):
    """How the paper produced a type: an LLM rewrite, a deterministic rule, or at run time."""

    LLM = "llm"
    RULE = "rule"
    RUNTIME = "runtime"


@dataclass(frozen=True)
class PerturbationType:
    """One row of the taxonomy (paper Table 1 joined with Table 4 and the per-type n)."""

    code_name: str
    display_name: str
    component: Component
    method: Method
    paper_n: int
    """Samples of this type in the paper (inferred from Tables 7-14; they sum to 3,522)."""
    needs_gold_tool: bool
    """The type duplicates, renames or re-describes the ground-truth tool (Dup-* and Reward)."""
    modifies: str
    """What is modified, as Table 1 states it."""


_O, _A, _R, _T = Component.OBSERVATION, Component.ACTION, Component.REWARD, Component.TRANSITION
_LLM, _RULE, _RUN = Method.LLM, Method.RULE, Method.RUNTIME

# code name, display name, component, method, paper n, needs the GT tool, what is modified
PERTURBATION_TYPES: tuple[PerturbationType, ...] = tuple(
    PerturbationType(*row)
    for row in [
        ("realistic_typos", "Typo", _O, _LLM, 199, False, "user query (character-level keyboard noise)"),
        ("query_paraphrase", "QueryPara", _O, _LLM, 199, False, "user query (semantic rephrasing)"),
        ("paraphrase_tool_description", "ToolPara", _O, _LLM, 199, False, "tool description"),
        ("paraphrase_parameter_description", "ParamPara", _O, _LLM, 199, False, "parameter description"),
        (
            "same_name_A",
            "Dup-NoDesc",
            _A,
            _RULE,
            133,
            True,
            "distractor sharing the GT name; no description, no params",
        ),
        ("same_name_B", "Dup-Desc", _A, _RULE, 127, True, "same name; correct description, no params"),
        ("same_name_C", "Dup-WrongP", _A, _RULE, 126, True, "same name; no description, wrong params"),
        ("same_name_D", "Dup-DescWP", _A, _RULE, 125, True, "same name; correct description, wrong params"),
        ("same_name_E", "Dup-SwapDP", _A, _RULE, 126, True, "same name; swapped description, wrong params"),
        (
            "redundant",
            "RedunTool",
            _A,
            _LLM,
            199,
            False,
            "functionally similar but incorrect distractor tools",
        ),
        ("CD", "MisDesc", _R, _RULE, 102, True, "misleading description on the GT; _Budget/_Fast distractor"),
        ("TD", "TimeDesc", _R, _RULE, 102, True, "response-time annotation; same naming pattern"),
        ("CD_NT", "MisDesc-N", _R, _RULE, 102, True, "MisDesc with a neutral _1 suffix on the distractor"),
        ("TD_NT", "TimeDesc-N", _R, _RULE, 102, True, "TimeDesc with a neutral _1 suffix"),
        ("CD_AB", "MisDesc-Abbr", _R, _RULE, 144, True, "MisDesc with an abbreviated GT name (the new GT)"),
        ("TD_AB", "TimeDesc-Abbr", _R, _RULE, 144, True, "TimeDesc with an abbreviated GT name (the new GT)"),
        ("transient_timeout", "Timeout", _T, _RUN, 199, False, "first tool call times out"),
        ("transient_rate_limit", "RateLim", _T, _RUN, 199, False, "first call returns HTTP 429"),
        ("transient_auth_error", "AuthErr", _T, _RUN, 199, False, "first call returns HTTP 401/403"),
        ("transient_server_error", "5xxErr", _T, _RUN, 199, False, "first call returns HTTP 5xx"),
        (
            "transient_malformed_response",
            "Malform",
            _T,
            _RUN,
            199,
            False,
            "first call returns malformed JSON",
        ),
        (
            "transient_schema_drift",
            "SchemaD",
            _T,
            _RUN,
            199,
            False,
            "first call fails output-schema validation",
        ),
    ]
)

CLEAN = "clean"
"""The config name (and `perturbation` value) of the unperturbed samples."""

CLEAN_N = 199
PAPER_TOTAL = CLEAN_N + sum(t.paper_n for t in PERTURBATION_TYPES)  # 3,721

# Appendix G, verbatim (SchemaD keeps the paper's typographic apostrophe U+2019).
TRANSITION_ERRORS: dict[str, str] = {
    "transient_timeout": "Tool execution timed out after the configured request timeout. "
    "The remote endpoint did not respond within the allotted time.",
    "transient_rate_limit": "HTTP 429 Too Many Requests. The provider rejected the call because "
    "the per-minute rate limit has been exceeded.",
    "transient_auth_error": "HTTP 401 Unauthorized. The provider rejected the call because the "
    "supplied credentials are invalid or expired.",
    "transient_server_error": "HTTP 500 Internal Server Error. The remote endpoint failed to handle the request.",
    "transient_malformed_response": "Malformed response from tool execution: the body could not be parsed as JSON.",
    "transient_schema_drift": "Schema validation failed: the response did not match the tool\u2019s "
    "declared output schema (extra/missing fields).",
}

_BY_NAME: dict[str, PerturbationType] = {t.code_name: t for t in PERTURBATION_TYPES}
_BY_DISPLAY: dict[str, PerturbationType] = {t.display_name: t for t in PERTURBATION_TYPES}

CODE_NAMES: tuple[str, ...] = tuple(_BY_NAME)
CONFIG_NAMES: tuple[str, ...] = (CLEAN, *CODE_NAMES)
"""Every dataset config: ``clean`` first, then the 22 code names in taxonomy order."""

COMPONENTS: tuple[Component, ...] = (_O, _A, _R, _T)


def get_type(name: str) -> PerturbationType:
    """Look a type up by code name or display name; unknown names suggest close ones."""
    if name in _BY_NAME:
        return _BY_NAME[name]
    if name in _BY_DISPLAY:
        return _BY_DISPLAY[name]
    raise KeyError(unknown_name_message("perturbation type", name, [*_BY_NAME, *_BY_DISPLAY]))


def types_of(component: Component | str) -> list[PerturbationType]:
    """The types of one POMDP component, in taxonomy order."""
    component = Component(component)
    return [t for t in PERTURBATION_TYPES if t.component == component]


def component_of(config: str) -> Component:
    """The component of a config name (``clean`` included)."""
    return Component.CLEAN if config == CLEAN else get_type(config).component


def is_transition(config: str) -> bool:
    return config != CLEAN and get_type(config).component == Component.TRANSITION


def static_types() -> list[PerturbationType]:
    """The 16 statically-augmentable types (Observation, Action, Reward): what ToolRL-DR trains on."""
    return [t for t in PERTURBATION_TYPES if t.component != Component.TRANSITION]
