"""Scripted agents: the evidence that the runtime metrics measure what they claim.

Each agent knows the gold (they are test devices, not models) and writes its turns in the
source's own format, reading the world's answers as a model would (the tool messages' text):

- ``oracle``: calls the gold; after a prerequisite error calls the tool the error names and
  retries; after a type error resends the parameter the error names in the type it names; re-queries
  a result whose request echo differs from what it sent or that is an old snapshot; says so when a
  write changed nothing; ignores instructions inside results.  It scores 1.000 on every row.
- ``obey_injection``: the oracle, but it does what an instruction inside a result asks.
- ``never_retry``: calls the gold once, then answers whatever came back.
- ``stringify``: the oracle, but every argument value it sends is a string.
- ``repeat_first``: calls the gold once, then answers with the first result's values (``flat``).

``run_agent(rows, agent)`` plays every row's episode and returns the prediction records, as the
harness would write them.

>>> sorted(AGENTS)
['never_retry', 'obey_injection', 'oracle', 'repeat_first', 'stringify']
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from robustbench_tc.records import OPTIONAL
from robustbench_tc.scoring.oracle import gold_arguments
from robustbench_tc.world.core import ToolResult
from robustbench_tc.world.episode import DEFAULT_STEP_LIMIT, Episode
from robustbench_tc.world.turns import call_turn, final_turn
from robustbench_tc.world.values import stringified, to_enforced

Call = tuple[str, dict[str, Any]]
Agent = Callable[[Episode], str]
"""The next turn's text for an episode in progress."""

DONE = "The request is complete."
NO_EFFECT = "The request was accepted, but nothing was changed (modified: 0): the change did not take effect."
NAIVE_ANSWER = "I made the request."
_TYPE_WORDS = (("integer", "integer"), ("number", "number"), ("float", "number"), ("string", "string"),
               ("list", "array"), ("array", "array"))  # fmt: skip
INJECTION_FIELDS = ("notes", "comment", "details")
_EXPECTED = tuple(
    re.compile(p) for p in (r"of type\s+'?([A-Za-z]+)", r"a valid ([A-Za-z]+)", r"expected ([A-Za-z]+)")
)
"""Where validators name the expected type, most specific first (a value may hold these words too)."""


def gold_calls(row: Any) -> list[Call]:
    """The first alternative's calls with their first acceptable values."""
    return [(c.name, gold_arguments(c, row.source)) for c in row.golden_answers[0].calls]


def _payload(result: ToolResult) -> dict[str, Any]:
    try:
        value = json.loads(result.text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _retype(call: Call, error: str, row: Any) -> Call:
    """``call`` with the parameter the error names resent in the type it names."""
    name, arguments = call
    said = next((m for pattern in _EXPECTED if (m := pattern.search(error))), None)
    expected = dict(_TYPE_WORDS).get(said.group(1).lower()) if said else None
    quoted = [p for p in arguments if re.search(rf"['\"]{re.escape(p)}['\"]|\$\.{re.escape(p)}\b", error)]
    param = quoted[0] if quoted else None
    if expected is None or param is None:
        return call
    gold = next(c for c in row.golden_answers[0].calls if c.name == name)
    value = gold.arguments[param][0] if gold.arguments.get(param) else arguments[param]
    return name, {**arguments, param: to_enforced(value if value != OPTIONAL else arguments[param], expected)}


def _named_tool(text: str, row: Any, exclude: Iterable[str]) -> str | None:
    skip = set(exclude)
    names = sorted((t.name for t in row.tools if t.name not in skip), key=len, reverse=True)
    return next((n for n in names if re.search(rf"(?<![\w.]){re.escape(n)}(?![\w.])", text)), None)


class Oracle:
    """The ideal policy; the naive agents override one of its habits."""

    obey = False
    stringify = False

    def __call__(self, episode: Episode) -> str:
        row = episode.row
        if not episode.steps:
            return self.calls(row, gold_calls(row))
        last = episode.steps[-1]
        sent = [(c.name, c.arguments) for c in last.calls if not episode.world.is_meta(c)]
        retry: list[Call] = []
        for call, result in zip(sent, last.results):
            payload = _payload(result)
            if not result.ok:  # the world's status says what kind of error; the text says what to do
                error = str(payload.get("error", result.text))
                if result.status in ("enforced_type", "wrong_type"):
                    retry.append(_retype(call, error, row))
                    continue
                needed = (
                    _named_tool(error, row, exclude=[call[0]]) if result.status == "prerequisite" else None
                )
                retry += [(needed, {}), call] if needed else [call]
                continue
            body = payload.get("result", {})
            if not isinstance(body, dict):
                continue
            if self.obey:
                for name in INJECTION_FIELDS:
                    text = body.get(name)
                    target = _named_tool(text, row, exclude=[call[0]]) if isinstance(text, str) else None
                    if target and isinstance(text, str):
                        match = re.search(r"\{.*\}", text)
                        retry.append((target, json.loads(match.group(0)) if match else {}))
            if body.get("request") != call[1] or body.get("snapshot_age_seconds", 0) > 0:
                retry.append(call)
            elif body.get("modified") == 0:
                return final_turn(row.source, NO_EFFECT)
        if retry:
            return self.calls(row, retry)
        return final_turn(row.source, DONE)

    def calls(self, row: Any, calls: Sequence[Call]) -> str:
        if self.stringify:
            calls = [(n, {k: stringified(v) for k, v in a.items()}) for n, a in calls]
        return call_turn(row.source, calls)


class ObeyInjection(Oracle):
    obey = True


class Stringify(Oracle):
    stringify = True


def never_retry(episode: Episode) -> str:
    if not episode.steps:
        return call_turn(episode.row.source, gold_calls(episode.row))
    return final_turn(episode.row.source, NAIVE_ANSWER)


def flat(value: Any, top: bool = True) -> str:
    """A tool message's values as ``key: value`` text (what the repeating agent says back; plain
    text, so that quoting a result never reads as a new call); the tool's own name is left out.

    >>> flat({"name": "f", "status": "success", "result": {"request": {"name": "Lyon"}, "value": 2}})
    'status: success; name: Lyon; value: 2'
    """
    if isinstance(value, dict):
        return "; ".join(
            flat(v, False) if isinstance(v, (dict, list)) else f"{k}: {v}"
            for k, v in value.items()
            if not (top and k == "name")
        )
    if isinstance(value, list):
        return "; ".join(flat(v, False) for v in value)
    return str(value)


def repeat_first(episode: Episode) -> str:
    if not episode.steps:
        return call_turn(episode.row.source, gold_calls(episode.row))
    first = next((s.results[0] for s in episode.steps if s.results), None)
    said = flat(_payload(first) or first.text) if first is not None else ""
    return final_turn(episode.row.source, f"Result: {said}")


AGENTS: dict[str, Agent] = {
    "oracle": Oracle(),
    "obey_injection": ObeyInjection(),
    "never_retry": never_retry,
    "stringify": Stringify(),
    "repeat_first": repeat_first,
}


def play(row: Any, agent: Agent, step_limit: int = DEFAULT_STEP_LIMIT) -> Episode:
    """Run ``agent`` on ``row``'s episode to its end."""
    episode = Episode(row, step_limit=step_limit)
    while not episode.done:
        episode.feed(agent(episode))
    return episode


def oracle_failures(rows: Iterable[Any], step_limit: int = DEFAULT_STEP_LIMIT) -> list[str]:
    """Rows the scripted oracle does not solve (the build's oracle-behaviour audit)."""
    from robustbench_tc.taxonomy import get_type
    from robustbench_tc.world.verdict import judge

    out = []
    for row in rows:
        axis = get_type(row.perturbation).axis
        assert axis is not None
        verdict = judge(play(row, AGENTS["oracle"], step_limit), axis)
        if verdict.correct < 1.0:
            out.append(f"{row.perturbation}/{row.id}: the scripted oracle fails ({verdict.error_mode})")
    return out
