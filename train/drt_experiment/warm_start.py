"""Warm starts of the DR+T experiment: teach the tiny random model answers, so that GRPO sees
rewards that differ.

A random-weight model writes the same kind of garbage for every sample, so every completion of a
group gets the same ToolRL reward, every advantage is zero and the policy gradient vanishes. A few
supervised steps on two short answers per prompt (one with ToolRL's layout for the gold, one with
the other layout) leave the model sampling both at temperature 1: groups then mix rewards of
different size and GRPO has something to learn from.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

CALL = '<think>ok</think>\n<tool_call>\n{"name": "ok", "parameters": {}}\n</tool_call>'
RESPONSE = "<think>ok</think>\n<response>ok</response>"


def layout_answers(ground_truth: str) -> tuple[str, str]:
    """Two fixed answers for one target: ``(right layout, wrong layout)``.

    Both are the same for every prompt, so a few steps teach them; the right one earns the format
    reward (1 against 0) and nothing else, as its tool name is made up.

    >>> gold = '<think>t</think>\\n<tool_call>\\n{"name": "f", "parameters": {"a": 1}}\\n</tool_call>'
    >>> layout_answers(gold) == (CALL, RESPONSE)
    True
    >>> layout_answers("<think>t</think>\\n<response>Hi</response>") == (RESPONSE, CALL)
    True
    """
    from train.rewards import target_shape

    has_call, _ = target_shape(ground_truth)
    return (CALL, RESPONSE) if has_call else (RESPONSE, CALL)


def warm_start(
    model_dir: Path,
    rows: Sequence[dict[str, Any]],
    *,
    steps: int = 200,
    lr: float = 1e-3,
    seed: int = 0,
    wrong_too: bool = True,
) -> None:
    """Train ``model_dir`` in place on both layouts of every row's ``ground_truth`` (only the right
    one when ``wrong_too`` is false), loss on the answer only."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    examples = []
    for row in rows:
        prompt = tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True, tokenize=True,
                                               return_dict=True)["input_ids"]  # fmt: skip
        for answer in layout_answers(row["ground_truth"])[: 2 if wrong_too else 1]:
            target = tokenizer(answer, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
            examples.append((list(prompt), target))
    rng = random.Random(seed)
    fit(model, lambda: rng.choice(examples), steps=steps, lr=lr)
    model.save_pretrained(model_dir)


def fit(model: Any, draw: Callable[[], tuple[list[int], list[int]]], *, steps: int, lr: float) -> None:
    """``steps`` AdamW steps on one ``(context, target)`` example each from ``draw()``, loss on the
    target tokens only."""
    import torch

    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    model.train()
    for _ in range(steps):
        context, target = draw()
        ids = torch.tensor([context + target])
        labels = torch.tensor([[-100] * len(context) + target])
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()


GIVE_UP = "<think>ok</think>\n<response>The tool failed. Please try again later.</response>"
"""A give-up after a fault (Appendix L's "omitted"): no call, in ToolRL's response layout."""


def named_turn(ground_truth: str) -> str:
    """A short answer in the target's layout that names the target's tools with no arguments.

    Short and the same apart from the tool names, so a few hundred steps teach it to the tiny model;
    ToolRL's correctness gives it partial credit (right names), so retrying it after a fault earns
    more than giving up, which a made-up name (``CALL``) does not.

    >>> named_turn('<think>t</think>\\n<tool_call>\\n{"name": "f", "parameters": {"a": 1}}\\n</tool_call>')
    '<think>ok</think>\\n<tool_call>\\n{"name": "f", "parameters": {}}\\n</tool_call>'
    >>> named_turn("<think>t</think>\\n<response>Hi there</response>") == RESPONSE
    True
    """
    import json

    from train.rewards import parse_tool_calls, target_shape

    has_call, has_response = target_shape(ground_truth)
    if not has_call:
        return RESPONSE
    lines = [json.dumps({"name": c["name"], "parameters": {}}) for c in parse_tool_calls(ground_truth) or []]
    block = "<tool_call>\n" + "\n".join(lines) + "\n</tool_call>"
    return "<think>ok</think>\n" + block + ("\n<response>ok</response>" if has_response else "")


def warm_start_after_fault(
    model_dir: Path,
    rows: Sequence[dict[str, Any]],
    *,
    steps: int = 600,
    lr: float = 1e-3,
    seed: int = 0,
    retry_share: float = 0.5,
    first_share: float = 0.5,
    known_rows: Sequence[dict[str, Any]] = (),
) -> None:
    """Train ``model_dir`` in place to answer each row with its tools (``named_turn``) and, after a
    fault answering that call, to retry it (the same turn again) or give up (``GIVE_UP``) with
    equal weight: a start that calls right and is undecided after a fault, so that a retry-aware
    reward has something to decide and a retry can earn more than giving up (a retry of a made-up
    call scores what giving up scores). ``first_share`` of the steps train the first turn, the rest
    the turn after a fault. ``known_rows`` (e.g. the held-out rows) are taught their first turn
    only: the model then knows their tools but has never seen a fault on them, so a right retry
    there is the after-fault decision carried over, not memorised. Loss on the answer turns only."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from robustbench_tc.taxonomy import TRANSITION_ERRORS
    from train.rewards import gold_call_count
    from train.transition import FAULT_CODES, observation_suffix_ids

    torch.manual_seed(seed)
    rng = random.Random(seed)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    eos = tokenizer.eos_token_id

    def ids(text: str) -> list[int]:
        return list(tokenizer(text, add_special_tokens=False)["input_ids"]) + [eos]

    first: list[tuple[list[int], list[int]]] = []
    after: list[tuple[list[int], list[int], list[int]]] = []
    for row in rows:
        prompt = list(tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True, tokenize=True,
                                                    return_dict=True)["input_ids"])  # fmt: skip
        answer = ids(named_turn(row["ground_truth"]))
        first.append((prompt, answer))
        if gold_call_count(row["ground_truth"]):
            after.append((prompt, answer, ids(GIVE_UP)))
    for row in known_rows:
        prompt = list(tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True, tokenize=True,
                                                    return_dict=True)["input_ids"])  # fmt: skip
        first.append((prompt, ids(named_turn(row["ground_truth"]))))
    suffixes = [observation_suffix_ids(tokenizer, TRANSITION_ERRORS[code]) for code in FAULT_CODES]

    def draw() -> tuple[list[int], list[int]]:
        if after and rng.random() >= first_share:
            prompt, answer, give_up = rng.choice(after)
            return prompt + answer + rng.choice(suffixes), answer if rng.random() < retry_share else give_up
        return rng.choice(first)

    fit(model, draw, steps=steps, lr=lr)
    model.save_pretrained(model_dir)


def fresh_weights(model_dir: Path, seed: int) -> None:
    """Re-initialise the weights of the model at ``model_dir`` from ``seed`` (same config and
    tokenizer): seeds of the experiment then differ in their initial weights, not in their tokens."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(model_dir)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.save_pretrained(model_dir)
