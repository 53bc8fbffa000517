"""The ``llm`` generator: an OpenAI-compatible chat endpoint with an on-disk response cache.

* Every response is stored under ``cache_dir/<type>/<sha256(key)>.json`` with the key
  ``(type, sample id, input hash, model)``; a rebuild replays the cache and makes no request, so
  its rows are byte-identical.  Responses that fail validation are cached too (the regeneration
  attempt is part of the input hash, so a retry is a new key), which keeps rebuilds exact.
* Requests go through ``chat.ChatClient`` (retries with backoff on 429 / 5xx / timeouts).
* An empty, unchanged or otherwise unusable response raises ``GenerationError`` for that
  sample (``generators.validate``); the build regenerates the row, then falls back to the
  ``rules`` generator for it (``GeneratorConfig.fallback``), and reports the counts.
* Concurrency is bounded by the build's thread pool (``GeneratorConfig.concurrency``).
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

from robustbench_tc.formats.schema import SOURCE_TYPE_KEY, to_json_schema
from robustbench_tc.perturbations.chat import ChatClient, ChatError, ChatSettings, ResponseCache
from robustbench_tc.perturbations.generators import (
    GenerationError,
    GeneratorConfig,
    Task,
    validate,
    validate_tools,
)
from robustbench_tc.perturbations.prompts import SYSTEM, build_prompt
from robustbench_tc.records import Tool

DEFAULT_CACHE_DIR = Path.home() / ".cache" / "robustbench-tc" / "llm"


class LLMGenerator:
    """``Generator`` backed by an OpenAI-compatible ``/chat/completions`` endpoint."""

    concurrent = True

    def __init__(self, config: GeneratorConfig) -> None:
        if not config.model:
            raise ValueError("the 'llm' generator needs a model name")
        self.config = config
        self.label = config.label
        self.client = ChatClient(
            ChatSettings(
                model=config.model,
                base_url=config.base_url,
                api_key_env=config.api_key_env,
                timeout_s=config.timeout_s,
                max_retries=config.max_retries,
                backoff_s=config.backoff_s,
            )
        )
        self.url = self.client.url
        self.cache = ResponseCache(Path(config.cache_dir) if config.cache_dir else DEFAULT_CACHE_DIR)

    @property
    def requests_made(self) -> int:
        return self.client.requests

    def generate(self, task: Task) -> dict[str, Any]:
        key = {
            "type": task.code_name,
            "sample_id": task.sample_id,
            "input_hash": task.input_hash(),
            "model": str(self.config.model),
        }
        params = self.config.sampling()
        if params:
            key["sampling"] = json.dumps(params, sort_keys=True)
        text = self.cache.get(key)
        if text is None:
            prompt = build_prompt(task)
            messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}]
            try:
                text = self.client.complete(messages, **params)
            except ChatError as exc:
                raise GenerationError(task, exc.reason, transport=exc.endpoint_failed) from exc
            self.cache.put(key, text, prompt)
        out = parse_response(task, text)
        validate(task, out)
        return out


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
