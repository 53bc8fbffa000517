"""Teach the tiny random model two answer layouts, so that GRPO sees rewards that differ.

A random-weight model writes the same kind of garbage for every sample, so every completion of a
group gets the same ToolRL reward, every advantage is zero and the policy gradient vanishes. A few
supervised steps on two short answers per prompt (one with ToolRL's layout for the gold, one with
the other layout) leave the model sampling both at temperature 1: groups then mix rewards of
different size and GRPO has something to learn from.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
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
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    model.train()
    for _ in range(steps):
        prompt, target = rng.choice(examples)
        ids = torch.tensor([prompt + target])
        labels = torch.tensor([[-100] * len(prompt) + target])
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.save_pretrained(model_dir)
