"""Rendering a chat with the model's own template (offline backends)."""

from __future__ import annotations

from typing import Any

from eval_harness.backends.base import ChatRequest
from eval_harness.conversation import openai_tools


def render_prompt(tokenizer: Any, request: ChatRequest, template_kwargs: dict[str, Any]) -> str:
    """The prompt text: the chat template applied with ``tools=`` (function-calling mode) and the
    generation prompt. Assistant tool-call arguments are given to the template as objects."""
    messages = [_template_message(m) for m in request.messages]
    tools = openai_tools(request.tools) if request.tools else None
    return tokenizer.apply_chat_template(
        messages, tools=tools, add_generation_prompt=True, tokenize=False, **template_kwargs
    )


def encode_prompt(tokenizer: Any, request: ChatRequest, template_kwargs: dict[str, Any]) -> list[int]:
    """Token ids of the rendered prompt (the template already holds any BOS token)."""
    text = render_prompt(tokenizer, request, template_kwargs)
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def _template_message(message: dict[str, Any]) -> dict[str, Any]:
    if not message.get("tool_calls"):
        return message
    import json

    out = dict(message)
    calls = []
    for call in message["tool_calls"]:
        fn = dict(call["function"])
        if isinstance(fn.get("arguments"), str):
            try:
                fn["arguments"] = json.loads(fn["arguments"])
            except json.JSONDecodeError:
                pass
        calls.append({**call, "function": fn})
    out["tool_calls"] = calls
    return out
