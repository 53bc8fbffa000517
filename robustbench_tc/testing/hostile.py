"""Hostile parser inputs shared by the tests (counted work) and ``benchmarks/parser_worst_case.py``.

``HOSTILE`` holds ~100 KB documents; ``HOSTILE_RECORDS`` holds small record-sized shapes whose
cost per record must stay at a few milliseconds whatever their nesting.

>>> len(HOSTILE["open brackets"]), "[[[" in HOSTILE_RECORDS["nested list argument"]
(100000, True)
"""

from __future__ import annotations

import random

N = 100_000
_rng = random.Random(0)

HOSTILE: dict[str, str] = {
    "garbage": "".join(_rng.choice("[]{}()\"':,=<>/\\ aA1.\n*#-?&") for _ in range(N)),
    "open brackets": "[" * N,
    "open braces": "{" * N,
    "open parens": "(" * N,
    "deep json": '{"a":' * (N // 5),
    "unclosed list": "[1," * (N // 3),
    "huge float": "[f(a=1e999999)]",
    "huge int literal": "[f(a=" + "1" * N + ")]",
    "power": "[f(a=10**100000)]",
    "deep call arg": "[f(a=" + "[" * N + ")]",
    "python dict prefix": "{'a': " * (N // 6),
    "stars": "*" * N,
    "stars then action": "*" * N + "Action",
    "many actions": "Action: x\n" * (N // 10),
    "tag soup": "<tool_call " * (N // 11),
    "attr soup": "<tool name=" * (N // 11),
    "label soup": "a: {" * (N // 4),
    "query soup": "f?a=1&" * (N // 6),
    "quote soup": "'\"" * (N // 2),
    "call prefixes": "f(" * (N // 2),
    "call prefix lines": "f(\n" * (N // 3),
    "many calls": "f()" * (N // 3),
    "many call lines": "get_weather(city='Paris')\n" * (N // 26),
    "nested call lines": "".join(f"f{i}(\n" for i in range(N // 5)) + ")" * (N // 5),
    "react with deep input": "Action: f\nAction Input: " + "{" * N,
    "tool tags": "<tool>x</tool>" * (N // 14),
    "think unclosed": "<think>" + "[f(a=1)]" * (N // 8),
    "nul and controls": "\x00\x01\x02[f(a=1)]\x7f" * (N // 13),
    "fences": "```python\nx = 1\n```\n" * (N // 19),
    "json call objects": '{"name": "f", "arguments": {"a": 1}} ' * (N // 38),
    "json lists": "[" + "[1, 2], " * (N // 8) + "]",
    "nested list argument lines": ("[f(x=" + "[" * 200 + "]" * 200 + ")]\n") * (N // 410),
    "surrogates": "\ud800[f(a='\udfff')]",
}

HOSTILE_RECORDS: dict[str, str] = {
    "nested list argument": "[f(x=" + "[" * 200 + "]" * 200 + ")]",
    "nested dict argument": "[f(x=" + "{'a': " * 150 + "1" + "}" * 150 + ")]",
    "nested parens": "f(" + "(" * 300 + ")" * 300 + ")",
    "nested json": '{"name": "f", "arguments": ' + '{"a": ' * 300 + "1" + "}" * 301,
    "deep tool_call": "<tool_call>" + "[" * 500 + "</tool_call>",
    "many small lists": "[f(a=[1])] " * 300,
    "many calls one line": ", ".join("f(a=1)" for _ in range(300)),
    "bracket list per line": "\n".join(f"[f{i}(a=[[1]])]" for i in range(200)),
}
