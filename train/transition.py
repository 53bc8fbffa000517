"""ToolRL-DR+T: a simulated tool world for retry-aware GRPO rollouts (issue 16).

The benchmark's Transition types (paper §4.1, Appendix G) answer a model's first tool call with one
of six canned faults and score what the model does next. Training sees the same world:

- per training row, ``ToolWorld`` serves the row's tools (read from its ToolRL system prompt with
  the benchmark's own codec, ``robustbench_tc.formats.toolrl``) in the benchmark's tool world
  (``robustbench_tc.world``: the harness and the scorer use the same one);
- the first call of an episode gets one of the six transient faults (``TRANSITION_ERRORS``,
  verbatim) with probability ``fault_probability``; later calls get a plausible success result;
- whether and which fault a row gets is a seeded hash of the row's prompt (``draw_fault``), so
  every completion of a GRPO group (same prompt) sees the same world;
- the fault comes back the way the evaluation harness sends it to a ToolRL-format model: a user turn
  ``<obs> {error} </obs>`` after the model's turn (``OBSERVATION_TEMPLATE``).

``make_rollout_func`` turns this into TRL 1.16's ``rollout_func``: it generates turn 1 with the
trainer's own generation path (transformers or vLLM), appends the observation tokens for episodes
whose first turn made a call and drew a fault, generates the next turn, and returns the token ids
with ``env_mask`` (0 on the observation tokens, so TRL leaves them out of the loss) and a
``trajectory`` per completion, which TRL forwards to the reward functions
(``train.rewards.DRT_REWARD_FUNCS``).

>>> draw_fault("row prompt", 1.0, seed=0) in TRANSITION_ERRORS, draw_fault("row prompt", 0.0, seed=0)
(True, None)
>>> observation("HTTP 500")
'<obs> HTTP 500 </obs>'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from robustbench_tc.gold import GoldRow
from robustbench_tc.parsing import ParsedCall
from robustbench_tc.records import Tool
from robustbench_tc.sources import get_source
from robustbench_tc.taxonomy import CLEAN, TRANSITION_ERRORS
from robustbench_tc.world.core import ToolWorld as CoreWorld
from robustbench_tc.world.spec import TransitionFault

FAULT_CODES: tuple[str, ...] = tuple(TRANSITION_ERRORS)
"""The six transient faults of Appendix G, in taxonomy order."""

CALL_SOURCE = "apibank"
"""The training rows' source for the format-tolerant parser (``train.build_data`` makes them API-Bank
samples in ToolRL's ``tool_call_json`` format)."""


OBSERVATION_ROLE, OBSERVATION_TEMPLATE = get_source(CALL_SOURCE).observation_turn
"""How a tool result reaches a ToolRL-format model: the source table's observation turn for
API-Bank / ToolRL (a user turn ``<obs> {error} </obs>``), which the harness sends the Transition
faults with."""


def observation(text: str) -> str:
    """The user turn that carries a tool result (or fault) back to the model."""
    return OBSERVATION_TEMPLATE.format(error=text)


def made_calls(text: str) -> list[dict[str, Any]]:
    """The tool calls a turn made (``[]``: the model gave up, Appendix L's "omitted").

    The project's one rule, ``robustbench_tc.parsing.made_calls`` (docs/scoring.md, "The model made
    this call"), as the harness applies it to pass 1; when it finds nothing, ToolRL's own reader
    (what the reward scores) still counts: rlla tool names have spaces ("Search Managers"), which the
    shared rule does not take for a tool name (53 of the 346 DR-Full targets with calls, seed 0).

    >>> made_calls('<think>retry</think>\\n<tool_call>\\n{"name": "Search Managers", "parameters": {"a": 1}}\\n</tool_call>')
    [{'name': 'Search Managers', 'arguments': {'a': 1}}]
    >>> made_calls("[f(a=1)]")
    [{'name': 'f', 'arguments': {'a': 1}}]
    >>> made_calls("<think>the tool failed</think>\\n<response>The call f(a=1) timed out, try later.</response>")
    []
    """
    from robustbench_tc.parsing import made_calls as shared_rule
    from train.rewards import predicted_calls

    found = [call.to_json() for call in shared_rule(text, CALL_SOURCE)]
    if found:
        return found
    own = predicted_calls(text) or []
    return [{"name": str(c["name"]), "arguments": c.get("parameters", c.get("arguments", {}))} for c in own]


def _unit_hash(seed: int, key: str, salt: str) -> float:
    digest = hashlib.sha256(f"{seed}\0{salt}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def prompt_key(prompt: str | Sequence[dict[str, Any]]) -> str:
    """A stable text key of a row's prompt (what the fault draw hashes).

    >>> prompt_key([{"role": "user", "content": "hi"}])
    '[{"content": "hi", "role": "user"}]'
    """
    return prompt if isinstance(prompt, str) else json.dumps(list(prompt), sort_keys=True, ensure_ascii=False)


def draw_fault(key: str, probability: float, *, seed: int = 0) -> str | None:
    """The fault a row's first call gets (a ``TRANSITION_ERRORS`` code), or None: a seeded hash of
    the row, so every completion of one GRPO group sees the same world.

    >>> [draw_fault(k, 0.5, seed=0) is None for k in ("a", "b", "c", "d")] == \\
    ...     [draw_fault(k, 0.5, seed=0) is None for k in ("a", "b", "c", "d")]
    True
    """
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"fault probability must lie in [0, 1], got {probability}")
    if _unit_hash(seed, key, "fault?") >= probability:
        return None
    return FAULT_CODES[int(_unit_hash(seed, key, "which") * len(FAULT_CODES)) % len(FAULT_CODES)]


def success_result(call: dict[str, Any], tool_names: Sequence[str]) -> dict[str, Any]:
    """The tool world's answer to ``call`` when no fault is drawn: a success for one of the row's
    tools, the usual "unknown tool" error otherwise (``robustbench_tc.world``, the benchmark's world).

    >>> success_result({"name": "f", "arguments": {"q": "x"}}, ["f"])["status"]
    'success'
    >>> success_result({"name": "g", "arguments": {}}, ["f"])["error"]
    "Tool 'g' not found. Available tools: f"
    """
    answer: dict[str, Any] = json.loads(ToolWorld(list(tool_names)).respond([call]))
    return answer


def _parsed(call: dict[str, Any]) -> ParsedCall:
    arguments = call.get("arguments", {})
    readable = isinstance(arguments, dict)
    return ParsedCall(str(call.get("name")), arguments if readable else {}, readable)


@dataclass
class ToolWorld:
    """One episode's tools: the row's tools in the benchmark's tool world (``robustbench_tc.world``),
    and the fault its first call gets (the world's Appendix G transition fault).

    >>> world = ToolWorld(tool_names=["f"], fault="transient_rate_limit")
    >>> world.respond([{"name": "f", "arguments": {}}]).startswith("HTTP 429")
    True
    >>> json.loads(world.respond([{"name": "f", "arguments": {}}]))["status"]
    'success'
    """

    tool_names: list[str]
    fault: str | None = None
    calls_answered: int = 0
    responses: list[str] = field(default_factory=list)
    key: str = ""
    """What the world's payloads are seeded by (the row's prompt key)."""
    _core: CoreWorld | None = field(default=None, init=False, repr=False)

    def core(self) -> CoreWorld:
        """The benchmark's world for this row, made at the first answer (a rollout may force the
        fault after the draw, before any call)."""
        if self._core is None:
            row = GoldRow(self.key, self.key, CALL_SOURCE, CLEAN, [], [Tool(name=n) for n in self.tool_names])
            # a fault code's Appendix G text (any other string stands for its own text)
            message = TRANSITION_ERRORS.get(self.fault, self.fault) if self.fault is not None else None
            spec = TransitionFault(message=message) if message is not None else None
            # training rows carry names only: no schema to check, and without names any tool is served
            self._core = CoreWorld(row, spec, strict_schema=False, open_registry=not self.tool_names)
        return self._core

    @classmethod
    def for_prompt(
        cls, prompt: str | Sequence[dict[str, Any]], probability: float, *, seed: int = 0
    ) -> ToolWorld:
        """The world of a training row: its system prompt's tools and its seeded fault."""
        from robustbench_tc.formats.toolrl import parse_tools

        system = "" if isinstance(prompt, str) else next(
            (m.get("content") or "" for m in prompt if m.get("role") == "system"), ""
        )  # fmt: skip
        try:
            names = [tool.name for tool in parse_tools(system, include_think=False)]
        except ValueError:  # not a ToolRL prompt: serve any tool the model names
            names = []
        key = prompt_key(prompt)
        return cls(tool_names=names, fault=draw_fault(key, probability, seed=seed), key=key)

    def respond(self, calls: Sequence[dict[str, Any]]) -> str:
        """The text the tools send back for one turn's calls (a fault comes back once for the turn,
        as the harness sends it to a ToolRL-format model)."""
        self.calls_answered += len(calls)
        results = self.core().answer([_parsed(c) for c in calls])
        if results and all(r.status == "transition_fault" for r in results):
            text = results[0].text
        else:
            text = "\n".join(r.text for r in results)
        self.responses.append(text)
        return text


@dataclass(frozen=True)
class TransitionConfig:
    """How DR+T rollouts run (``ScriptArguments.transition_*`` in ``train/grpo.py``)."""

    fault_probability: float = 0.5
    """Share of rows whose first call gets a fault (the DR-Full : transition mix; 0 = DR-Full)."""
    max_turns: int = 2
    """Model turns per episode: 2 = the benchmark's two passes (call, fault, retry)."""
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.fault_probability <= 1.0:
            raise ValueError(f"transition_ratio must lie in [0, 1], got {self.fault_probability}")
        if self.max_turns < 2:
            raise ValueError(f"transition_max_turns must be at least 2, got {self.max_turns}")


@dataclass
class Episode:
    """One completion's trajectory while it is generated."""

    world: ToolWorld
    prompt_ids: list[int]
    completion_ids: list[int] = field(default_factory=list)
    env_mask: list[int] = field(default_factory=list)
    logprobs: list[float] | None = None
    turns: list[str] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    observations: list[str] = field(default_factory=list)

    def trajectory(self) -> dict[str, Any]:
        """What the reward sees (``train.rewards.retry_aware_scores``)."""
        injected = bool(self.observations) and self.world.fault is not None
        return {
            "turns": list(self.turns),
            "calls": list(self.calls),
            "observations": list(self.observations),
            "fault": self.world.fault,
            "fault_injected": injected,
        }


def observation_suffix_ids(tokenizer: Any, text: str, chat_template: str | None = None) -> list[int]:
    """Token ids that follow an assistant turn's end-of-turn token up to the next assistant turn's
    generation prompt, with ``observation(text)`` as the user turn in between (rendered with the
    tokenizer's own chat template on a dummy conversation, as TRL's tool loop does)."""
    kwargs: dict[str, Any] = {"chat_template": chat_template} if chat_template else {}
    dummy = [{"role": "user", "content": "dummy"}, {"role": "assistant", "content": "dummy"}]
    prefix = tokenizer.apply_chat_template(dummy, tokenize=True, return_dict=False, **kwargs)
    full = tokenizer.apply_chat_template(
        [*dummy, {"role": OBSERVATION_ROLE, "content": observation(text)}],
        add_generation_prompt=True,
        tokenize=True,
        return_dict=False,
        **kwargs,
    )
    if isinstance(prefix, dict):  # some tokenizers ignore return_dict=False
        prefix, full = prefix["input_ids"], full["input_ids"]
    eos = tokenizer.eos_token_id
    ends = [i for i, t in enumerate(prefix) if t == eos]
    if ends:
        prefix = prefix[: ends[-1] + 1]
    if list(full[: len(prefix)]) != list(prefix):
        raise ValueError("the chat template does not extend a conversation by appending to it")
    return list(full[len(prefix) :])


Generate = Callable[[list[list[int]], int], tuple[list[list[int]], list[list[float]] | None]]
"""``generate(prompt_ids, num_generations) -> (completion_ids, logprobs or None)``."""


def run_episodes(
    prompts: Sequence[Any],
    prompt_ids: Sequence[list[int]],
    generate: Generate,
    tokenizer: Any,
    config: TransitionConfig,
    *,
    num_generations: int,
    max_completion_length: int,
    chat_template: str | None = None,
    sync: Callable[[int], int] | None = None,
    on_generate: Callable[[int, int], None] | None = None,
    fault: str | Sequence[str] | None = None,
) -> list[Episode]:
    """Generate every episode of one batch, turn by turn (the trainer-independent core of
    ``make_rollout_func``).

    Every rank makes the same generation calls with the same number of prompts, whatever its
    faults (each one is a collective under ZeRO-3; ``train.parity``): before a later turn,
    ``sync(n)`` returns the largest number of still-running episodes over all ranks; no rank goes
    on when it is 0, otherwise every rank generates that many prompts, its own episodes first and
    then copies of its shortest prompt, whose outputs are dropped (a masked no-op generation).
    ``on_generate(prompts, padding)`` sees each call. ``fault`` gives every episode that fault, or
    episode ``i`` the fault ``fault[i]`` (evaluation under each fault), instead of the seeded draw.
    """
    eos = {tokenizer.eos_token_id, tokenizer.pad_token_id} - {None}
    episodes = [
        Episode(ToolWorld.for_prompt(p, config.fault_probability, seed=config.seed), list(ids))
        for p, ids in zip(prompts, prompt_ids, strict=True)
    ]
    if fault is not None:
        faults = [fault] * len(episodes) if isinstance(fault, str) else list(fault)
        if len(faults) != len(episodes) or not set(faults) <= set(FAULT_CODES):
            raise ValueError(
                f"unknown fault in {sorted(set(faults))} or not one per episode: {', '.join(FAULT_CODES)}"
            )
        for ep, code in zip(episodes, faults, strict=True):
            ep.world.fault = code
    no_op = min((list(ids) for ids in prompt_ids), key=len, default=[])
    active = list(range(len(episodes)))
    n = num_generations
    for turn in range(config.max_turns):
        width = len(active) if turn == 0 or sync is None else sync(len(active))
        if width == 0:
            break
        inputs = [episodes[i].prompt_ids + episodes[i].completion_ids for i in active]
        padding = width - len(active)
        if on_generate is not None:
            on_generate(width, padding)
        new_ids, new_logprobs = generate(inputs + [list(no_op)] * padding, n)
        n = 1  # after turn 1 every episode has its own history
        still = []
        for k, i in enumerate(active):
            ep = episodes[i]
            ids = list(new_ids[k])[: max(0, max_completion_length - len(ep.completion_ids))]
            ep.completion_ids += ids
            ep.env_mask += [1] * len(ids)
            if new_logprobs is not None:
                ep.logprobs = (ep.logprobs or []) + list(new_logprobs[k][: len(ids)])
            text = tokenizer.decode(ids, skip_special_tokens=True)
            calls = made_calls(text)
            ep.turns.append(text)
            ep.calls.append(len(calls))
            ended = bool(ids) and ids[-1] in eos
            # Only a fault starts a second turn: without one the episode is ToolRL's single turn.
            goes_on = calls and ended and turn + 1 < config.max_turns and ep.world.fault is not None
            if not goes_on:
                continue
            text_back = ep.world.respond(calls)
            suffix = observation_suffix_ids(tokenizer, text_back, chat_template)
            if len(ep.completion_ids) + len(suffix) >= max_completion_length:
                continue  # no room left for another turn
            ep.observations.append(text_back)
            ep.completion_ids += suffix
            ep.env_mask += [0] * len(suffix)
            if ep.logprobs is not None:
                ep.logprobs += [0.0] * len(suffix)
            still.append(i)
        active = still
    return episodes


class DRTRollout:
    """TRL's ``rollout_func(prompts, trainer)`` for DR+T rollouts.

    ``prompts`` is this process's slice of the batch, each prompt already repeated
    ``num_generations`` times by TRL's sampler; generation goes through the trainer's own path
    (``use_vllm`` or transformers), so vLLM weight syncing and sampling settings are TRL's. The
    turn count is agreed across ranks (``run_episodes``); ``ledger`` records this rank's
    generation calls for ``train.parity.check_parity``.
    """

    def __init__(self, config: TransitionConfig) -> None:
        from train.parity import GenerationLedger

        self.config = config
        self.ledger = GenerationLedger()

    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, Any]:
        from train.parity import max_over_ranks

        mode = "train" if trainer.model.training else "eval"
        num_generations = trainer.num_generations if mode == "train" else trainer.num_generations_eval
        prompt_ids, _, _ = trainer._tokenize_prompts(prompts)

        def generate(ids: list[list[int]], n: int) -> tuple[list[list[int]], list[list[float]] | None]:
            out, logprobs = trainer._generate_single_turn(ids, None, {}, n)
            return [list(map(int, o)) for o in out], logprobs

        episodes = run_episodes(
            prompts,
            [list(map(int, p)) for p in prompt_ids],
            generate,
            trainer._tokenizer,
            self.config,
            num_generations=num_generations,
            max_completion_length=trainer.max_completion_length,
            chat_template=trainer.chat_template,
            sync=max_over_ranks(trainer.accelerator),
            on_generate=lambda width, padding: self.ledger.record(mode, width, padding),
        )
        logprobs = [e.logprobs for e in episodes]
        injected = [e for e in episodes if e.world.fault is not None and e.observations]
        trainer._metrics[mode]["transition/fault_injected_frac"].append(len(injected) / max(1, len(episodes)))
        return {
            "prompt_ids": [e.prompt_ids for e in episodes],
            "completion_ids": [e.completion_ids for e in episodes],
            "logprobs": None if any(lp is None for lp in logprobs) else logprobs,
            "env_mask": [e.env_mask for e in episodes],
            "trajectory": [e.trajectory() for e in episodes],
        }


def make_rollout_func(config: TransitionConfig) -> DRTRollout:
    """TRL's ``rollout_func`` for DR+T rollouts (a ``DRTRollout``)."""
    return DRTRollout(config)
