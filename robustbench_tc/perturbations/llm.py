"""The ``llm`` generator: an OpenAI-compatible chat endpoint with an on-disk response cache.

* Every response is stored under ``cache_dir/<type>/<sha256(key)>.json`` with the key
  ``(type, sample id, input hash, model)``; a rebuild replays the cache and makes no request, so
  its rows are byte-identical.  Responses that fail validation are cached too (the regeneration
  attempt is part of the input hash, so a retry is a new key), which keeps rebuilds exact.
* HTTP 429 / 5xx, timeouts and connection errors are retried with exponential backoff
  (``backoff_s * 2**k``, or the server's ``Retry-After``), at most ``max_retries`` times.
* An empty, unchanged or otherwise unusable response raises ``GenerationError`` for that
  sample (``generators.validate``); nothing is ever replaced by the clean text silently.
* Concurrency is bounded by the build's thread pool (``GeneratorConfig.concurrency``).
"""

from __future__ import annotations

import difflib
import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

from robustbench_tc.formats.schema import SOURCE_TYPE_KEY, to_json_schema
from robustbench_tc.perturbations.generators import (
    GenerationError,
    GeneratorConfig,
    Task,
    validate,
    validate_tools,
)
from robustbench_tc.perturbations.prompts import SYSTEM, build_prompt
from robustbench_tc.perturbations.seeding import stable_hash
from robustbench_tc.records import Tool

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "robustbench-tc" / "llm"
MAX_RETRY_AFTER_S = 30.0


class ResponseCache:
    """One JSON file per request key; safe for concurrent writers (atomic rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: dict[str, str]) -> Path:
        return self.root / key["type"] / f"{stable_hash(key)}.json"

    def get(self, key: dict[str, str]) -> str | None:
        path = self.path(key)
        if not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))["response"]

    def put(self, key: dict[str, str], response: str, prompt: str) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        record = {"key": key, "prompt": prompt, "response": response}
        tmp.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)


class LLMGenerator:
    """``Generator`` backed by an OpenAI-compatible ``/chat/completions`` endpoint."""

    concurrent = True

    def __init__(self, config: GeneratorConfig) -> None:
        if not config.model:
            raise ValueError("the 'llm' generator needs a model name")
        self.config = config
        self.label = config.label
        self.url = (config.base_url or DEFAULT_BASE_URL).rstrip("/") + "/chat/completions"
        self.cache = ResponseCache(Path(config.cache_dir) if config.cache_dir else DEFAULT_CACHE_DIR)
        self.requests_made = 0
        self._lock = threading.Lock()
        self._client: Any = None

    # ------------------------------------------------------------------ public
    def generate(self, task: Task) -> dict[str, Any]:
        key = {
            "type": task.code_name,
            "sample_id": task.sample_id,
            "input_hash": task.input_hash(),
            "model": str(self.config.model),
        }
        text = self.cache.get(key)
        if text is None:
            prompt = build_prompt(task)
            text = self._complete(task, prompt)
            self.cache.put(key, text, prompt)
        out = parse_response(task, text)
        validate(task, out)
        return out

    # ------------------------------------------------------------------ HTTP
    def _http(self) -> Any:
        with self._lock:
            if self._client is None:
                import httpx

                self._client = httpx.Client(timeout=self.config.timeout_s)
            return self._client

    def _complete(self, task: Task, prompt: str) -> str:
        import httpx

        headers = {"Content-Type": "application/json"}
        api_key = os.environ.get(self.config.api_key_env)
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        body = {
            "model": self.config.model,
            "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}],
        }
        last = ""
        for attempt in range(self.config.max_retries + 1):
            delay = self.config.backoff_s * (2**attempt)
            try:
                with self._lock:
                    self.requests_made += 1
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
                    raise GenerationError(task, f"HTTP {resp.status_code} from {self.url}: {resp.text[:200]}")
                else:
                    return _content(task, resp)
            if attempt < self.config.max_retries:
                time.sleep(delay)
        raise GenerationError(task, f"no response after {self.config.max_retries + 1} tries ({last})")


def _content(task: Task, resp: Any) -> str:
    try:
        content = resp.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise GenerationError(task, f"malformed chat completion: {resp.text[:200]!r}") from exc
    if not isinstance(content, str):
        raise GenerationError(task, "the chat completion has no text content")
    return content


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.S)


def parse_response(task: Task, text: str) -> dict[str, Any]:
    """Turn a raw completion into the task's output dict (``{"text"}`` or ``{"tools"}``)."""
    if task.kind == "redundant_tools":
        return {"tools": _parse_tools(task, text)}
    cleaned = text.strip()
    original = str(task.inputs.get("text", task.inputs.get("description", "")))
    for q in ('"', "'", "\u201c"):
        if len(cleaned) > 1 and cleaned[0] == q and cleaned[-1] in (q, "\u201d") and original[:1] != q:
            cleaned = cleaned[1:-1].strip()
    if task.kind in ("typo", "query_paraphrase"):
        # keep the query's own leading/trailing whitespace (API-Bank dialogues end with "\n")
        lead = original[: len(original) - len(original.lstrip())]
        trail = original[len(original.rstrip()) :]
        cleaned = lead + cleaned + trail if cleaned else ""
    out: dict[str, Any] = {"text": cleaned}
    if task.kind in ("typo", "query_paraphrase") and cleaned:
        out["edits"] = word_diff(original, cleaned)
        if task.kind == "typo":
            out["n_typos"] = sum(max(len(e["word"].split()), len(e["typo"].split()), 1) for e in out["edits"])
    return out


def word_diff(before: str, after: str) -> list[dict[str, Any]]:
    """Changed word runs between two texts, with the offset of each run in ``before``.

    >>> word_diff("Find the type", "Find teh tpye")
    [{'offset': 5, 'word': 'the type', 'typo': 'teh tpye'}]
    """
    a_tokens = [(m.start(), m.group()) for m in re.finditer(r"\S+", before)]
    b_tokens = [m.group() for m in re.finditer(r"\S+", after)]
    matcher = difflib.SequenceMatcher(a=[t for _, t in a_tokens], b=b_tokens, autojunk=False)
    edits = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        offset = a_tokens[i1][0] if i1 < len(a_tokens) else len(before)
        edits.append(
            {
                "offset": offset,
                "word": " ".join(t for _, t in a_tokens[i1:i2]),
                "typo": " ".join(b_tokens[j1:j2]),
            }
        )
    return edits


def _parse_tools(task: Task, text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(_FENCE.sub("", text.strip()))
    except json.JSONDecodeError as exc:
        raise GenerationError(task, f"invalid JSON for RedunTool: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("tools"), list):
        data = data["tools"]
    if not isinstance(data, list):
        raise GenerationError(task, "expected a JSON array of tools")
    spelling: dict[str, str] = task.inputs.get("spelling", {})
    tools = []
    for entry in data:
        if not isinstance(entry, dict):
            raise GenerationError(task, f"a tool is not a JSON object: {str(entry)[:80]!r}")
        params = to_json_schema(entry.get("parameters") or {"type": "object", "properties": {}})
        if isinstance(params, dict):
            params.setdefault("type", "object")
            params.setdefault("required", [])
            for node in (params.get("properties") or {}).values():
                if isinstance(node, dict) and node.get("type") in spelling and SOURCE_TYPE_KEY not in node:
                    typed = {"type": node["type"], SOURCE_TYPE_KEY: spelling[node["type"]]}
                    rest = {k: v for k, v in node.items() if k != "type"}
                    node.clear()
                    node.update({**typed, **rest})
        tools.append(
            {"name": entry.get("name"), "description": entry.get("description"), "parameters": params}
        )
    validate_tools(task, tools)
    try:
        return [Tool.model_validate(t).model_dump() for t in tools]
    except ValueError as exc:
        raise GenerationError(task, f"invalid tool: {exc}") from exc
