"""A scripted backend for harness tests: answers by the user's query, records every call."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from eval_harness.backends.base import Backend, ChatRequest, Generation
from robustbench_tc.taxonomy import TRANSITION_ERRORS

#: First-pass replies by query: a parseable call in each source's format, or plain text.
CALLS = {
    "What is the weather in Paris?": '[weather.get(city="Paris")]',
    "Convert 10 to EUR please.": "I cannot help with currency conversion.",
    "Tell me about Madrid.": 'Thought: look it up\nAction: search_city\nAction Input: {"query": "Madrid"}',
}
AFTER_FAULT = "The tool failed; please try again later."


def scripted_reply(request: ChatRequest) -> Generation:
    last = request.messages[-1]["content"]
    if any(error in last for error in TRANSITION_ERRORS.values()):
        return Generation(text=AFTER_FAULT, meta={"finish_reason": "stop"})
    query = next(m["content"] for m in request.messages if m["role"] == "user")
    query = query.split(" (case ")[0]  # copies of the mini samples (write_mini_dataset(copies=))
    return Generation(text=CALLS[query], meta={"finish_reason": "stop"})


class FakeBackend(Backend):
    name = "fake"

    def __init__(
        self, reply: Callable[[ChatRequest], Generation] = scripted_reply, fail_after_calls: int | None = None
    ) -> None:
        self.reply = reply
        self.calls: list[list[ChatRequest]] = []
        self.fail_after_calls = fail_after_calls
        self.closed = False

    def engine_version(self) -> str | None:
        return "0"

    def generate(self, requests: Sequence[ChatRequest]) -> list[Generation]:
        if self.fail_after_calls is not None and len(self.calls) >= self.fail_after_calls:
            raise KeyboardInterrupt("simulated crash")
        self.calls.append(list(requests))
        return [self.reply(r) for r in requests]

    def close(self) -> None:
        self.closed = True
