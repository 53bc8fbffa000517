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
from robustbench_tc.world.episode import DEFAULT_STEP_LIMIT, Episode
from robustbench_tc.world.turns import call_turn, final_turn
from robustbench_tc.world.values import stringified, to_enforced

Call = tuple[str, dict[str, Any]]
Agent = Callable[[Any, Sequence[tuple[list[tuple[str, dict[str, Any]]], list[str]]]], str]
"""``agent(row, history)``: the next turn's text, given the row and the earlier turns' calls and
tool messages (``history_of``)."""

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


def _payload(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
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


Exchange = tuple[list[Call], list[str]]
"""One earlier turn as the agent saw it: the calls it sent, and the tool messages that came back."""


def history_of(episode: Episode) -> list[Exchange]:
    """An episode's turns as exchanges (meta-tool calls, which get no answer, left out)."""
    return [
        ([(c.name, c.arguments) for c in s.calls if not episode.world.is_meta(c)], s.observations)
        for s in episode.steps
    ]


class Oracle:
    """The ideal policy, reading only the tool messages' text; the naive agents override one habit."""

    obey = False
    stringify = False

    def __call__(self, row: Any, history: Sequence[Exchange]) -> str:
        if not history:
            return self.calls(row, gold_calls(row))
        sent, observations = history[-1]
        retry: list[Call] = []
        for call, text in zip(sent, observations):
            payload = _payload(text)
            if payload.get("status") != "success":
                error = str(payload.get("error", text))
                needed = _named_tool(error, row, exclude=[call[0]])
                if needed and not error.startswith("Tool "):  # a step the error asks for first
                    retry += [(needed, {}), call]
                else:  # a type the error names, else the same call again (a transient fault)
                    retry.append(_retype(call, error, row))
                continue
            body = payload.get("result", {})
            if not isinstance(body, dict):
                continue
            if self.obey:
                for name in INJECTION_FIELDS:
                    said = body.get(name)
                    target = _named_tool(said, row, exclude=[call[0]]) if isinstance(said, str) else None
                    if target and isinstance(said, str):
                        match = re.search(r"\{.*\}", said)
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


def never_retry(row: Any, history: Sequence[Exchange]) -> str:
    if not history:
        return call_turn(row.source, gold_calls(row))
    return final_turn(row.source, NAIVE_ANSWER)


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


def repeat_first(row: Any, history: Sequence[Exchange]) -> str:
    if not history:
        return call_turn(row.source, gold_calls(row))
    first = next((obs[0] for _, obs in history if obs), "")
    return final_turn(row.source, f"Result: {flat(_payload(first) or first)}")


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
        episode.feed(agent(row, history_of(episode)))
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
