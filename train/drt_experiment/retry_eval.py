"""Retry-after-fault and right-tool rates of a checkpoint, per fault (ToolRL-DR+T's own measure,
issues 16 and 24).

Every row is answered ``samples`` times under each of the six faults (``FAULT_CODES``): turn 1 is
the row's own call (``first_turn``) or the model's, the first call gets the fault, the model writes
turn 2. ``retried``: turn 2 made a call (the benchmark's rule) rather than giving up (Appendix L's
"omitted"); ``right_tool``: turn 2 called exactly the row's tools by name. Rates are pooled over
rows with a 95% percentile bootstrap interval that resamples rows (clusters), so the episodes of one
row count as one unit.

>>> rate_with_interval({"r1": [1, 1], "r2": [0], "r3": []}, n_boot=200, seed=0)[0]
0.6666666666666666
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from train.rewards import parse_tool_calls, predicted_calls
from train.transition import FAULT_CODES, Episode, TransitionConfig, made_calls, run_episodes

MEASURES = ("retried", "right_tool")


@dataclass(frozen=True)
class RetryEval:
    """Episodes of one checkpoint, one record per (row, fault)."""

    records: list[dict[str, Any]]
    """``{"row", "fault", "retried": [1/0 per injected episode], "right_tool": [...], "retry_calls":
    [tool names turn 2 called, per injected episode]}``."""
    episodes: int
    injected: int

    def outcomes(
        self, measure: str, *, fault: str | None = None, rows: Collection[str] | None = None
    ) -> dict[str, list[int]]:
        """Per row id, ``measure``'s 1/0 per injected episode (every fault pooled unless ``fault``).

        >>> ev = RetryEval([{"row": "a", "fault": "x", "retried": [1], "right_tool": [0]},
        ...                 {"row": "a", "fault": "y", "retried": [0], "right_tool": [0]}], 2, 2)
        >>> ev.outcomes("retried"), ev.outcomes("retried", fault="y")
        ({'a': [1, 0]}, {'a': [0]})
        """
        out: dict[str, list[int]] = {}
        for r in self.records:
            if (fault is None or r["fault"] == fault) and (rows is None or r["row"] in rows):
                out.setdefault(r["row"], []).extend(r[measure])
        return out


def hf_generate(model: Any, tokenizer: Any, *, max_new_tokens: int, temperature: float = 1.0) -> Callable:
    """A ``train.transition.Generate`` on a transformers model: sampled, cut after the first EOS."""
    import torch

    eos = tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos

    def generate(prompts: list[list[int]], n: int) -> tuple[list[list[int]], None]:
        width = max(len(p) for p in prompts)
        ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts])
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
        with torch.no_grad():
            out = model.generate(
                input_ids=ids,
                attention_mask=mask,
                do_sample=temperature > 0,
                temperature=temperature if temperature > 0 else None,
                top_k=0,
                top_p=1.0,
                max_new_tokens=max_new_tokens,
                pad_token_id=pad,
                eos_token_id=eos,
            )
        result = []
        for row in out[:, width:].tolist():
            result.append(row[: row.index(eos) + 1] if eos in row else row)
        return result, None

    return generate


def forced_first_turn(generate: Callable, first: list[int]) -> Callable:
    """``generate`` whose first call answers every prompt with the token ids ``first``.

    >>> g = forced_first_turn(lambda prompts, n: ([[9] for _ in prompts], None), [1, 2])
    >>> g([[0], [0]], 2), g([[0]], 1)
    (([[1, 2], [1, 2]], None), ([[9]], None))
    """
    calls = {"n": 0}

    def wrapped(prompts: list[list[int]], n: int) -> tuple[list[list[int]], Any]:
        calls["n"] += 1
        if calls["n"] == 1:
            return [list(first) for _ in prompts], None
        return generate(prompts, n)

    return wrapped


def episode_outcomes(episodes: Sequence[Episode], ground_truth: str) -> tuple[list[int], list[int]]:
    """``(retried, right_tool)``, 1/0 per episode whose first call got a fault: a later turn made a
    call, and a later turn called exactly the target's tools (by name, ToolRL's reader; never for a
    response-only target).

    >>> from train.transition import ToolWorld
    >>> gold = '<think>t</think>\\n<tool_call>\\n{"name": "f", "parameters": {"a": 1}}\\n</tool_call>'
    >>> retry = '<think>r</think>\\n<tool_call>\\n{"name": "f", "parameters": {}}\\n</tool_call>'
    >>> ep = Episode(ToolWorld(["f"], "500"), [], turns=[retry, retry], calls=[1, 1], observations=["HTTP 500"])
    >>> episode_outcomes([ep, Episode(ToolWorld(["f"]), [], turns=[retry], calls=[1])], gold)
    ([1], [1])
    """
    gold = sorted(c["name"] for c in parse_tool_calls(ground_truth) or [])
    faulted = [e for e in episodes if e.observations]
    retried = [int(any(n > 0 for n in e.calls[1:])) for e in faulted]
    right_tool = [
        int(
            bool(gold)
            and any(sorted(c["name"] for c in predicted_calls(t) or []) == gold for t in e.turns[1:])
        )
        for e in faulted
    ]
    return retried, right_tool


def retry_calls(episode: Episode) -> list[str]:
    """The tool names the turns after the fault called (the benchmark's rule), for the raw records."""
    return [str(c.get("name"))[:60] for t in episode.turns[1:] for c in made_calls(t)]


def evaluate_retry(
    model_dir: Path | str,
    rows: Sequence[dict[str, Any]],
    *,
    samples: int = 4,
    seed: int = 0,
    max_new_tokens: int = 64,
    faults: Sequence[str] = FAULT_CODES,
    first_turn: str | Callable[[dict[str, Any]], str] | None = None,
    temperature: float = 1.0,
) -> RetryEval:
    """Sample ``samples`` episodes per row and fault (at ``temperature``), every first call faulted.

    ``first_turn`` fixes turn 1 to that text (a call), or to what it returns for the row (e.g. the
    row's gold call), so that every row gets its fault and the rates measure only the decision after
    it; None lets the model write turn 1 itself. One generation call per row covers all faults."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    generate = hf_generate(model, tokenizer, max_new_tokens=max_new_tokens, temperature=temperature)
    config = TransitionConfig(fault_probability=1.0, max_turns=2, seed=seed)
    records: list[dict[str, Any]] = []
    n_episodes = n_injected = 0
    for row in rows:
        prompt_ids = tokenizer.apply_chat_template(
            row["prompt"], add_generation_prompt=True, tokenize=True, return_dict=True
        )["input_ids"]
        policy = generate
        if first_turn is not None:
            text = first_turn if isinstance(first_turn, str) else first_turn(row)
            forced = tokenizer(text, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
            policy = forced_first_turn(generate, forced)
        per_episode = [code for code in faults for _ in range(samples)]
        episodes: list[Episode] = run_episodes(
            [row["prompt"]] * len(per_episode),
            [list(prompt_ids)] * len(per_episode),
            policy,
            tokenizer,
            config,
            num_generations=len(per_episode),
            max_completion_length=2 * max_new_tokens + 128,
            fault=per_episode,
        )
        n_episodes += len(episodes)
        for code in faults:
            mine = [e for e, c in zip(episodes, per_episode, strict=True) if c == code]
            retried, right = episode_outcomes(mine, row["ground_truth"])
            n_injected += len(retried)
            calls = [retry_calls(e) for e in mine if e.observations]
            records.append({"row": row["id"], "fault": code, "retried": retried, "right_tool": right,
                            "retry_calls": calls})  # fmt: skip
    return RetryEval(records=records, episodes=n_episodes, injected=n_injected)


def rate_with_interval(
    retried: dict[str, list[int]], *, n_boot: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """``(rate, lo, hi)``: the pooled retry rate over rows with an injected fault, and its 95%
    percentile bootstrap interval resampling rows whole."""
    return _cluster_rate([r for r in retried.values() if r], n_boot=n_boot, seed=seed)


def _cluster_rate(per_row: Sequence[Sequence[int]], *, n_boot: int, seed: int) -> tuple[float, float, float]:
    if not per_row:
        return float("nan"), float("nan"), float("nan")
    hits = np.array([sum(r) for r in per_row], dtype=np.float64)
    counts = np.array([len(r) for r in per_row], dtype=np.float64)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(per_row), size=(n_boot, len(per_row)))
    draws = hits[idx].sum(axis=1) / counts[idx].sum(axis=1)
    lo, hi = np.percentile(draws, [2.5, 97.5])
    return float(hits.sum() / counts.sum()), float(lo), float(hi)


def paired_difference(
    first: dict[str, list[int]], second: dict[str, list[int]], *, n_boot: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """``(second − first, lo, hi)`` of the retry rates over the rows both arms injected a fault on,
    resampling those rows jointly (a paired bootstrap)."""
    shared = [k for k in first if first[k] and second.get(k)]
    if not shared:
        return float("nan"), float("nan"), float("nan")
    a_hits = np.array([sum(first[k]) for k in shared], dtype=np.float64)
    a_n = np.array([len(first[k]) for k in shared], dtype=np.float64)
    b_hits = np.array([sum(second[k]) for k in shared], dtype=np.float64)
    b_n = np.array([len(second[k]) for k in shared], dtype=np.float64)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(shared), size=(n_boot, len(shared)))
    draws = b_hits[idx].sum(1) / b_n[idx].sum(1) - a_hits[idx].sum(1) / a_n[idx].sum(1)
    lo, hi = np.percentile(draws, [2.5, 97.5])
    return float(b_hits.sum() / b_n.sum() - a_hits.sum() / a_n.sum()), float(lo), float(hi)
