"""Prompts of the ``llm`` generator, written for this project in the spirit of the paper's
Appendix F (same requirements: preserve meaning, entities, numbers, technical terms; output only
the result).  Gold values the text must keep are listed explicitly, and a regeneration attempt
(``Task.seed``) is mentioned so that a retried request is a different request.

>>> from robustbench_tc.perturbations.generators import Task
>>> p = build_prompt(Task("typo", "realistic_typos", "s", {"text": "Find rs1 now"}, ("rs1",)))
>>> "2-4" in p and "rs1" in p and p.endswith("Find rs1 now")
True
"""

from __future__ import annotations

import json

from robustbench_tc.perturbations.generators import Task

SYSTEM = "You rewrite text for a tool-calling robustness benchmark. Follow every requirement exactly."

_KEEP = "These exact strings must appear unchanged in your output: {values}.\n"
_DIALOGUE = (
    "The text may be a dialogue log with tags such as <user>, <response>, <tool_call> and <obs>: "
    "keep every tag, tool call, observation and the final instruction line exactly as they are, "
    "and only edit the words inside the user turns.\n"
)


def _keep(task: Task) -> str:
    return _KEEP.format(values=json.dumps(list(task.protect), ensure_ascii=False)) if task.protect else ""


def _attempt(task: Task) -> str:
    return f"(Variant {task.seed}.)\n" if task.seed else ""


def build_prompt(task: Task) -> str:
    """The user message for ``task``."""
    i = task.inputs
    if task.kind == "typo":
        return (
            "Introduce realistic typing mistakes into the text below, as a person typing quickly would.\n"
            "Requirements: make between 2-4 typos in total; use common kinds: a neighbouring key "
            "hit (e->r), two swapped letters (the->teh), a missing letter, a doubled letter; do NOT "
            "alter numbers, dates, names or other proper nouns, technical terms, identifiers, "
            "URLs or quoted strings; keep the meaning; reply with the modified text only.\n"
            + _DIALOGUE
            + _keep(task)
            + _attempt(task)
            + "\nText:\n"
            + i["text"]
        )
    if task.kind == "query_paraphrase":
        return (
            "Rephrase the user request below so that it means exactly the same thing.\n"
            "Requirements: use different wording with the same intent; do NOT change any place, "
            "person name, number, date or other specific entity; keep every technical term and "
            "detail needed to fulfil the request; reply with the rephrased text only.\n"
            + _DIALOGUE
            + _keep(task)
            + _attempt(task)
            + "\nText:\n"
            + i["text"]
        )
    if task.kind == "tool_description":
        return (
            "Rephrase the description of a tool/function so that it means exactly the same thing.\n"
            f"Tool name: {i['tool_name']}\nDescription: {i['description']}\n"
            "Requirements: different wording, same meaning; keep every technical detail and "
            "constraint; about the same length (within 20%); one line; reply with the new "
            "description only, without explanation.\n" + _attempt(task)
        )
    if task.kind == "parameter_description":
        return (
            "Rephrase the description of an API parameter so that it means exactly the same thing.\n"
            f"Parameter name: {i['param_name']}\nParameter type: {i['param_type']}\n"
            f"Description: {i['description']}\n"
            "Requirements: different wording, same meaning; keep type constraints, formats and "
            "allowed values verbatim; about the same length; one line; reply with the new "
            "description only, without explanation.\n" + _attempt(task)
        )
    if task.kind == "reward_description":
        what = "each call costs" if i["dimension"] == "cost" else "its average response time is"
        return (
            "Rewrite the tool description below so that it also states that "
            f"{what} {i['figure']}.\n"
            f"Tool name: {i['tool_name']}\nDescription: {i['description'] or '(none)'}\n"
            f"Requirements: keep every functional detail; include the figure '{i['figure']}' "
            "verbatim; do not claim anything else about price or speed; one line; reply with the "
            "new description only.\n" + _attempt(task)
        )
    if task.kind == "redundant_tools":
        return (
            f"You design APIs. Given the existing tool below, write {i['num_tools']} NEW tools that "
            "are related to it but serve DIFFERENT purposes.\n"
            f"Existing tool: {json.dumps(i['tool'], ensure_ascii=False)}\n"
            "Requirements: plausible tools that could exist next to the existing one; they must "
            "not duplicate its functionality; each has a descriptive name in the same naming "
            "convention, a clear description, and typed parameters as a JSON Schema object "
            '({"type": "object", "properties": {...}, "required": [...]}); do not reuse these '
            f"names: {json.dumps(i['taken'], ensure_ascii=False)}.\n"
            'Reply with a JSON array of {"name", "description", "parameters"} objects only.\n'
            + _attempt(task)
        )
    raise ValueError(f"no prompt for task kind {task.kind!r}")
