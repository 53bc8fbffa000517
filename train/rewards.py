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
