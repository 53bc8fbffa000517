"""What the model sees: the chat for each sample (prompt or function-calling mode), the OpenAI
``tools=`` list, how function-calling replies are recorded as raw text, and the transition
follow-up turns.

Prompt mode: ``[system: sample.system_prompt] + sample.messages`` (tools are in the prompt text),
with the user turn ending as the source's own does (RoTBench: ``"\\nBegin!\\n"``).
Function-calling mode: ``[system: FC_SYSTEM_PROMPT] + sample.messages`` with ``tools=``.

>>> from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample, Tool
>>> s = Sample(id="x", source="rotbench", system_prompt="SYS",
...            messages=[Message(role="user", content="hi")],
...            tools=[Tool(name="search.city", parameters={"type": "object", "properties":
...                   {"q": {"type": "number", "x-source-type": "float"}}, "required": ["q"]})],
...            golden_answers=[GoldAnswer(calls=[GoldCall(name="search.city")])],
...            output_format="react")
>>> [m["role"] for m in build_messages(s, "prompt")], build_messages(s, "prompt")[0]["content"]
(['system', 'user'], 'SYS')
>>> openai_tools(s.tools)[0]["function"]["parameters"]["properties"]
{'q': {'type': 'number'}}
>>> follow_up(s, "prompt", "Action: search.city", [], "HTTP 500")[-1]
{'role': 'user', 'content': 'Observation: HTTP 500'}
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from robustbench_tc.formats import json_type
from robustbench_tc.formats.schema import SOURCE_TYPE_KEY
from robustbench_tc.records import Sample, Tool
from robustbench_tc.sources import get_source

FC_SYSTEM_PROMPT = (
    "You are a helpful assistant with access to tools. When a tool can fulfil the user's "
    "request, call it with the right arguments."
)
"""Function-calling mode's system prompt: generic, so the tools come only through ``tools=``."""

_API_NAME = re.compile(r"[^a-zA-Z0-9_-]")
_ELEMENT_TYPE = re.compile(r"[\[(](.+)[\])]")  # "list(str)" / "List[int]" -> "str" / "int"

# Prompt mode: how a tool's response comes back in each source's own convention.


def build_messages(sample: Sample, mode: str) -> list[dict[str, Any]]:
    """The first-pass conversation for ``sample`` in ``mode`` (``prompt`` or ``fc``)."""
    system = sample.system_prompt if mode == "prompt" else FC_SYSTEM_PROMPT
    messages = [{"role": "system", "content": system}] if system else []
    turns = [{"role": m.role, "content": m.content} for m in sample.messages]
    suffix = get_source(sample.source).user_turn_suffix if mode == "prompt" else ""
    return messages + with_user_suffix(turns, suffix)


def with_user_suffix(turns: list[dict[str, Any]], suffix: str) -> list[dict[str, Any]]:
    """``turns`` with ``suffix`` ending the last user turn (kept once if it is already there).

    >>> with_user_suffix([{"role": "user", "content": "Where is Madrid?"}], "\\nBegin!\\n")
    [{'role': 'user', 'content': 'Where is Madrid?\\nBegin!\\n'}]
    >>> with_user_suffix([{"role": "user", "content": "q\\nBegin!\\n"}], "\\nBegin!\\n")[0]["content"]
    'q\\nBegin!\\n'
    """
    last = max((i for i, t in enumerate(turns) if t["role"] == "user"), default=None)
    if not suffix or last is None or turns[last]["content"].endswith(suffix):
        return turns
    return [{**t, "content": t["content"] + suffix} if i == last else t for i, t in enumerate(turns)]


def strip_source_types(schema: Any) -> Any:
    """A JSON Schema without the ``x-source-type`` annotations (recursively).

    >>> strip_source_types({"a": {"type": "integer", "x-source-type": "int"}, "b": [{"x-source-type": 1}]})
    {'a': {'type': 'integer'}, 'b': [{}]}
    """
    if isinstance(schema, dict):
        return {k: strip_source_types(v) for k, v in schema.items() if k != SOURCE_TYPE_KEY}
    if isinstance(schema, list):
        return [strip_source_types(v) for v in schema]
    return schema


def with_array_items(schema: Any) -> Any:
    """A JSON Schema whose array nodes all have ``items`` (recursively; the input is not modified).

    OpenAI rejects an array schema without one (HTTP 400 "array schema missing items"); API-Bank
    spells such parameters ``list`` / ``list(str)``.  The element type is the one the source
    spelling names, else any value (``{}``).

    >>> with_array_items({"type": "array", "x-source-type": "list(str)"})["items"]
    {'type': 'string'}
    >>> with_array_items({"type": "array", "x-source-type": "list"})["items"]
    {}
    """
    if isinstance(schema, list):
        return [with_array_items(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: with_array_items(v) for k, v in schema.items()}
    types = schema.get("type")
    if (types == "array" or isinstance(types, list) and "array" in types) and "items" not in schema:
        element = _ELEMENT_TYPE.search(str(schema.get(SOURCE_TYPE_KEY, "")))
        item_type = json_type(element.group(1).strip()) if element else None
        out["items"] = {"type": item_type} if item_type else {}
    return out


def openai_tools(tools: Sequence[Tool], names: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """OpenAI ``tools=`` entries; ``names`` maps a tool name to the name to show (sanitising).
    Parameters lose the ``x-source-type`` markers and every array gets ``items``."""
    out = []
    for tool in tools:
        out.append(
            {
                "type": "function",
                "function": {
                    "name": (names or {}).get(tool.name, tool.name),
                    "description": tool.description,
                    "parameters": strip_source_types(with_array_items(copy.deepcopy(tool.parameters))),
                },
            }
        )
    return out


def sanitized_names(names: Sequence[str]) -> dict[str, str]:
    """Names valid for the OpenAI API (``^[a-zA-Z0-9_-]{1,64}$``), unique, as ``{original: api}``.

    >>> sanitized_names(["mutation_type.find", "mutation_type_find", "ok"])
    {'mutation_type.find': 'mutation_type_find_2', 'mutation_type_find': 'mutation_type_find', 'ok': 'ok'}
    """
    out: dict[str, str] = {}
    valid = [n for n in names if not _API_NAME.search(n) and 0 < len(n) <= 64]
    taken = set(valid)
    for name in valid:
        out[name] = name
    for name in names:
        if name in out:
            continue
        base = (_API_NAME.sub("_", name) or "tool")[:60]
        candidate, i = base, 2
        while candidate in taken:
            candidate, i = f"{base}_{i}", i + 1
        taken.add(candidate)
        out[name] = candidate
    return {n: out[n] for n in names}


def calls_to_text(content: str | None, calls: Sequence[dict[str, Any]]) -> str:
    """Function-calling replies as the raw text the scorer parses: the reply's text, then one
    ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` per call (Hermes style).

    >>> calls_to_text("", [{"name": "f.g", "arguments": '{"a": 1}'}])
    '<tool_call>{"name": "f.g", "arguments": {"a": 1}}</tool_call>'
    """
    parts = [content.strip()] if content and content.strip() else []
    for call in calls:
        arguments = call.get("arguments")
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except json.JSONDecodeError:
                pass  # kept verbatim as a string: the scorer sees what the model produced
        payload = json.dumps({"name": call.get("name"), "arguments": arguments}, ensure_ascii=False)
        parts.append(f"<tool_call>{payload}</tool_call>")
    return "\n".join(parts)


@dataclass(frozen=True)
class Turn:
    """One earlier model turn of an episode and what the tools sent back for it.

    ``calls`` are structured calls an API returned (``id``, ``name``, ``arguments``), if any;
    ``observations`` are the tool messages (one per call; empty for a turn that made no call)."""

    output: str
    calls: Sequence[dict[str, Any]] = ()
    observations: Sequence[str] = ()


def episode_messages(sample: Sample, mode: str, turns: Sequence[Turn]) -> list[dict[str, Any]]:
    """The conversation for the next turn of an episode: the first-pass chat, then each earlier
    turn followed by its tool messages.

    FC mode: with structured calls (one per observation) the assistant turn carries ``tool_calls``
    and each observation is a ``tool`` message with its ``tool_call_id``; otherwise the turn's text is
    kept verbatim and each observation is a ``tool`` message.  Prompt mode: the source's
    observation turn (``sources.observation_turn``): one ``tool`` message per observation (BFCL),
    or one turn holding them all, one per line (``Observation: ...`` for ReAct, ``<obs> ... </obs>``
    for ToolRL).

    >>> from robustbench_tc.records import GoldAnswer, GoldCall, Message
    >>> s = Sample(id="x", source="toolalpaca", messages=[Message(role="user", content="hi")],
    ...            tools=[], golden_answers=[GoldAnswer(calls=[GoldCall(name="f")])], output_format="react")
    >>> episode_messages(s, "prompt", [Turn("Action: f", (), ['{"ok": 1}']), Turn("Action: f", (), ["E"])])[-3:]
    [{'role': 'user', 'content': 'Observation: {"ok": 1}'}, {'role': 'assistant', 'content': 'Action: f'}, {'role': 'user', 'content': 'Observation: E'}]
    """
    messages = build_messages(sample, mode)
    role, template = get_source(sample.source).observation_turn
    for turn in turns:
        if mode == "fc":
            if turn.calls and len(turn.calls) == len(turn.observations):
                ids = [c.get("id") or f"call_{i}" for i, c in enumerate(turn.calls)]
                messages.append(
                    {
                        "role": "assistant",
                        "content": _text_before_calls(turn.output),
                        "tool_calls": [
                            {
                                "id": call_id,
                                "type": "function",
                                "function": {
                                    "name": c["name"],
                                    "arguments": _json_arguments(c.get("arguments")),
                                },
                            }
                            for call_id, c in zip(ids, turn.calls)
                        ],
                    }
                )
                messages += [
                    {"role": "tool", "tool_call_id": call_id, "content": text}
                    for call_id, text in zip(ids, turn.observations)
                ]
            else:
                messages.append({"role": "assistant", "content": turn.output})
                messages += [{"role": "tool", "content": text} for text in turn.observations]
            continue
        messages.append({"role": "assistant", "content": turn.output})
        if not turn.observations:
            continue
        if role == "tool":
            messages += [
                {"role": "tool", "content": template.format(error=text)} for text in turn.observations
            ]
        else:
            messages.append({"role": role, "content": template.format(error="\n".join(turn.observations))})
    return messages


def fault_turn(
    mode: str, source: str, output: str, calls: Sequence[dict[str, Any]], error: str, n_calls: int
) -> Turn:
    """Pass 1 answered with a transition fault (Appendix G) as an episode turn: the fault once per
    call where each call gets its own tool message (FC, BFCL), once for the turn otherwise."""
    role = get_source(source).observation_turn[0]
    if mode == "fc" and calls:
        count = len(calls)
    else:
        count = max(1, n_calls) if mode == "fc" or role == "tool" else 1
    return Turn(output, calls, [error] * count)


def follow_up(
    sample: Sample,
    mode: str,
    first_output: str,
    first_calls: Sequence[dict[str, Any]],
    error: str,
    n_calls: int = 1,
) -> list[dict[str, Any]]:
    """The pass-2 conversation of a transition record: a one-fault episode whose first turn is
    pass 1 and whose tool messages are the fault (``fault_turn``).

    ``first_calls`` are structured calls an API returned (``id``, ``name``, ``arguments``); with
    them the assistant turn carries ``tool_calls`` and each call gets its own tool message.
    Without them, ``n_calls`` (the calls parsed from ``first_output``) tool messages answer the
    turn where tool messages are the convention (FC, BFCL); ReAct's ``Observation:`` and ToolRL's
    ``<obs>`` answer the whole turn once.

    >>> from robustbench_tc.records import GoldAnswer, GoldCall, Message
    >>> s = Sample(id="x", source="bfcl_v3", messages=[Message(role="user", content="hi")],
    ...            tools=[], golden_answers=[GoldAnswer(calls=[GoldCall(name="f")])],
    ...            output_format="bfcl_ast")
    >>> follow_up(s, "prompt", "[f(a=1), g(b=2)]", [], "E", n_calls=2)[-2:]
    [{'role': 'tool', 'content': 'E'}, {'role': 'tool', 'content': 'E'}]
    """
    turn = fault_turn(mode, sample.source, first_output, first_calls, error, n_calls)
    return episode_messages(sample, mode, [turn])


def _json_arguments(arguments: Any) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)


def _text_before_calls(raw: str) -> str:
    index = raw.find("<tool_call>")
    return (raw if index < 0 else raw[:index]).strip()
