"""A stand-in OpenAI-compatible chat server on 127.0.0.1 for tests (the ``llm`` generator's and
the judge's requests): scripted failures, a configurable responder, every request recorded."""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


# --------------------------------------------------------------------------- fake LLM server
def _answer(prompt: str) -> str:
    """A well-behaved stand-in model: a valid answer for every prompt kind of ``prompts``."""
    from robustbench_tc.perturbations.typos import add_typos

    keep = re.search(r"must appear unchanged in your output: (\[.*?\])\.\n", prompt)
    protect = json.loads(keep.group(1)) if keep else []
    if prompt.startswith("Introduce realistic typing mistakes"):
        text = prompt.split("\nText:\n", 1)[1]
        return add_typos(text, random.Random(len(text)), protect)[0].strip()
    if prompt.startswith("Rephrase the user request"):
        text = prompt.split("\nText:\n", 1)[1]
        return ("Kindly handle this. " + text).strip()
    if prompt.startswith("Rephrase the description"):
        desc = re.search(r"\nDescription: (.*)\n", prompt).group(1)
        return f"In other words: {desc}"
    if prompt.startswith("Rewrite the tool description"):
        figure = re.search(r"include the figure '(.*?)' verbatim", prompt).group(1)
        desc = re.search(r"\nDescription: (.*)\n", prompt).group(1)
        return f"{desc} Figure: {figure}."
    if "semantic-equivalence scale" in prompt:  # the quality judge
        return '{"score": 5, "reason": "Same intent and information."}'
    if prompt.startswith("You design APIs"):
        tool = json.loads(re.search(r"Existing tool: (\{.*\})\n", prompt).group(1))
        n = int(re.search(r"write (\d+) NEW tools", prompt).group(1))
        return (
            "```json\n"
            + json.dumps(
                [
                    {
                        "name": f"{tool['name']}_extra{i}",
                        "description": f"Extra helper {i}.",
                        "parameters": {
                            "type": "object",
                            "properties": {"q": {"type": "string"}},
                            "required": [],
                        },
                    }
                    for i in range(1, n + 1)
                ]
            )
            + "\n```"
        )
    raise AssertionError(f"unexpected prompt: {prompt[:80]}")


@dataclass
class FakeLLM:
    """A local OpenAI-compatible ``/v1/chat/completions`` server run by a test."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: list[tuple[int, str | None]] = field(default_factory=list)
    """Queued (status, content) replies served before the default model; content None = answer."""
    responder: Callable[[str], str] = _answer

    def reply(self, body: dict[str, Any]) -> tuple[int, dict[str, Any] | str]:
        self.requests.append(body)
        prompt = body["messages"][-1]["content"]
        status, content = self.script.pop(0) if self.script else (200, None)
        if status != 200:
            return status, {"error": {"message": "scripted failure"}}
        text = self.responder(prompt) if content is None else content
        return 200, {
            "id": "x",
            "object": "chat.completion",
            "model": body["model"],
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
        }


@contextmanager
def serve_fake_llm(port: int = 0, watchdog_s: float = 120) -> Iterator[FakeLLM]:
    """Serve on 127.0.0.1 (ephemeral port) for one test; stopped at teardown, and by a watchdog
    after 120 s whatever happens."""
    state: dict[str, FakeLLM] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server API; /health as vLLM answers it
            self.send_response(200 if self.path == "/health" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:  # noqa: N802 - http.server API
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length))
            status, payload = state["llm"].reply(body)
            data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    state["llm"] = FakeLLM(url=f"http://127.0.0.1:{server.server_address[1]}/v1")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    watchdog = threading.Timer(watchdog_s, server.shutdown)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield state["llm"]
    finally:
        watchdog.cancel()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
