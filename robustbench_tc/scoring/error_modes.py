"""Appendix L: classify an incorrect prediction as empty / omitted / wrong / other.

Rule order (deterministic):

1. ``correct``: the score is 1;
2. ``empty``: the raw output is empty or whitespace only once chat-template tokens
   (``<|im_end|>``, ``<|eot_id|>``, ``</s>``, a leading role header) are stripped;
3. ``omitted``: every parser variant returned nothing (no tool call);
4. ``other``: a call was parsed and the scorer rejects it for a benchmark-specific reason: the
   sample got partial credit (ToolEyes sequences), or every gold call of some alternative is
   matched by some predicted call while the sample still fails (call count, order, or which call
   is scored: e.g. an extra call in BFCL, or the right call second in RoTBench);
5. ``wrong``: otherwise (wrong name, missing required parameter, wrong value, ...).

>>> classify("  ", [], 0.0), classify("<|im_start|>assistant\\n<|im_end|>", [], 0.0)
('empty', 'empty')
>>> classify("I cannot help with that.", [], 0.0)
'omitted'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Literal

from robustbench_tc.parsing import ParsedCall
from robustbench_tc.records import GoldAnswer, GoldCall

ErrorMode = Literal["correct", "empty", "omitted", "wrong", "other"]
ERROR_MODES: tuple[str, ...] = ("correct", "empty", "omitted", "wrong", "other")
MISSING = "missing"
"""Report-only mode of a record the predictions file does not contain (scored 0)."""


_TEMPLATE_TOKENS = re.compile(
    r"<\|(?:im_start|start_header_id)\|>[ \t]*(?:assistant|system|user|tool|ipython)?[ \t]*"
    r"(?:<\|end_header_id\|>)?"
    r"|<\|[A-Za-z_]{1,32}\|>|</?s>|<eos>|<end_of_turn>|<start_of_turn>(?:model)?"
)


def strip_chat_template(raw: str) -> str:
    """``raw`` without chat-template special tokens (Appendix L: "empty ... after stripping the
    chat template").

    >>> strip_chat_template("<|start_header_id|>assistant<|end_header_id|>\\n\\n<|eot_id|>").strip()
    ''
    """
    return _TEMPLATE_TOKENS.sub("", raw)


def classify(
    raw: str,
    calls: Sequence[ParsedCall],
    correct: float,
    answers: Sequence[GoldAnswer] = (),
    match: Callable[[ParsedCall, GoldCall], bool] | None = None,
) -> ErrorMode:
    if correct >= 1.0:
        return "correct"
    if not raw or not strip_chat_template(raw).strip():
        return "empty"
    if not calls:
        return "omitted"
    if correct > 0.0:
        return "other"
    if match is not None:
        for answer in answers:
            if answer.calls and all(any(match(c, g) for c in calls) for g in answer.calls):
                return "other"
    return "wrong"
