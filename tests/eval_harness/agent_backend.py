"""A backend that plays a scripted agent (``robustbench_tc.world.agents``) from the chat alone.

It finds the dataset row a request belongs to (its first-pass chat is a prefix of the request), reads
the earlier turns' calls (the one rule) and tool messages back out of the chat as the harness wrote
it, and answers with the agent's next turn: the harness's episode loop, chat rendering and records
are exercised exactly as with a model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from eval_harness.backends.base import Backend, ChatRequest, Generation
from eval_harness.conversation import build_messages
from robustbench_tc.parsing import made_calls
from robustbench_tc.records import Sample
from robustbench_tc.sources import get_source
from robustbench_tc.world.agents import AGENTS


class AgentBackend(Backend):
    name = "agent"

    def __init__(self, rows: Iterable[Sample], agent: str = "oracle", mode: str = "prompt") -> None:
        self.rows = list(rows)
        self.agent = AGENTS[agent]
        self.mode = mode
        self.calls: list[list[ChatRequest]] = []

    def engine_version(self) -> str | None:
        return "0"

    def generate(self, requests: Sequence[ChatRequest]) -> list[Generation]:
        self.calls.append(list(requests))
        return [Generation(text=self._turn(r), meta={"finish_reason": "stop"}) for r in requests]

    def _row_of(self, request: ChatRequest) -> tuple[Sample, int]:
        tools = [t.name for t in request.tools] if request.tools is not None else None
        found: list[tuple[int, Sample]] = []
        for row in self.rows:
            prefix = build_messages(row, self.mode)
            if request.messages[: len(prefix)] == prefix and tools in (None, row.tool_names):
                found.append((len(prefix), row))
        if not found:
            raise AssertionError(f"no row for the chat {request.messages[:2]}")
        start, row = max(found, key=lambda f: f[0])  # the longest first-pass chat (a long history's row)
        return row, start

    def _turn(self, request: ChatRequest) -> str:
        row, start = self._row_of(request)
        return self.agent(row, exchanges(row, request.messages[start:]))


def exchanges(
    row: Sample, messages: Sequence[dict[str, Any]]
) -> list[tuple[list[tuple[str, dict]], list[str]]]:
    """The earlier turns of an episode chat: each assistant turn's calls and the tool messages after it."""
    role, template = get_source(row.source).observation_turn
    head, _, tail = template.partition("{error}")
    meta = set(get_source(row.source).meta_tools)
    out: list[tuple[list[tuple[str, dict]], list[str]]] = []
    for message in messages:
        if message["role"] == "assistant":
            calls = [
                (c.name, c.arguments)
                for c in made_calls(message["content"], row.source)
                if c.name not in meta
            ]
            out.append((calls, []))
        elif message["role"] == "tool":
            out[-1][1].append(message["content"])
        elif message["role"] == role and out:
            text = message["content"].removeprefix(head).removesuffix(tail)
            out[-1][1].extend(text.split("\n"))
    return out
