"""The OpenAI-compatible client against a real local HTTP server that scripts its replies:
retries (429 / 5xx / timeouts / malformed 200s), error records after the last retry, bounded
concurrency, per-model request settings, structured calls, tool-name sanitising and the pass-2
fault turn sent back to the server."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from eval_harness.backends import BackendOptions
from eval_harness.manifest import resolve_model
from eval_harness.runner import RunOptions, run_eval
from robustbench_tc.predictions import PredictionRecord
from robustbench_tc.taxonomy import TRANSITION_ERRORS
from robustbench_tc.testing.mini_dataset import score_file

#: (status, headers, body: JSON-able or raw bytes, seconds to wait before answering)
Reply = tuple[int, dict[str, str], Any, float]
FAST_RETRY = {"retry-after-ms": "1"}


@dataclass
class Scripted:
    """A Chat Completions endpoint answering with ``script(body, n)`` (n: 1-based request count)."""

    script: Callable[[dict[str, Any], int], Reply]
    bodies: list[dict[str, Any]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""


def completion(content: str | None = None, calls: list[tuple[str, str]] = ()) -> dict[str, Any]:
    tool_calls = [
        {"id": f"srv_{i}", "type": "function", "function": {"name": n, "arguments": a}}
        for i, (n, a) in enumerate(calls)
    ]
    return {
        "id": "c",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls" if calls else "stop",
                "message": {"role": "assistant", "content": content, "tool_calls": tool_calls or None},
            }
        ],
        "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
    }


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[dict[str, Any], int], Reply]], Scripted]]:
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(script: Callable[[dict[str, Any], int], Reply]) -> Scripted:
        state = Scripted(script)

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # /version: not a vLLM server
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with state.lock:
                    state.bodies.append(body)
                    n = len(state.bodies)
                    state.in_flight += 1
                    state.max_in_flight = max(state.max_in_flight, state.in_flight)
                try:
                    status, headers, payload, delay = state.script(body, n)
                    time.sleep(delay)
                    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout test)
                finally:
                    with state.lock:
                        state.in_flight -= 1

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        return state

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def run(
    dataset: Path,
    out: Path,
    state: Scripted,
    *,
    model: str = "served-model",
    mode: str = "fc",
    configs: tuple[str, ...] = ("clean",),
    **backend: Any,
) -> tuple[list[PredictionRecord], Any]:
    options = RunOptions(
        dataset=dataset,
        out=out,
        backend="openai",
        configs=configs,
        progress=False,
        retry_errors=backend.pop("retry_errors", False),
        backend_options=BackendOptions(base_url=state.url, **{"retry_backoff_s": 0.01, **backend}),
    )
    summary = run_eval(resolve_model(model, mode=mode), options)
    lines = out.read_text(encoding="utf-8").splitlines()
    return [PredictionRecord.model_validate_json(line) for line in lines[1:]], summary


def test_rate_limits_are_retried_and_calls_recorded_by_their_dataset_name(
    serve: Callable, mini_dataset: Path, tmp_path: Path
) -> None:
    def script(body: dict[str, Any], n: int) -> Reply:
        if n <= 4:
            return 429, FAST_RETRY, {"error": {"message": "slow down"}}, 0.0
        names = [t["function"]["name"] for t in body["tools"]]
        return 200, {}, completion(None, [(names[0], '{"city": "Paris"}')]), 0.0

    state = serve(script)
    records, summary = run(
        mini_dataset, tmp_path / "p.jsonl", state, sanitize_tool_names="always", max_retries=4
    )
    assert summary.errors == 0 and len(state.bodies) == 3 + 4
    sent = {t["function"]["name"] for b in state.bodies for t in b["tools"]}
    assert "weather_get" in sent and "weather.get" not in sent
    bfcl = next(r for r in records if r.id.startswith("bfcl"))
    assert bfcl.raw_output == '<tool_call>{"name": "weather.get", "arguments": {"city": "Paris"}}</tool_call>'
    assert bfcl.meta == {"finish_reason": "tool_calls", "prompt_tokens": 7, "completion_tokens": 3}
    report = score_file(mini_dataset, ["clean"], tmp_path / "p.jsonl")
    assert round(report.configs[0].acc.value * 3) == 1  # the BFCL call matches gold


@pytest.mark.parametrize(
    "reply",
    [
        (503, {}, {"error": {"message": "overloaded"}}, 0.0),
        (200, {}, {"choices": []}, 0.0),  # a 200 without a completion
        (200, {}, b"<html>bad gateway</html>", 0.0),  # a proxy's page
        (200, {}, {"error": {"message": "boom"}}, 0.0),
    ],
)
def test_exhausted_retries_become_error_records_and_retry_errors_redoes_them(
    serve: Callable, mini_dataset: Path, tmp_path: Path, reply: Reply
) -> None:
    broken = serve(lambda body, n: reply)
    records, summary = run(mini_dataset, tmp_path / "p.jsonl", broken, max_retries=2)
    assert len(broken.bodies) == 3 * 3 and summary.errors == 3
    assert all(r.raw_output == "" and r.error.startswith("gave up after 3 tries") for r in records)

    healthy = serve(lambda body, n: (200, {}, completion("fine"), 0.0))
    records, summary = run(mini_dataset, tmp_path / "p.jsonl", healthy, retry_errors=True)
    assert summary.generated == 3 and all(r.error is None and r.raw_output == "fine" for r in records)


def test_a_client_error_is_not_retried(serve: Callable, mini_dataset: Path, tmp_path: Path) -> None:
    state = serve(lambda body, n: (400, {}, {"error": {"message": "context too long"}}, 0.0))
    records, summary = run(mini_dataset, tmp_path / "p.jsonl", state, max_retries=3)
    assert len(state.bodies) == 3 and summary.errors == 3
    assert all(r.error.startswith("HTTP 400") for r in records)


def test_timeouts_are_retried(serve: Callable, mini_dataset: Path, tmp_path: Path) -> None:
    state = serve(lambda body, n: (200, {}, completion("late" if n <= 3 else "ok"), 1.0 if n <= 3 else 0.0))
    records, _ = run(mini_dataset, tmp_path / "p.jsonl", state, timeout_s=0.3, max_retries=2)
    assert [r.raw_output for r in records] == ["ok"] * 3


def test_concurrency_is_bounded(serve: Callable, mini_dataset: Path, tmp_path: Path) -> None:
    state = serve(lambda body, n: (200, {}, completion("ok"), 0.2))
    run(mini_dataset, tmp_path / "p.jsonl", state, configs=("clean", "CD"), concurrency=2)
    assert len(state.bodies) == 6 and state.max_in_flight == 2


def test_qwen3_settings_reach_the_server(serve: Callable, mini_dataset: Path, tmp_path: Path) -> None:
    state = serve(lambda body, n: (200, {}, completion("ok"), 0.0))
    run(mini_dataset, tmp_path / "p.jsonl", state, model="Qwen3-8B", mode=None)
    body = state.bodies[0]
    assert body["model"] == "Qwen/Qwen3-8B" and body["tools"]
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert (body["temperature"], body["max_completion_tokens"]) == (0.0, 1024) and "seed" not in body


def test_fc_fault_answers_every_call_with_its_id(serve: Callable, mini_dataset: Path, tmp_path: Path) -> None:
    config = "transient_server_error"

    def script(body: dict[str, Any], n: int) -> Reply:
        if body["messages"][-1]["role"] == "tool":
            return 200, {}, completion("The tool is rate limited."), 0.0
        names = [t["function"]["name"] for t in body["tools"]]
        return 200, {}, completion("Checking.", [(names[0], "{}"), (names[-1], '{"a": 1}')]), 0.0

    state = serve(script)
    records, summary = run(
        mini_dataset, tmp_path / "p.jsonl", state, configs=(config,), sanitize_tool_names="always"
    )
    assert summary.transition_injected == 3
    second = [b for b in state.bodies if b["messages"][-1]["role"] == "tool"]
    assert len(second) == 3
    for body in second:
        assistant, *tools = body["messages"][-3:]
        assert assistant["content"] == "Checking."
        assert [c["id"] for c in assistant["tool_calls"]] == ["srv_0", "srv_1"]
        api_names = {t["function"]["name"] for t in body["tools"]}
        assert {c["function"]["name"] for c in assistant["tool_calls"]} <= api_names
        assert tools == [
            {"role": "tool", "tool_call_id": f"srv_{i}", "content": TRANSITION_ERRORS[config]}
            for i in range(2)
        ]
    for r in records:
        assert r.transition_injected and r.raw_output == "The tool is rate limited."
        assert r.first_pass_output.startswith("Checking.\n<tool_call>")


@pytest.mark.parametrize("sanitize, fault_role", [("always", "user"), ("never", "tool")])
def test_a_fault_for_calls_written_as_text_suits_the_strict_api(
    serve: Callable, mini_dataset: Path, tmp_path: Path, sanitize: str, fault_role: str
) -> None:
    """Calls that came back as text have no id to answer: api.openai.com (names sanitised) gets the
    fault as a user turn, vLLM-style servers keep the tool turn their chat templates expect."""
    config = "transient_timeout"

    def script(body: dict[str, Any], n: int) -> Reply:
        if len(body["messages"]) > 2:
            return 200, {}, completion("Done."), 0.0
        name = body["tools"][0]["function"]["name"]
        return 200, {}, completion(f'<tool_call>{{"name": "{name}", "arguments": {{}}}}</tool_call>'), 0.0

    state = serve(script)
    records, summary = run(
        mini_dataset, tmp_path / "p.jsonl", state, configs=(config,), sanitize_tool_names=sanitize
    )
    assert summary.transition_injected == 3 and summary.errors == 0
    second = [b for b in state.bodies if len(b["messages"]) > 2]
    assert len(second) == 3
    for body in second:
        assistant, fault = body["messages"][-2:]
        assert assistant["role"] == "assistant" and not assistant.get("tool_calls")
        assert fault["role"] == fault_role and fault["content"] == TRANSITION_ERRORS[config]
