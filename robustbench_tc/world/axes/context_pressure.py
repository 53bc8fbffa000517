"""``context_pressure`` (Appendix N (3)): a long, realistic prior history before the query.

The history is earlier completed exchanges of the same session, taken from other clean samples of
the same source (their own requests and gold calls, in this source's own turn format): a user
request, the assistant's call, the tool's result, and the assistant's answer.  Samples whose gold
tools are all in this sample's registry come first (the same API used earlier); others follow, so
the history may show tools that are no longer offered, as long agent sessions do.  Each earlier
result is a realistic list of records, and exchanges are added until the history reaches the
row's size (seeded from ``SIZES_CHARS``).  The query, the tools and the gold are unchanged.

Where each source keeps its history:
- API-Bank (ToolRL format): the dialogue lives in the one user turn, after ``**Dialogue Records
  History**``; earlier dialogues (another sample's records, then its call, ``<obs>`` and response)
  are inserted right after that header, in the same tags;
- the others: messages before the query: ``user``, ``assistant`` (the call in the source's format),
  the source's observation turn (``Observation: ...`` or a ``tool`` message), ``assistant`` (the
  answer: ReAct ``finish`` / ``Final Answer:``, or plain text).

Sizes are recorded in ``perturbation_metadata``: ``history_chars``, ``history_tokens_approx``
(characters / 4), ``exchanges``, ``same_registry_exchanges``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from robustbench_tc.records import Message, Sample
from robustbench_tc.scoring.oracle import gold_arguments, oracle_output
from robustbench_tc.sources import get_source
from robustbench_tc.world.axes.base import AxisBuilder, Pool, real_tools, runtime_row, target_call
from robustbench_tc.world.axes.baseline import eligible as baseline_eligible
from robustbench_tc.world.draw import Draw
from robustbench_tc.world.turns import final_turn

CODE = "context_pressure"

SIZES_CHARS = (6_000, 12_000, 24_000)
"""Target history sizes (characters; about 1.5k, 3k and 6k tokens), one seeded per row."""
MAX_EXCHANGES = 40
_APIBANK_HEADER = re.compile(r"\*{2,3}Dialogue Records History\*\*\n")
_APIBANK_TAIL = re.compile(r"\n?<user>\s*Based on our conversation above.*\Z", re.S)


def eligible(sample: Sample, pool: Pool) -> str | None:
    reason = baseline_eligible(sample, pool)
    if reason:
        return reason
    if target_call(sample) is None:
        return "no real gold tool (a meta-tool, or alternatives differ)"
    if sample.source == "apibank" and not _APIBANK_HEADER.match(sample.messages[-1].content):
        return "no dialogue-records header to extend"
    if len(pool.by_source.get(sample.source, [])) < 2:
        return "no other sample of the source to draw earlier exchanges from"
    return None


def _records(draw: Draw, n: int) -> list[dict[str, Any]]:
    return [
        {"id": f"r-{draw.hex(6)}", "rank": i + 1, "score": round(draw.between(1, 999) / 1000, 3),
         "updated": f"2024-{draw.between(1, 12):02d}-{draw.between(1, 28):02d}"}
        for i in range(n)
    ]  # fmt: skip


def _result(tool: str, arguments: dict[str, Any], draw: Draw) -> str:
    data = {"total": (n := draw.between(6, 14)), "records": _records(draw, n)}
    message = f"{tool} completed successfully."
    return json.dumps(
        {
            "name": tool,
            "status": "success",
            "result": {"request": arguments, "message": message, "data": data},
        },
        ensure_ascii=False,
    )


def _answer_text(tool: str, result: str) -> str:
    data = json.loads(result)["result"]["data"]
    top = data["records"][0]
    return f"{tool} returned {data['total']} records; the top one is {top['id']} (score {top['score']})."


def _query(sample: Sample) -> str:
    return sample.messages[-1].content


def _exchange(other: Sample, draw: Draw) -> tuple[list[Message], str]:
    """The messages of one earlier exchange (and, for API-Bank, its dialogue text)."""
    gold = other.golden_answers[0].calls
    call_text = oracle_output(other)
    results = [_result(c.name, gold_arguments(c, other.source), draw) for c in gold]
    answer = final_turn(other.source, _answer_text(gold[-1].name, results[-1]))
    if other.source == "apibank":
        text = _query(other)
        block = _APIBANK_TAIL.sub("", _APIBANK_HEADER.sub("", text, count=1)).rstrip()
        obs = "\n".join(f"<obs> {r} </obs>" for r in results)
        return [], f"{block}\n{call_text}\n{obs}\n{answer}\n\n"
    role, template = get_source(other.source).observation_turn
    user = other.messages[-1].content + get_source(other.source).user_turn_suffix
    messages = [Message(role="user", content=user), Message(role="assistant", content=call_text)]
    if role == "tool":
        messages += [Message(role="tool", content=r) for r in results]
    else:
        messages.append(
            Message.model_validate({"role": role, "content": template.format(error="\n".join(results))})
        )
    messages.append(Message(role="assistant", content=answer))
    return messages, ""


def _ordered_pool(sample: Sample, pool: Pool, draw: Draw) -> tuple[list[Sample], int]:
    registry = set(real_tools(sample))
    others = [
        o for o in pool.by_source.get(sample.source, [])
        if o.base_id != sample.base_id and baseline_eligible(o, pool) is None and _query(o) != _query(sample)
    ]  # fmt: skip
    keyed = sorted(others, key=lambda o: Draw(draw.hex(16), o.id).unit())
    same = [o for o in keyed if {c.name for c in o.golden_answers[0].calls} <= registry]
    rest = [o for o in keyed if o not in same]
    return same + rest, len(same)


def make(clean: Sample, pool: Pool, draw: Draw) -> Sample:
    target = draw.choice(SIZES_CHARS)
    ordered, n_same = _ordered_pool(clean, pool, draw)
    messages: list[Message] = []
    dialogue = ""
    used = same_used = 0
    size = 0
    for other in ordered:
        if size >= target or used >= MAX_EXCHANGES:
            break
        turns, text = _exchange(other, draw)
        messages += turns
        dialogue += text
        size += sum(len(m.content) for m in turns) + len(text)
        used += 1
        same_used += used <= n_same
    if clean.source == "apibank":
        content = _query(clean)
        header = _APIBANK_HEADER.match(content)
        assert header is not None
        new = [Message(role="user", content=content[: header.end()] + dialogue + content[header.end() :])]
    else:
        new = [*messages, *clean.messages]
    metadata = {
        "history_chars": size,
        "history_tokens_approx": size // 4,
        "target_chars": target,
        "exchanges": used,
        "same_registry_exchanges": same_used,
    }
    return runtime_row(clean, CODE, None, metadata, messages=new)


def checks(clean: Sample, row: Sample) -> list[str]:
    meta = row.perturbation_metadata
    out = []
    if row.tools != clean.tools or row.system_prompt != clean.system_prompt:
        out.append("tools or system prompt differ from the clean sample")
    if clean.source == "apibank":
        before, after = clean.messages[-1].content, row.messages[-1].content
        header = _APIBANK_HEADER.match(before)
        if len(row.messages) != 1 or header is None or not after.endswith(before[header.end() :]):
            out.append("the API-Bank dialogue does not end with the clean sample's dialogue")
    elif row.messages[-len(clean.messages) :] != clean.messages:
        out.append("the conversation does not end with the clean sample's messages")
    history = sum(len(m.content) for m in row.messages) - sum(len(m.content) for m in clean.messages)
    if history != meta.get("history_chars"):
        out.append(f"recorded history_chars {meta.get('history_chars')} but the history has {history}")
    if history < min(SIZES_CHARS) // 2:
        out.append(f"history too short ({history} characters)")
    if (
        _query(clean).strip()
        and row.messages[:-1]
        and any(m.content == _query(clean) for m in row.messages[:-1])
    ):
        out.append("the history repeats the query")
    return out


BUILDER = AxisBuilder(
    CODE,
    eligible,
    make,
    checks,
    note="every sample with a real gold tool; earlier exchanges of other samples of the same source (same-"
    "registry ones first) in the source's own turn format, with realistic list results, until the history "
    f"reaches a seeded size of {', '.join(f'{s:,}' for s in SIZES_CHARS)} characters (recorded per row).",
)
