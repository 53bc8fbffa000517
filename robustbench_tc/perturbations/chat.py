"""One OpenAI-compatible ``/chat/completions`` client for the ``llm`` generator and the judge.

* HTTP 429 / 5xx, timeouts and connection errors are retried with exponential backoff
  (``backoff_s * 2**k``, or the server's ``Retry-After``, at most ``MAX_RETRY_AFTER_S``), at most
  ``max_retries`` times; other 4xx fail at once (a retry cannot fix them).
* The key is read from the environment variable ``api_key_env`` (unset: no auth header), so it
  never appears in a command line, a cache file or an output.
* ``ResponseCache`` stores one JSON file per request key (atomic rename: safe for concurrent
  writers); callers replay it so that a rerun makes no request.

>>> ChatClient(ChatSettings(model="m", base_url="http://127.0.0.1:8000/v1/")).url
'http://127.0.0.1:8000/v1/chat/completions'
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.perturbations.seeding import stable_hash

DEFAULT_BASE_URL = "https://api.openai.com/v1"
MAX_RETRY_AFTER_S = 30.0


class ChatError(RobustBenchError, RuntimeError):
    """A request that got no usable completion (after the retries that apply)."""

    def __init__(self, reason: str, *, retryable: bool = False, status: int | None = None) -> None:
        self.reason = reason
        self.retryable = retryable
        self.status = status
        super().__init__(reason)

    @property
    def endpoint_failed(self) -> bool:
        """The endpoint is down or refuses every request (retries exhausted, 401/403/404), as
        opposed to a request it rejected for its content (400: too long, ...)."""
        return self.retryable or self.status in (401, 403, 404)


@dataclass(frozen=True)
class ChatSettings:
    """Where and how to ask: endpoint, model, limits (sampling parameters go per request)."""

    model: str
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    timeout_s: float = 60.0
    max_retries: int = 4
    backoff_s: float = 1.0


class ChatClient:
    """A thread-safe client; ``requests`` counts the HTTP requests sent (retries included)."""

    def __init__(self, settings: ChatSettings) -> None:
        self.settings = settings
        self.url = (settings.base_url or DEFAULT_BASE_URL).rstrip("/") + "/chat/completions"
        self.requests = 0
        self._lock = threading.Lock()
        self._client: Any = None

    def _http(self) -> Any:
        with self._lock:
            if self._client is None:
                import httpx

                self._client = httpx.Client(timeout=self.settings.timeout_s)
            return self._client

    def complete(self, messages: list[dict[str, str]], **params: Any) -> str:
        """The text of the first choice; ``params`` (temperature, max_tokens, ...) are sent as
        given, ``None`` values left out so that the server's defaults apply."""
        import httpx

        headers = {"Content-Type": "application/json"}
        api_key = os.environ.get(self.settings.api_key_env)
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        body = {"model": self.settings.model, "messages": messages}
        body.update({k: v for k, v in params.items() if v is not None})
        last = ""
        retries = self.settings.max_retries
        for attempt in range(retries + 1):
            delay = self.settings.backoff_s * (2**attempt)
            try:
                with self._lock:
                    self.requests += 1
                resp = self._http().post(self.url, json=body, headers=headers)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if resp.status_code == 429 or resp.status_code >= 500:
                    last = f"HTTP {resp.status_code}"
                    retry_after = resp.headers.get("retry-after", "")
                    if retry_after.replace(".", "", 1).isdigit():
                        delay = min(float(retry_after), MAX_RETRY_AFTER_S)
                elif resp.status_code >= 400:
                    raise ChatError(
                        f"HTTP {resp.status_code} from {self.url}: {resp.text[:200]}", status=resp.status_code
                    )
                else:
                    return _content(resp)
            if attempt < retries:
                time.sleep(delay)
        raise ChatError(f"no response after {retries + 1} tries from {self.url} ({last})", retryable=True)


def _content(resp: Any) -> str:
    try:
        content = resp.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ChatError(f"malformed chat completion: {resp.text[:200]!r}") from exc
    if not isinstance(content, str):
        raise ChatError("the chat completion has no text content")
    return content


class ResponseCache:
    """One JSON file per request key under ``root/<key["type"]>/``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: dict[str, Any]) -> Path:
        return self.root / str(key["type"]) / f"{stable_hash(key)}.json"

    def get(self, key: dict[str, Any]) -> str | None:
        path = self.path(key)
        if not path.is_file():
            return None
        return str(json.loads(path.read_text(encoding="utf-8"))["response"])

    def put(self, key: dict[str, Any], response: str, prompt: str) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        record = {"key": key, "prompt": prompt, "response": response}
        tmp.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
