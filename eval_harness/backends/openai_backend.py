"""Any OpenAI-compatible Chat Completions server (``vllm serve``, OpenAI, ...).

Requests of a pass run concurrently (at most ``--concurrency`` in flight), each with a timeout and
retries with exponential backoff (or the server's ``Retry-After``) on timeouts, connection errors,
429, 5xx and malformed 200 replies. A request that still fails becomes an error record (empty
output) instead of stopping the run.

Function-calling mode sends ``tools=``; tool names the API would reject (dots, e.g. BFCL's
``mutation_type.find``) are sanitised when ``--sanitize-tool-names`` says so (``auto``: only for
api.openai.com) and mapped back in the returned calls. Returned calls are recorded as
``<tool_call>{json}</tool_call>`` text (see ``conversation.calls_to_text``). For ``vllm serve``
start the server with ``--enable-auto-tool-choice --tool-call-parser hermes`` (the paper's setup).
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Mapping, Sequence
from typing import Any

from eval_harness.backends.base import Backend, BackendOptions, ChatRequest, Generation
from eval_harness.conversation import calls_to_text, openai_tools, sanitized_names
from eval_harness.manifest import ModelSettings
from eval_harness.revision import model_revision

OPENAI_URL = "https://api.openai.com/v1"
MAX_BACKOFF_S = 30.0
MAX_RETRY_AFTER_S = 60.0


class OpenAIBackend(Backend):
    name = "openai"

    def __init__(self, settings: ModelSettings, options: BackendOptions) -> None:
        self.settings = settings
        self.options = options
        self.base_url = options.base_url or OPENAI_URL
        self._version: str | None | bool = False

    @property
    def served_model(self) -> str:
        return self.options.served_model_name or self.settings.model

    def _sanitize(self) -> bool:
        mode = self.options.sanitize_tool_names
        if mode == "auto":
            return "api.openai.com" in self.base_url
        return mode == "always"

    def engine_version(self) -> str | None:
        """``vllm <version>`` when the server answers vLLM's ``/version``, else ``None``."""
        if self._version is False:
            self._version = None
            try:
                import httpx

                root = self.base_url.rstrip("/").removesuffix("/v1")
                response = httpx.get(f"{root}/version", timeout=5.0)
                if response.status_code == 200 and "version" in response.json():
                    self._version = f"vllm {response.json()['version']}"
            except Exception:  # noqa: BLE001 - not vLLM, or unreachable: unknown version
                self._version = None
        return self._version  # type: ignore[return-value]

    def model_revision(self) -> str | None:
        return model_revision(self.settings.model)

    def generate(self, requests: Sequence[ChatRequest]) -> list[Generation]:
        return asyncio.run(self._generate_all(requests))

    async def _generate_all(self, requests: Sequence[ChatRequest]) -> list[Generation]:
        from openai import AsyncOpenAI

        api_key = os.environ.get(self.options.api_key_env) or "EMPTY"
        client = AsyncOpenAI(
            base_url=self.base_url, api_key=api_key, timeout=self.options.timeout_s, max_retries=0
        )
        gate = asyncio.Semaphore(max(1, self.options.concurrency))
        try:
            return list(await asyncio.gather(*(self._one(client, gate, r) for r in requests)))
        finally:
            await client.close()

    def _body(self, request: ChatRequest) -> tuple[dict[str, Any], dict[str, str]]:
        names: dict[str, str] = {}
        if request.tools and self._sanitize():
            names = sanitized_names([t.name for t in request.tools])
        messages = [_rename_calls(m, names) for m in request.messages]
        if self._sanitize():
            messages = answered_tool_turns(messages)
        body: dict[str, Any] = {
            "model": self.served_model,
            "messages": messages,
            "max_completion_tokens": self.settings.max_tokens,
        }
        if self.settings.temperature is not None:
            body["temperature"] = self.settings.temperature
            if self.settings.temperature > 0:
                body["seed"] = self.settings.seed
        if request.tools:
            body["tools"] = openai_tools(request.tools, names)
        if self.settings.chat_template_kwargs:
            body["extra_body"] = {"chat_template_kwargs": self.settings.chat_template_kwargs}
        return body, {api: original for original, api in names.items()}

    async def _one(self, client: Any, gate: asyncio.Semaphore, request: ChatRequest) -> Generation:
        import openai

        retryable = (
            openai.APITimeoutError,
            openai.APIConnectionError,
            openai.RateLimitError,
            openai.InternalServerError,
        )
        malformed = (openai.APIError, ValueError, TypeError, KeyError, IndexError, AttributeError)
        body, back = self._body(request)
        error = ""
        for attempt in range(self.options.max_retries + 1):
            asked: float | None = None
            try:
                async with gate:
                    response = await client.chat.completions.create(**body)
                return _generation(response, back)
            except retryable as exc:
                error = f"{type(exc).__name__}: {exc}"
                asked = _asked_wait(exc)
            except openai.APIStatusError as exc:
                if exc.status_code < 500 and exc.status_code not in (408, 409, 429):
                    return Generation(text="", error=f"HTTP {exc.status_code}: {exc.message}")
                error = f"HTTP {exc.status_code}: {exc.message}"
                asked = _asked_wait(exc)
            except malformed as exc:  # a 200 without a usable completion (proxy page, no choices)
                error = f"malformed response ({type(exc).__name__}: {exc})"
            if attempt < self.options.max_retries:
                jitter = 0.5 + random.random() / 2
                await asyncio.sleep(
                    backoff_delay(attempt, self.options.retry_backoff_s, asked, jitter=jitter)
                )
        return Generation(text="", error=f"gave up after {self.options.max_retries + 1} tries: {error}")


def backoff_delay(
    attempt: int, base_s: float, retry_after_s: float | None = None, *, jitter: float = 1.0
) -> float:
    """Seconds to wait before retrying after failed try ``attempt`` (0-based): what the server
    asked for (``Retry-After``, capped at a minute), else ``base_s * 2**attempt`` capped at 30 s,
    times ``jitter`` (random in 0.5-1 when used).

    >>> [backoff_delay(a, 1.0) for a in range(6)]
    [1.0, 2.0, 4.0, 8.0, 16.0, 30.0]
    >>> backoff_delay(0, 1.0, 7.5), backoff_delay(0, 1.0, 600.0)
    (7.5, 60.0)
    """
    if retry_after_s is not None:
        return min(MAX_RETRY_AFTER_S, max(0.0, retry_after_s))
    return min(MAX_BACKOFF_S, base_s * 2.0**attempt) * jitter


def retry_after_s(headers: Mapping[str, str]) -> float | None:
    """The wait a 429/503 response asks for: ``retry-after-ms`` (OpenAI) or ``retry-after``
    (seconds; an HTTP date is ignored).

    >>> retry_after_s({"retry-after-ms": "250"}), retry_after_s({"retry-after": "3"}), retry_after_s({})
    (0.25, 3.0, None)
    """
    for key, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(key)
        if value is not None:
            try:
                return float(value) / scale
            except ValueError:
                return None
    return None


def _asked_wait(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    return retry_after_s(response.headers) if response is not None else None


def answered_tool_turns(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``messages`` with every ``tool`` turn that answers no call of the assistant turn before it
    sent as a ``user`` turn instead.

    Prompt-mode follow-ups (BFCL's ``[f(a=1)]``) and calls the model wrote as text have no structured
    ``tool_calls`` to answer, and api.openai.com refuses a ``tool`` turn without one (HTTP 400);
    vLLM's chat templates accept it, so this applies only where names are sanitised (the strict API).

    >>> turns = [{"role": "assistant", "content": "[f(a=1)]"}, {"role": "tool", "content": "429"}]
    >>> answered_tool_turns(turns)[1]
    {'role': 'user', 'content': '429'}
    >>> call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    >>> turns = [{"role": "assistant", "content": "", "tool_calls": [call]},
    ...          {"role": "tool", "tool_call_id": "c1", "content": "429"}]
    >>> answered_tool_turns(turns) == turns
    True
    """
    out: list[dict[str, Any]] = []
    open_ids: set[str] = set()
    for message in messages:
        role = message.get("role")
        if role == "assistant":
            open_ids = {c.get("id") for c in message.get("tool_calls") or [] if c.get("id")}
        elif role == "tool":
            if message.get("tool_call_id") in open_ids:
                out.append(message)
                continue
            message = {"role": "user", "content": message.get("content") or ""}
        else:
            open_ids = set()
        out.append(message)
    return out


def _rename_calls(message: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    if not names or not message.get("tool_calls"):
        return message
    calls = [
        {**c, "function": {**c["function"], "name": names.get(c["function"]["name"], c["function"]["name"])}}
        for c in message["tool_calls"]
    ]
    return {**message, "tool_calls": calls}


def _generation(response: Any, back: dict[str, str]) -> Generation:
    choice = response.choices[0]
    message = choice.message
    calls = []
    for call in message.tool_calls or []:
        fn = getattr(call, "function", None)
        if fn is None:
            continue
        calls.append({"id": call.id, "name": back.get(fn.name, fn.name), "arguments": fn.arguments})
    content = message.content or ""
    text = calls_to_text(content, calls) if calls else content
    usage = getattr(response, "usage", None)
    meta: dict[str, Any] = {"finish_reason": choice.finish_reason}
    if usage is not None:
        meta.update(prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens)
    return Generation(text=text, tool_calls=calls, meta=meta)
