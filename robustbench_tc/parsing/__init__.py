"""The format-tolerant tool-call parser of Appendix I.

>>> [c.to_json() for c in parse_tool_calls('[f(a=1), g(b="x")]', "bfcl_v3")]
[{'name': 'f', 'arguments': {'a': 1}}, {'name': 'g', 'arguments': {'b': 'x'}}]
"""

from robustbench_tc.parsing.calls import ARGUMENT_KEYS, NAME_KEYS, ParsedCall
from robustbench_tc.parsing.dispatch import (
    PAPER_ORDER,
    made_call,
    made_calls,
    parse_tool_calls,
    strip_reasoning,
    with_tool_names,
)
from robustbench_tc.parsing.variants import VARIANTS

__all__ = [
    "ARGUMENT_KEYS",
    "NAME_KEYS",
    "PAPER_ORDER",
    "VARIANTS",
    "ParsedCall",
    "made_call",
    "made_calls",
    "parse_tool_calls",
    "strip_reasoning",
    "with_tool_names",
]
