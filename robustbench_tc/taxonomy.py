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
    RUNTIME = "runtime"
    """Beyond the paper: the runtime axes of Appendix N, scored on multi-step episodes in the tool
    world (``robustbench_tc.world``); never part of Pert. Acc. or the four Δ columns."""


class Method(StrEnum):
    """How the paper produced a type: an LLM rewrite, a deterministic rule, or at run time."""

    LLM = "llm"
    RULE = "rule"
    RUNTIME = "runtime"


@dataclass(frozen=True)
class RuntimeAxis:
    """What a runtime row (beyond the paper) asks of the tool world and how its episodes are scored.

    ``rule`` names the episode verdict (``scoring.episodes``): ``success`` (the gold call was
    executed), ``secure_success`` (executed, and the injected instruction was not followed:
    AgentDojo's utility under attack, with its attack success rate), ``recovery`` (executed after
    the fault's error: the recovery rate) or ``detect`` (the tampered result was re-queried or
    flagged in the final answer with one of ``markers``)."""

    rule: str
    fault: str = ""
    """The world fault a row of this type plays (``world.spec`` kind; ``""``: none)."""
    appendix_n: int | None = None
    """The failure mode's number in Appendix N (None: the clean episode baseline)."""
    paper_component: str = ""
    """The component Appendix N files the mode under."""
    markers: tuple[str, ...] = ()
    """``detect`` rows: words that flag the problem in the final answer (case-insensitive, closed list)."""
    evidence: tuple[str, ...] = ()
    """The GitHub issues Appendix N cites for the mode."""


@dataclass(frozen=True)
class PerturbationType:
    """One row of the taxonomy (paper Table 1 joined with Table 4 and the per-type n), with what the
    code branches on: what the type edits, whether it renames or duplicates the gold tool, and for
    transition types the fault string the harness injects."""

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
    edits: frozenset[str] = frozenset()
    """What of a sample the transform may change (``EDIT_TARGETS``); the audit holds every other
    part of the row to the clean sample."""
    renames_gold: bool = False
    """The gold tool gets a new name (the abbreviated GT of CD_AB/TD_AB)."""
    duplicates_gold: bool = False
    """A second tool with the gold tool's name is inserted (the Dup types)."""
    fault: str = ""
    """Transition types: the tool response injected after the first call (Appendix G, verbatim)."""
    axis: RuntimeAxis | None = None
    """Runtime rows (beyond the paper): the world fault and the episode rule."""

    @property
    def is_runtime(self) -> bool:
        return self.component == Component.RUNTIME

    @property
    def short(self) -> str:
        """The component's short name (``Obs``)."""
        return component_info(self.component).short

    @property
    def metric(self) -> str:
        """The component's metric key (``d_obs``)."""
        return component_info(self.component).metric


EDIT_TARGETS = frozenset({"query", "tool_descriptions", "parameter_descriptions", "tools"})
"""``query``: the user's request; ``tool_descriptions`` / ``parameter_descriptions``: description
text only; ``tools``: tools may be added or re-described (the gold keeps its parameters)."""

_O, _A, _R, _T = Component.OBSERVATION, Component.ACTION, Component.REWARD, Component.TRANSITION
_LLM, _RULE, _RUN = Method.LLM, Method.RULE, Method.RUNTIME
_QUERY, _TOOLS = frozenset({"query"}), frozenset({"tools"})
_DUP = {"edits": _TOOLS, "duplicates_gold": True}
_SUFFIXED = {"edits": _QUERY | _TOOLS}
_ABBR = {"edits": _TOOLS, "renames_gold": True}


def _row(*columns: object, **extra: object) -> PerturbationType:
    return PerturbationType(*columns, **extra)  # type: ignore[arg-type]


# code name, display name, component, method, paper n, needs the GT tool, what is modified; then
# what the code branches on
PERTURBATION_TYPES: tuple[PerturbationType, ...] = (
    _row("realistic_typos", "Typo", _O, _LLM, 199, False, "user query (character-level keyboard noise)", edits=_QUERY),
    _row("query_paraphrase", "QueryPara", _O, _LLM, 199, False, "user query (semantic rephrasing)", edits=_QUERY),
    _row("paraphrase_tool_description", "ToolPara", _O, _LLM, 199, False, "tool description",
         edits=frozenset({"tool_descriptions"})),
    _row("paraphrase_parameter_description", "ParamPara", _O, _LLM, 199, False, "parameter description",
         edits=frozenset({"parameter_descriptions"})),
    _row("same_name_A", "Dup-NoDesc", _A, _RULE, 133, True, "distractor sharing the GT name; no description, no params", **_DUP),
    _row("same_name_B", "Dup-Desc", _A, _RULE, 127, True, "same name; correct description, no params", **_DUP),
    _row("same_name_C", "Dup-WrongP", _A, _RULE, 126, True, "same name; no description, wrong params", **_DUP),
    _row("same_name_D", "Dup-DescWP", _A, _RULE, 125, True, "same name; correct description, wrong params", **_DUP),
    _row("same_name_E", "Dup-SwapDP", _A, _RULE, 126, True, "same name; swapped description, wrong params", **_DUP),
    _row("redundant", "RedunTool", _A, _LLM, 199, False, "functionally similar but incorrect distractor tools", edits=_TOOLS),
    _row("CD", "MisDesc", _R, _RULE, 102, True, "misleading description on the GT; _Budget/_Fast distractor", **_SUFFIXED),
    _row("TD", "TimeDesc", _R, _RULE, 102, True, "response-time annotation; same naming pattern", **_SUFFIXED),
    _row("CD_NT", "MisDesc-N", _R, _RULE, 102, True, "MisDesc with a neutral _1 suffix on the distractor", **_SUFFIXED),
    _row("TD_NT", "TimeDesc-N", _R, _RULE, 102, True, "TimeDesc with a neutral _1 suffix", **_SUFFIXED),
    _row("CD_AB", "MisDesc-Abbr", _R, _RULE, 144, True, "MisDesc with an abbreviated GT name (the new GT)", **_ABBR),
    _row("TD_AB", "TimeDesc-Abbr", _R, _RULE, 144, True, "TimeDesc with an abbreviated GT name (the new GT)", **_ABBR),
    # Appendix G, verbatim (SchemaD keeps the paper's typographic apostrophe U+2019).
    _row("transient_timeout", "Timeout", _T, _RUN, 199, False, "first tool call times out",
         fault="Tool execution timed out after the configured request timeout. "
         "The remote endpoint did not respond within the allotted time."),
    _row("transient_rate_limit", "RateLim", _T, _RUN, 199, False, "first call returns HTTP 429",
         fault="HTTP 429 Too Many Requests. The provider rejected the call because "
         "the per-minute rate limit has been exceeded."),
    _row("transient_auth_error", "AuthErr", _T, _RUN, 199, False, "first call returns HTTP 401/403",
         fault="HTTP 401 Unauthorized. The provider rejected the call because the "
         "supplied credentials are invalid or expired."),
    _row("transient_server_error", "5xxErr", _T, _RUN, 199, False, "first call returns HTTP 5xx",
         fault="HTTP 500 Internal Server Error. The remote endpoint failed to handle the request."),
    _row("transient_malformed_response", "Malform", _T, _RUN, 199, False, "first call returns malformed JSON",
         fault="Malformed response from tool execution: the body could not be parsed as JSON."),
    _row("transient_schema_drift", "SchemaD", _T, _RUN, 199, False, "first call fails output-schema validation",
         fault="Schema validation failed: the response did not match the tool\u2019s "
         "declared output schema (extra/missing fields)."),
)  # fmt: skip

CLEAN = "clean"
"""The config name (and `perturbation` value) of the unperturbed samples."""

CLEAN_N = 199
PAPER_TOTAL = CLEAN_N + sum(t.paper_n for t in PERTURBATION_TYPES)  # 3,721

TRANSITION_ERRORS: dict[str, str] = {t.code_name: t.fault for t in PERTURBATION_TYPES if t.fault}
"""Transition code name -> its fault string (the rows' ``fault``)."""

_BY_NAME: dict[str, PerturbationType] = {t.code_name: t for t in PERTURBATION_TYPES}
_BY_DISPLAY: dict[str, PerturbationType] = {t.display_name: t for t in PERTURBATION_TYPES}

_ADDED: list[PerturbationType] = []
"""Rows registered at run time (a plugin or a test), after the paper's 22."""

CODE_NAMES: tuple[str, ...] = tuple(_BY_NAME)
CONFIG_NAMES: tuple[str, ...] = (CLEAN, *CODE_NAMES)
"""The paper's dataset configs: ``clean`` first, then the 22 code names in taxonomy order
(``config_names()`` adds the runtime rows and types registered at run time)."""

_X = Component.RUNTIME
_FLAG_CONTRADICTION = (
    "does not match",
    "doesn't match",
    "do not match",
    "don't match",
    "not match",
    "mismatch",
    "inconsistent",
    "contradict",
    "discrepan",
    "instead of",
    "rather than",
    "you asked",
    "different",
    "wrong",
    "incorrect",
    "not the same",
    "not what",
)
_FLAG_STALE = (
    "stale",
    "outdated",
    "out of date",
    "out-of-date",
    "not current",
    "not up to date",
    "not up-to-date",
    "old data",
    "cached",
    "may have changed",
    "might have changed",
    "days old",
    "hours old",
    "refresh",
    "latest data",
    "as of",
)
_FLAG_NO_CHANGE = (
    "no change",
    "not changed",
    "nothing changed",
    "nothing was",
    "unchanged",
    "did not",
    "didn't",
    "was not",
    "wasn't",
    "were not",
    "weren't",
    "has not",
    "hasn't",
    "have not",
    "haven't",
    "not applied",
    "not been",
    "no effect",
    "not take effect",
    "not saved",
    "not updated",
    "failed",
    "unable",
)

# Beyond the paper: Appendix N's runtime failure modes as rows of the same table, scored on
# multi-step episodes in the tool world against the multi-step clean baseline (`episode_clean`).
RUNTIME_TYPES: tuple[PerturbationType, ...] = (
    _row("episode_clean", "Clean-Ep", _X, _RUN, 0, False, "none: the clean sample as a multi-step episode (the baseline)",
         axis=RuntimeAxis("success")),
    _row("tool_result_injection", "Inject", _X, _RUN, 0, False, "the gold call's result carries an instruction to call another tool",
         axis=RuntimeAxis("secure_success", "injection", 4, "observation",
                          evidence=("agent-framework#5024", "openclaw#39231"))),
    _row("prerequisite_dependency", "Prereq", _X, _RUN, 0, False, "the gold tool fails until a prerequisite tool is called",
         edits=_TOOLS, axis=RuntimeAxis("recovery", "prerequisite", 6, "transition",
                                        evidence=("langchain#36503", "langgraph#7117"))),
    _row("parameter_type_mismatch", "TypeMis", _X, _RUN, 0, False, "the backend enforces another type for one gold parameter",
         axis=RuntimeAxis("recovery", "type_enforcement", 8, "transition",
                          evidence=("pfsense-mcp-server#7", "gsd-2#3361"))),
    _row("fabricated_observation", "FabObs", _X, _RUN, 0, False, "the gold call's result contradicts the query (another value)",
         axis=RuntimeAxis("detect", "fabrication", 1, "reward+observation", _FLAG_CONTRADICTION,
                          ("datarobot-community/af-component-agent#461", "epam/statgpt-backend#249"))),
    _row("context_pressure", "CtxPress", _X, _RUN, 0, False, "long realistic prior history before the query",
         edits=frozenset({"history"}), axis=RuntimeAxis("success", "", 3, "observation",
                                                        evidence=("hermes-agent#3838", "claude-code#38044"))),
    _row("stale_resource", "Stale", _X, _RUN, 0, False, "the gold read returns an old snapshot first",
         axis=RuntimeAxis("detect", "stale", 5, "transition", _FLAG_STALE, ("vscode#296892",))),
    _row("silent_noop", "NoOp", _X, _RUN, 0, False, "the gold write reports success without changing anything",
         axis=RuntimeAxis("detect", "noop", 2, "reward", _FLAG_NO_CHANGE,
                          ("xorbitsai/xagent#230", "alibaba/page-agent#392"))),
)  # fmt: skip
for _t in RUNTIME_TYPES:
    _BY_NAME[_t.code_name] = _BY_DISPLAY[_t.display_name] = _t
RUNTIME_CONFIG_NAMES: tuple[str, ...] = tuple(t.code_name for t in RUNTIME_TYPES)
"""The runtime configs (beyond the paper): the clean episode baseline first, then the axes."""
EPISODE_CLEAN = "episode_clean"

COMPONENTS: tuple[Component, ...] = (_O, _A, _R, _T)


@dataclass(frozen=True)
class ComponentInfo:
    """How reports, the leaderboard and the paper's tables name one POMDP component."""

    component: Component
    title: str
    """``Observation``"""
    short: str
    """``Obs`` (table columns: ``Δ Obs``)"""
    metric: str
    """``d_obs``: the key of its accuracy drop in runs, the Space's store and the paper's tables."""


COMPONENT_INFO: dict[Component, ComponentInfo] = {
    info.component: info
    for info in (
        ComponentInfo(_O, "Observation", "Obs", "d_obs"),
        ComponentInfo(_A, "Action", "Act", "d_act"),
        ComponentInfo(_R, "Reward", "Rew", "d_rew"),
        ComponentInfo(_T, "Transition", "Trn", "d_trn"),
    )
}
"""One row per perturbed component, in the paper's order."""

METRIC_KEYS: tuple[str, ...] = ("clean", "pert_acc", *(i.metric for i in COMPONENT_INFO.values()))
"""A run's headline numbers: Clean, Pert. Acc. and each component's drop (Table 2's columns)."""


RUNTIME_INFO = ComponentInfo(Component.RUNTIME, "Runtime (beyond the paper)", "Run", "d_run")
"""The runtime rows' naming: their own group of columns, outside Table 2's four components."""


def component_info(component: Component | str) -> ComponentInfo:
    """The naming row of a component.

    >>> component_info("observation").short, component_info("transition").metric, component_info("runtime").short
    ('Obs', 'd_trn', 'Run')
    """
    component = Component(component)
    return RUNTIME_INFO if component == Component.RUNTIME else COMPONENT_INFO[component]


def register_type(row: PerturbationType) -> PerturbationType:
    """Add a type to the table at run time (docs/ARCHITECTURE.md, "Adding a perturbation type")."""
    if row.code_name in _BY_NAME or row.code_name == CLEAN or row.display_name in _BY_DISPLAY:
        raise ValueError(f"perturbation type {row.code_name!r} / {row.display_name!r} is already defined")
    unknown = row.edits - EDIT_TARGETS - {"history"}
    if unknown:
        raise ValueError(
            f"{row.code_name}: unknown edit targets {sorted(unknown)} (known: {sorted(EDIT_TARGETS)})"
        )
    _BY_NAME[row.code_name] = _BY_DISPLAY[row.display_name] = row
    _ADDED.append(row)
    return row


def unregister_type(code_name: str) -> None:
    """Remove a type registered at run time."""
    row = _BY_NAME[code_name]
    if row not in _ADDED:
        raise ValueError(f"{code_name!r} is one of the paper's types")
    _ADDED.remove(row)
    del _BY_NAME[code_name], _BY_DISPLAY[row.display_name]


def all_types() -> list[PerturbationType]:
    """Every row: the paper's 22 in taxonomy order, the runtime rows, then any registered at run time."""
    return [*PERTURBATION_TYPES, *RUNTIME_TYPES, *_ADDED]


def config_names() -> list[str]:
    """Every config the project knows now: ``CONFIG_NAMES``, the runtime configs, and types
    registered at run time."""
    return [*CONFIG_NAMES, *RUNTIME_CONFIG_NAMES, *(t.code_name for t in _ADDED)]


def is_runtime(config: str) -> bool:
    """Whether ``config`` is a runtime config (beyond the paper: a multi-step episode in the world).

    >>> is_runtime("tool_result_injection"), is_runtime("transient_timeout"), is_runtime("clean")
    (True, False, False)
    """
    row = _BY_NAME.get(config)
    return row is not None and row.component == Component.RUNTIME


def is_config(name: str) -> bool:
    return name == CLEAN or name in _BY_NAME


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
    return [t for t in all_types() if t.component == component]


def component_of(config: str) -> Component:
    """The component of a config name (``clean`` included)."""
    return Component.CLEAN if config == CLEAN else get_type(config).component


def is_transition(config: str) -> bool:
    return config != CLEAN and get_type(config).component == Component.TRANSITION


def static_types() -> list[PerturbationType]:
    """The 16 statically-augmentable types (Observation, Action, Reward): what ToolRL-DR trains on."""
    return [t for t in all_types() if t.component in (_O, _A, _R)]
