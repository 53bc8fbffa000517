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
5. "wrong" otherwise, split as Appendix L subdivides it:
   ``name_bias``: under a Reward type, a call went to the distractor (the tool whose name or
   description lures with lower cost or latency: ``<GT>_Budget``/``<GT>_Fast``, the neutral
   ``<GT>_1``, or the original long name in the -Abbr types);
   ``parameter_mismatch``: every other wrong call (missing or wrong parameter value, and wrong
   names that are not the Reward distractor; Appendix L names the mode after its typical cause).

Separately from the mode, ``ghost_calls`` counts the calls to tools that are not in the sample's
registry (App. N (7), "ghost tool").

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
from robustbench_tc.records import GoldAnswer, GoldCall, Tool

ErrorMode = Literal["correct", "empty", "omitted", "name_bias", "parameter_mismatch", "other"]
ERROR_MODES: tuple[str, ...] = ("correct", "empty", "omitted", "name_bias", "parameter_mismatch", "other")
WRONG_MODES: tuple[str, ...] = ("name_bias", "parameter_mismatch")
"""Appendix L's "wrong parameter / wrong name", subdivided."""
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
    distractor: str | None = None,
) -> ErrorMode:
    """The Appendix L mode of one record (``distractor``: the Reward type's lure tool, if any).

    >>> from robustbench_tc.parsing import ParsedCall
    >>> classify("[f_Budget(a=1)]", [ParsedCall("f_Budget", {"a": 1})], 0.0, distractor="f_Budget")
    'name_bias'
    >>> classify("[f(a=2)]", [ParsedCall("f", {"a": 2})], 0.0, distractor="f_Budget")
    'parameter_mismatch'
    """
    if correct >= 1.0:
        return "correct"
    if not raw or not (strip_chat_template(raw) if "<" in raw else raw).strip():  # every token opens with "<"
        return "empty"
    if not calls:
        return "omitted"
    if correct > 0.0:
        return "other"
    if match is not None:
        for answer in answers:
            if answer.calls and all(any(match(c, g) for c in calls) for g in answer.calls):
                return "other"
    if distractor is not None and any(c.name == distractor for c in calls):
        return "name_bias"
    return "parameter_mismatch"


def ghost_calls(calls: Sequence[ParsedCall], tools: Sequence[Tool]) -> int:
    """How many calls name a tool that is not in the sample's registry (App. N (7), "ghost tool").

    >>> from robustbench_tc.parsing import ParsedCall
    >>> ghost_calls([ParsedCall("f"), ParsedCall("numpy.dot")], [Tool(name="f")])
    1
    """
    if not calls:
        return 0
    names = {t.name for t in tools}
    return sum(1 for c in calls if c.name not in names)
