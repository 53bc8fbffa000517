"""One multi-step episode: the model's turns, the calls the project's one rule reads in each, and the
world's answers.

An episode goes on while the model calls tools: after each turn the world answers every call
the rule (``parsing.made_calls``) finds, and the model gets another turn, until a turn makes no
call (its final answer; a turn that only calls a meta-tool such as ReAct's ``finish`` is one too)
or the step limit is reached.  The world also answers the calls of a turn cut off by the limit
(they were made), but the model sees no further turn.

The harness, the scripted agents and the server's replay all drive this same class, so what the
server recomputes is what the client computed.

>>> from robustbench_tc.records import GoldAnswer, GoldCall, Tool
>>> from robustbench_tc.gold import GoldRow
>>> row = GoldRow("toolalpaca__x", "toolalpaca__x", "toolalpaca", "episode_clean",
...               [GoldAnswer(calls=[GoldCall(name="search_city", arguments={"query": ["Madrid"]})])],
...               [Tool(name="search_city")])
>>> ep = Episode(row, step_limit=4)
>>> step = ep.feed('Action: search_city\\nAction Input: {"query": "Madrid"}')
>>> [r.status for r in step.results], ep.done
(['gold'], False)
>>> ep.feed("Final Answer: Madrid is the capital of Spain.").calls, ep.done, ep.ended_by_answer
([], True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from robustbench_tc.parsing import ParsedCall, made_calls
from robustbench_tc.world.core import ToolResult, ToolWorld

DEFAULT_STEP_LIMIT = 4
"""Model turns per episode unless the run says otherwise (recorded in the run header)."""


@dataclass
class Step:
    """One model turn: its raw text, the calls the rule read, and the world's answers (one per
    non-meta call, in order)."""

    output: str
    calls: list[ParsedCall]
    results: list[ToolResult]

    @property
    def observations(self) -> list[str]:
        """The tool messages sent back for this turn."""
        return [r.text for r in self.results]


@dataclass
class Episode:
    """The running trajectory of one dataset row in its world."""

    row: Any
    step_limit: int = DEFAULT_STEP_LIMIT
    spec: Any = None
    world: ToolWorld = field(init=False)
    steps: list[Step] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.step_limit < 1:
            raise ValueError(f"step limit must be at least 1, got {self.step_limit}")
        self.world = ToolWorld.for_row(self.row, self.spec)

    @property
    def done(self) -> bool:
        if not self.steps:
            return False
        return len(self.steps) >= self.step_limit or not self.steps[-1].results

    @property
    def ended_by_answer(self) -> bool:
        """The last turn made no tool call the world executes (a final answer), rather than being
        cut off by the step limit."""
        return bool(self.steps) and not self.steps[-1].results

    def feed(self, output: str) -> Step:
        """Add the model's next turn; returns it with the world's answers."""
        if self.done:
            raise ValueError(f"episode of {self.row.id!r} is over ({len(self.steps)} steps)")
        calls = made_calls(output or "", self.row.source)
        step = Step(output, calls, self.world.answer(calls))
        self.steps.append(step)
        return step

    @property
    def results(self) -> list[ToolResult]:
        return [r for s in self.steps for r in s.results]

    @property
    def final_output(self) -> str:
        """The last turn's text (what the record's ``raw_output`` holds)."""
        return self.steps[-1].output if self.steps else ""
