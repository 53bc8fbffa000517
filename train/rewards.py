"""ToolRL's reward (Qian et al. 2025, "Reward Design") as pure functions, plus TRL wrappers.

The total reward of a completion is ``R = R_format + R_correct``:

- ``R_format`` is 1 when the completion is ``<think>...</think>`` followed by exactly the blocks the
  target output has (``<tool_call>`` and/or ``<response>``), else 0.
- ``R_correct`` lies in [-3, 3]. Calls are read one JSON object per line (split on ``"\\n"``, no
  blank lines) from the first ``<tool_call>`` block. The match score adds the multiset Jaccard of
  tool names and, for each gold call taken in order, the best still-unmatched predicted call of
  the same name: the multiset Jaccard of parameter names plus one point per gold parameter whose
  value is exactly equal. The maximum is ``1 + sum(1 + len(gold parameters))``; the score is
  rescaled linearly to [-3, 3]. A completion without a parseable ``<tool_call>`` block (a line
  that is not JSON, or not an object with a ``name``), or with a call of a gold name lacking a
  ``parameters`` object, gets -3; a target without tool calls gives 0 (ToolRL's default: such
  samples are judged by the format reward only).

The two components are separate TRL reward functions so that ``GRPOTrainer`` logs each one
(``rewards/toolrl_format_reward/mean``, ``rewards/toolrl_correctness_reward/mean``); their weights
are ``GRPOConfig.reward_weights`` (``[1.0, 1.0]`` for ToolRL).

>>> target = '<think>x</think>\\n<tool_call>\\n{"name": "f", "parameters": {"a": "1"}}\\n</tool_call>'
>>> format_score(target, target), correctness_score(target, target)
(1.0, 3.0)
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Hashable, Iterable
from typing import Any

FORMAT_MAX, FORMAT_MIN = 1.0, 0.0
CORRECT_MAX, CORRECT_MIN = 3.0, -3.0

_TOOL_BLOCK = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)

# The completion layouts ToolRL accepts, keyed by (target has <tool_call>, target has <response>).
_LAYOUTS: dict[tuple[bool, bool], re.Pattern[str]] = {
    (True, False): re.compile(r"^<think>.*?</think>\n<tool_call>\n.*?\n</tool_call>$", re.DOTALL),
    (False, True): re.compile(r"^<think>.*?</think>\n<response>.*?</response>$", re.DOTALL),
    (True, True): re.compile(
        r"^<think>.*?</think>\n<tool_call>\n.*?\n</tool_call>\n<response>.*?</response>$", re.DOTALL
    ),
    (False, False): re.compile(r"^<think>.*?</think>$", re.DOTALL),
}


def answer_part(text: str) -> str:
    """What follows the first ``</think>`` (the whole text when there is none).

    >>> answer_part("<think>use <response></think>\\n<response>Hi</response>")
    '\\n<response>Hi</response>'
    """
    end = text.find("</think>")
    return text if end < 0 else text[end + len("</think>") :]


def target_shape(target: str) -> tuple[bool, bool]:
    """Which blocks a target output's answer has: ``(has <tool_call>, has <response>)``.

    >>> target_shape("<think>t</think>\\n<response>Hi</response>")
    (False, True)
    """
    answer = answer_part(target)
    return "<tool_call>" in answer, "<response>" in answer


def format_score(completion: str, target: str) -> float:
    """1.0 when ``completion`` has ToolRL's layout for the target's shape, else 0.0.

    Tags other than ``<think>`` may appear once each; surrounding whitespace is ignored.

    >>> call = '<tool_call>\\n{"name": "f", "parameters": {}}\\n</tool_call>'
    >>> format_score("<think>ok</think>\\n" + call, "<think>t</think>\\n" + call)
    1.0
    >>> format_score(call, "<think>t</think>\\n" + call)          # no <think>
    0.0
    >>> format_score("<think>ok</think>\\n<response>Hi</response>", "<think>t</think>\\n" + call)
    0.0
    >>> format_score("<think>ok</think>\\n" + call + "\\n" + call, "<think>t</think>\\n" + call)
    0.0
    """
    text = completion.strip()
    has_call, has_response = target_shape(target)
    if not _LAYOUTS[(has_call, has_response)].search(text):
        return FORMAT_MIN
    for tag, expected in (("tool_call", has_call), ("response", has_response)):
        if expected and (text.count(f"<{tag}>") != 1 or text.count(f"</{tag}>") != 1):
            return FORMAT_MIN
    return FORMAT_MAX


def block_lines(text: str) -> list[Any] | None:
    """The JSON value of every line of the first ``<tool_call>`` block after ``</think>`` (of the
    whole text when there is no ``</think>``), or None when there is no block or a line is not JSON.

    As in ToolRL, the block is stripped and split on ``"\\n"`` only, and every line must parse: a
    blank line between calls makes the block unparseable.

    >>> block_lines('<tool_call>\\n{"name": "f"}\\n[1]\\n</tool_call>')
    [{'name': 'f'}, [1]]
    >>> block_lines('<tool_call>\\n{"name": "f"}\\n\\n{"name": "g"}\\n</tool_call>') is None
    True
    """
    block = _TOOL_BLOCK.search(answer_part(text))
    if block is None:
        return None
    try:
        return [json.loads(line) for line in block.group(1).strip().split("\n")]
    except ValueError:
        return None


def parse_tool_calls(text: str) -> list[dict[str, Any]] | None:
    """The calls of a target output's ``<tool_call>`` block (``block_lines``), or None.

    Each call must be an object with a string ``name`` and an object ``parameters``. Skipping the
    thought matters for targets whose thought mentions the tag; ToolRL's own RL data has
    placeholder thoughts. Completions are read by the more lenient ``predicted_calls``.

    >>> parse_tool_calls('<tool_call>\\n{"name": "f", "parameters": {"a": 1}}\\n</tool_call>')
    [{'name': 'f', 'parameters': {'a': 1}}]
    >>> parse_tool_calls('<tool_call>\\n{"name": "f"}\\n</tool_call>') is None    # no parameters
    True
    >>> parse_tool_calls("<response>no call</response>") is None
    True
    >>> parse_tool_calls('<think>use <tool_call> tags</think>\\n<tool_call>\\n{"name": "g", "parameters": {}}\\n</tool_call>')
    [{'name': 'g', 'parameters': {}}]
    """
    calls = block_lines(text)
    if calls is None or not all(
        isinstance(call, dict)
        and isinstance(call.get("name"), str)
        and isinstance(call.get("parameters"), dict)
        for call in calls
    ):
        return None
    return calls


def predicted_calls(text: str) -> list[dict[str, Any]] | None:
    """The calls of a completion, read as ToolRL reads them: every line an object with a ``name``
    (of any hashable JSON type), or None. ``parameters`` are checked later, and only for a call
    compared with a gold call of its name (``match_score``).

    >>> predicted_calls('<tool_call>\\n{"name": "h", "arguments": {}}\\n</tool_call>')
    [{'name': 'h', 'arguments': {}}]
    >>> predicted_calls('<tool_call>\\n{"tool": "h"}\\n</tool_call>') is None
    True
    """
    calls = block_lines(text)
    if calls is None or not all(
        isinstance(call, dict) and "name" in call and isinstance(call["name"], Hashable) for call in calls
    ):
        return None
    return calls


def multiset_jaccard(first: Iterable[Hashable], second: Iterable[Hashable]) -> float:
    """Jaccard similarity of two multisets; two empty multisets are identical (1.0).

    >>> multiset_jaccard(["a", "a", "b"], ["a", "b", "c"])
    0.5
    >>> multiset_jaccard([], [])
    1.0
    """
    a, b = Counter(first), Counter(second)
    if a == b:
        return 1.0
    intersection = sum((a & b).values())
    union = sum(a.values()) + sum(b.values()) - intersection
    return intersection / union if union else 0.0


def match_score(gold: list[dict[str, Any]], predicted: list[dict[str, Any]]) -> tuple[float, float]:
    """``(score, maximum)`` of predicted calls against gold calls (see the module docstring).

    Raises ValueError when a predicted call compared with a gold call of its name has no
    ``parameters`` object (ToolRL gives such a completion the minimum).

    >>> gold = [{"name": "f", "parameters": {"a": 1, "b": 2}}]
    >>> match_score(gold, [{"name": "f", "parameters": {"a": 1, "b": 3}}])
    (3.0, 4.0)
    >>> match_score(gold, [{"name": "g", "parameters": {"a": 1, "b": 2}}])
    (0.0, 4.0)
    """
    score = multiset_jaccard([c["name"] for c in gold], [c["name"] for c in predicted])
    maximum = 1.0
    used: set[int] = set()
    for call in gold:
        params = call["parameters"]
        maximum += 1.0 + len(params)
        best, best_index = 0.0, None
        for index, candidate in enumerate(predicted):
            if index in used or candidate["name"] != call["name"]:
                continue
            other = candidate.get("parameters")
            if not isinstance(other, dict):
                raise ValueError(f"predicted call {candidate!r} has no parameters object")
            value = multiset_jaccard(list(params), list(other)) + sum(
                1.0 for key, expected in params.items() if key in other and other[key] == expected
            )
            if value > best:
                best, best_index = value, index
        if best_index is not None:
            used.add(best_index)
            score += best
    return score, maximum


def correctness_score(completion: str, target: str) -> float:
    """ToolRL's correctness reward in [-3, 3] of ``completion`` against the ``target`` output.

    >>> gold = '<think>t</think>\\n<tool_call>\\n{"name": "f", "parameters": {"a": 1, "b": 2}}\\n</tool_call>'
    >>> correctness_score('<tool_call>\\n{"name": "f", "parameters": {"a": 1, "b": 3}}\\n</tool_call>', gold)
    1.5
    >>> correctness_score("<think>t</think>\\n<response>done</response>", gold)
    -3.0
    >>> correctness_score("anything", "<think>t</think>\\n<response>Hello</response>")
    0.0
    """
    gold = parse_tool_calls(target)
    if gold is None:
        if target_shape(target)[0]:
            raise ValueError(f"target output has an unparseable <tool_call> block: {target!r}")
        return 0.0
    predicted = predicted_calls(completion)
    if predicted is None:
        return CORRECT_MIN
    try:
        score, maximum = match_score(gold, predicted)
    except ValueError:
        return CORRECT_MIN
    return CORRECT_MIN + (CORRECT_MAX - CORRECT_MIN) * score / maximum


def completion_text(completion: str | list[dict[str, Any]]) -> str:
    """The text of a TRL completion: a string (standard format) or a one-message list
    (conversational). Tool calls a tokenizer's response parser moved out of the content are put
    back as a ``<tool_call>`` block so that the reward sees what the model wrote.

    >>> completion_text([{"role": "assistant", "content": "<think>x</think>"}])
    '<think>x</think>'
    >>> bad = {"function": {"name": "f", "arguments": "{oops"}}
    >>> correctness_score(completion_text([{"content": "<think>x</think>", "tool_calls": [bad]}]),
    ...                   '<think>t</think>\\n<tool_call>\\n{"name": "f", "parameters": {}}\\n</tool_call>')
    -3.0
    """
    if isinstance(completion, str):
        return completion
    message = completion[-1]
    text = message.get("content") or ""
    calls = message.get("tool_calls") or []
    if calls:
        lines = []
        for call in calls:
            fn = call.get("function", call)
            args = fn.get("arguments", {})
            if isinstance(args, str):
                try:
                    args = json.loads(args)
                except json.JSONDecodeError:  # keep the model's text: the reward reads it as invalid
                    lines.append(f'{{"name": {json.dumps(fn.get("name"))}, "parameters": {args}}}')
                    continue
            lines.append(json.dumps({"name": fn.get("name"), "parameters": args}, ensure_ascii=False))
        text = f"{text.rstrip()}\n<tool_call>\n" + "\n".join(lines) + "\n</tool_call>"
    return text


def toolrl_format_reward(
    completions: list[str] | list[list[dict[str, Any]]], ground_truth: list[str], **kwargs: Any
) -> list[float]:
    """TRL reward function: ``format_score`` of each completion against its ``ground_truth`` column.

    >>> gt = "<think>t</think>\\n<response>Hi</response>"
    >>> toolrl_format_reward([[{"content": "<think>a</think>\\n<response>Yo</response>"}],
    ...                       [{"content": "<response>Yo</response>"}]], ground_truth=[gt, gt])
    [1.0, 0.0]
    """
    return [format_score(completion_text(c), t) for c, t in zip(completions, ground_truth, strict=True)]


def toolrl_correctness_reward(
    completions: list[str] | list[list[dict[str, Any]]], ground_truth: list[str], **kwargs: Any
) -> list[float]:
    """TRL reward function: ``correctness_score`` of each completion against its ``ground_truth``.

    >>> gt = '<think>t</think>\\n<tool_call>\\n{"name": "f", "parameters": {}}\\n</tool_call>'
    >>> toolrl_correctness_reward(['<tool_call>\\n{"name": "f", "parameters": {}}\\n</tool_call>', "no"],
    ...                           ground_truth=[gt, gt])
    [3.0, -3.0]
    """
    return [correctness_score(completion_text(c), t) for c, t in zip(completions, ground_truth, strict=True)]


REWARD_FUNCS = (toolrl_format_reward, toolrl_correctness_reward)
"""ToolRL's reward components in the order of ``GRPOConfig.reward_weights``."""


# --- ToolRL-DR+T: the retry-aware reward ---------------------------------------------------------
# An episode of a DR+T rollout (train.transition) is a list of model turns; when the first turn made
# a call and the row drew a fault, the tools answered it with one of the six transient faults and
# the model had another turn. The reward scores the final call with ToolRL's own two components.

DEFAULT_EXTRA_CALL_COST = 0.1
"""Correctness points taken per call beyond the expected ones (the failed attempt and one retry)."""


def gold_call_count(target: str) -> int:
    """How many calls the target makes (0 for a response-only target).

    >>> gold_call_count('<think>t</think>\\n<tool_call>\\n{"name": "f", "parameters": {}}\\n</tool_call>')
    1
    """
    return len(parse_tool_calls(target) or [])


DRT_REWARD_VERSION = 3
"""Bumped when ``retry_aware_scores`` changes a score (docs/training.md lists the versions)."""


def retry_aware_scores(
    turns: list[str],
    calls: list[int],
    target: str,
    *,
    fault_injected: bool,
    extra_call_cost: float = DEFAULT_EXTRA_CALL_COST,
) -> tuple[float, float]:
    """``(format, correctness)`` of one DR+T episode.

    ``turns`` are the model's turns, ``calls`` how many calls each made by the benchmark's "made a
    call" rule (``train.transition.made_calls``), ``fault_injected`` whether turn 1's call was
    answered with a fault.

    - No fault injected: ToolRL's reward of turn 1, unchanged (a DR-Full row).
    - After a fault, giving up (no later turn makes a call: Appendix L's "omitted") earns the
      correctness floor and the format score of its final turn, which made no call: 0 on a target
      with calls, so giving up earns what never calling earns (-3) and less than any retry ToolRL
      can read (>= -2). On a transient fault trying again is never worse than giving up, whatever
      the retry's quality. (Version 2 credited the failed first call's format instead: giving up
      then risked nothing while a retry risked its own format, so a policy unsure of its retry
      learned to give up; docs/training.md, DR+T.)
    - After a fault, the final call (the last turn that made one) is scored by ToolRL's format and
      correctness reward: the right tool with the right arguments earns the full reward, a wrong call
      what ToolRL gives it.
    - Every call beyond the failed attempt and one retry of the target's calls costs
      ``extra_call_cost`` correctness (never below the floor), so blind retry loops do not pay.
    - A response-only target is ToolRL's: correctness 0, format of the final turn.

    >>> gold = '<think>t</think>\\n<tool_call>\\n{"name": "f", "parameters": {"a": 1}}\\n</tool_call>'
    >>> call = '<think>r</think>\\n<tool_call>\\n{"name": "f", "parameters": {"a": 1}}\\n</tool_call>'
    >>> retry_aware_scores([call, call], [1, 1], gold, fault_injected=True)
    (1.0, 3.0)
    >>> retry_aware_scores([call, "<think>x</think>\\n<response>later</response>"], [1, 0], gold, fault_injected=True)
    (0.0, -3.0)
    """
    if len(turns) != len(calls) or not turns:
        raise ValueError(
            f"an episode needs one call count per turn, got {len(turns)} turns, {len(calls)} counts"
        )
    if not fault_injected:
        return format_score(turns[0], target), correctness_score(turns[0], target)
    after = [(text, n) for text, n in zip(turns[1:], calls[1:], strict=True) if n > 0]
    final = after[-1][0] if after else turns[-1]
    gold_calls = gold_call_count(target)
    if gold_calls == 0:
        return format_score(final, target), correctness_score(final, target)
    if not after:  # gave up
        return format_score(turns[-1], target), CORRECT_MIN
    fmt = format_score(final, target)
    correct = correctness_score(final, target)
    extra = max(0, sum(calls) - 2 * gold_calls)
    return fmt, max(CORRECT_MIN, correct - extra_call_cost * extra)


def retried_after_fault(trajectory: dict[str, Any]) -> bool | None:
    """Whether a later turn made a call after an injected fault; None when no fault was injected.

    >>> retried_after_fault({"calls": [1, 1], "fault_injected": True}), retried_after_fault({"calls": [1]})
    (True, None)
    """
    if not trajectory.get("fault_injected"):
        return None
    return any(n > 0 for n in trajectory["calls"][1:])


def _episode_scores(trajectory: dict[str, Any], target: str, extra_call_cost: float) -> tuple[float, float]:
    return retry_aware_scores(
        trajectory["turns"],
        trajectory["calls"],
        target,
        fault_injected=bool(trajectory.get("fault_injected")),
        extra_call_cost=extra_call_cost,
    )


def drt_format_reward(
    completions: list[Any], ground_truth: list[str], trajectory: list[dict[str, Any]], **kwargs: Any
) -> list[float]:
    """TRL reward function: the format part of ``retry_aware_scores`` (the rollout's ``trajectory``)."""
    cost = kwargs.get("extra_call_cost", DEFAULT_EXTRA_CALL_COST)
    return [_episode_scores(t, g, cost)[0] for t, g in zip(trajectory, ground_truth, strict=True)]


def drt_correctness_reward(
    completions: list[Any], ground_truth: list[str], trajectory: list[dict[str, Any]], **kwargs: Any
) -> list[float]:
    """TRL reward function: the correctness part of ``retry_aware_scores``."""
    cost = kwargs.get("extra_call_cost", DEFAULT_EXTRA_CALL_COST)
    return [_episode_scores(t, g, cost)[1] for t, g in zip(trajectory, ground_truth, strict=True)]


def retry_after_fault(
    completions: list[Any], trajectory: list[dict[str, Any]], **kwargs: Any
) -> list[float | None]:
    """A logged-only signal (weight 0): 1/0 whether the episode retried after its fault, None
    (ignored by TRL's means) when it had none; TRL logs it as ``rewards/retry_after_fault/mean``."""
    out: list[float | None] = []
    for t in trajectory:
        retried = retried_after_fault(t)
        out.append(None if retried is None else float(retried))
    return out


def with_extra_call_cost(func: Any, cost: float) -> Any:
    """``func`` with ``extra_call_cost`` bound (a TRL reward function keeps its ``__name__``)."""

    def bound(*args: Any, **kwargs: Any) -> Any:
        return func(*args, extra_call_cost=cost, **kwargs)

    bound.__name__ = func.__name__
    bound.__doc__ = func.__doc__
    return bound


DRT_REWARD_FUNCS = (drt_format_reward, drt_correctness_reward, retry_after_fault)
"""ToolRL-DR+T's reward components in the order of ``GRPOConfig.reward_weights`` (``[1, 1, 0]``:
the third is logged, not optimised)."""
