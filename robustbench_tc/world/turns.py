"""Model turns written in a source's own output format: calls (as the oracle writes them) and
final answers (which make no call the world executes).

>>> print(final_turn("rotbench", "Madrid is in Spain."))
Thought: I have the result.
Action: finish
Action Input: {"answer": "Madrid is in Spain."}
>>> final_turn("toolalpaca", "Done."), final_turn("apibank", "Done."), final_turn("bfcl_v3", "Done.")
('Thought: I have the result.\\nFinal Answer: Done.', '<response>Done.</response>', 'Done.')
>>> call_turn("bfcl_v3", [("f", {"a": 1})])
'[f(a=1)]'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from robustbench_tc.sources import get_source

FINISH = "finish"


def final_turn(source: str, text: str) -> str:
    """An answer turn in the source's format: ReAct ``finish`` (RoTBench, ToolEyes) or
    ``Final Answer:`` (ToolAlpaca), ToolRL's ``<response>`` (API-Bank), or plain text (BFCL)."""
    info = get_source(source)
    if info.output_format == "react":
        if FINISH in info.meta_tools:
            answer = json.dumps({"answer": text}, ensure_ascii=False)
            return f"Thought: I have the result.\nAction: {FINISH}\nAction Input: {answer}"
        return f"Thought: I have the result.\nFinal Answer: {text}"
    if info.output_format == "tool_call_json":
        return f"<response>{text}</response>"
    return text


def call_turn(source: str, calls: Sequence[tuple[str, dict[str, Any]]]) -> str:
    """A turn making ``calls`` in the source's canonical format (the oracle's renderers)."""
    from robustbench_tc.scoring.oracle import ORACLE_RENDERERS

    return ORACLE_RENDERERS.get(get_source(source).output_format)(list(calls))
