"""Offline sibling tools for RedunTool: related tools with different purposes, same naming style.

Given ``mutation_type.find`` the rules produce e.g. ``mutation_type.annotate`` and
``mutation_type.predict_effect``; given ``get_collectables_in_season`` they swap the qualifier
(``get_collectables_for_player``, ``get_collectables_in_region``), as the paper's example shows.
A sibling keeps the original's naming convention (dotted namespace, snake_case, camelCase,
PascalCase, kebab-case), takes the original's identifying parameter, adds one typed parameter of
its own (spelled the way the sample's source spells types) and gets a description that states
its different purpose.  Names never collide with any tool already listed (case-insensitively).

>>> import random
>>> from robustbench_tc.records import Tool
>>> t = Tool(name="mutation_type.find", description="Finds the type of a mutation.",
...          parameters={"type": "object", "properties": {"snp_id": {"type": "string"}}, "required": ["snp_id"]})
>>> [s.name for s in sibling_tools(t, 2, random.Random(5), taken={"mutation_type.find"})]
['mutation_type.predict_effect', 'mutation_type.annotate']
>>> g = Tool(name="get_collectables_in_season")
>>> [s.name for s in sibling_tools(g, 2, random.Random(0), taken=set())]
['get_collectables_in_region', 'get_collectables_in_range']
>>> [s.name for s in sibling_tools(Tool(name="AddAgenda"), 2, random.Random(0), taken={"AddAgenda"})]
['ValidateAgenda', 'ArchiveAgenda']
"""

from __future__ import annotations

import random
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from robustbench_tc.formats.schema import SOURCE_TYPE_KEY
from robustbench_tc.perturbations.naming import join_name, split_name
from robustbench_tc.records import Tool


@dataclass(frozen=True)
class _Action:
    words: tuple[str, ...]
    description: str  # "{obj}" is replaced by the object phrase
    param: tuple[str, str, str]  # name, JSON type, description
    required: bool = False
    suffix: bool = False  # a noun appended after the name ("..._history") rather than a verb


_ACTIONS: dict[str, _Action] = {
    "_".join(a.words): a
    for a in [
        _Action(
            ("annotate",),
            "Adds a free-text annotation to a stored {obj} record.",
            ("note", "string", "The annotation text to attach."),
            required=True,
        ),
        _Action(
            ("predict", "effect"),
            "Predicts the downstream effect of a given {obj}.",
            ("context", "string", "Optional context used for the prediction."),
        ),
        _Action(
            ("export",),
            "Exports {obj} data to a file in the requested format.",
            ("format", "string", "File format of the export, either 'csv' or 'json'."),
        ),
        _Action(
            ("summarize",),
            "Produces a short plain-text summary of {obj}.",
            ("max_words", "integer", "Maximum length of the summary in words."),
        ),
        _Action(
            ("compare",),
            "Compares {obj} for two inputs and reports the differences.",
            ("compare_with", "string", "The second input to compare against."),
            required=True,
        ),
        _Action(
            ("subscribe",),
            "Subscribes to notifications whenever {obj} changes.",
            ("callback_url", "string", "URL that receives the notifications."),
            required=True,
        ),
        _Action(
            ("archive",),
            "Archives an existing {obj} entry so that it is hidden but kept.",
            ("entry_id", "string", "Identifier of the entry to archive."),
            required=True,
        ),
        _Action(
            ("preview",),
            "Shows how a {obj} entry would look, without saving anything.",
            ("verbose", "boolean", "Whether to include every field in the preview."),
        ),
        _Action(
            ("validate",),
            "Checks whether the inputs for {obj} are well-formed, without executing.",
            ("strict", "boolean", "Whether unknown fields count as errors."),
        ),
        _Action(
            ("explain",),
            "Explains step by step how {obj} is obtained.",
            ("detail_level", "string", "How detailed the explanation is: 'brief' or 'full'."),
        ),
        _Action(
            ("history",),
            "Returns the change history of {obj}.",
            ("days", "integer", "How many past days of history to return."),
            suffix=True,
        ),
        _Action(
            ("stats",),
            "Returns usage statistics about {obj}.",
            ("period", "string", "Reporting period, e.g. 'week' or 'month'."),
            suffix=True,
        ),
    ]
}

_VERB_CLASSES: dict[str, tuple[str, ...]] = {
    "retrieve": ("annotate", "predict_effect", "export", "summarize", "compare", "subscribe"),
    "create": ("archive", "preview", "validate", "export"),
    "modify": ("preview", "validate", "history", "export"),
    "delete": ("archive", "history", "export"),
    "compute": ("compare", "explain", "validate", "summarize"),
}
_VERBS: dict[str, str] = {
    **dict.fromkeys(
        "get find fetch search query retrieve lookup check read show list count random google wiki".split(),
        "retrieve",
    ),
    **dict.fromkeys(
        "add create register book record open make set generate purchase buy schedule timed".split(), "create"
    ),
    **dict.fromkeys("modify update edit change rotate merge split compress unlock mix".split(), "modify"),
    **dict.fromkeys("delete remove cancel".split(), "delete"),
    **dict.fromkeys("calculate compute estimate predict solve analyze convert forecast".split(), "compute"),
}
_DEFAULT_ACTIONS = ("export", "summarize", "compare", "validate", "subscribe")
_NOUN_ACTIONS = ("history", "stats")
_PREPOSITIONS = {"in", "for", "by", "from", "at", "on", "with"}
_QUALIFIERS: tuple[tuple[str, str], ...] = (
    ("for", "player"),
    ("in", "region"),
    ("by", "category"),
    ("by", "date"),
    ("for", "user"),
    ("by", "location"),
    ("by", "name"),
    ("in", "range"),
)


def type_spellings(tools: Collection[Tool]) -> dict[str, str]:
    """How a sample spells JSON types (``{"string": "str"}`` for API-Bank), from its tools."""
    out: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("type"), str) and SOURCE_TYPE_KEY in node:
                out.setdefault(node["type"], node[SOURCE_TYPE_KEY])
            for value in node.values():
                walk(value)

    for tool in tools:
        for prop in tool.properties.values():
            walk(prop)
    return out


def typed_property(json_type: str, description: str, spelling: dict[str, str]) -> dict[str, Any]:
    node: dict[str, Any] = {"type": json_type}
    if json_type in spelling:
        node[SOURCE_TYPE_KEY] = spelling[json_type]
    node["description"] = description
    return node


def _human(words: list[str]) -> str:
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)


@dataclass(frozen=True)
class _Parsed:
    namespace: str
    words: list[str]
    style: str
    verb_index: int | None  # position of the verb in words
    qualifier_at: int | None  # position of a trailing preposition qualifier

    def object_phrase(self, tool_name: str) -> str:
        ns_words = [w for part in re.split(r"[._\-]", self.namespace) for w in split_name(part)[1]]
        end = self.qualifier_at if self.qualifier_at is not None else len(self.words)
        body = [w for i, w in enumerate(self.words[:end]) if i != self.verb_index]
        return _human(ns_words + body) or f"the {_human(self.words) or tool_name} operation"


def _parse(name: str) -> _Parsed:
    namespace, words, style = split_name(name)
    verb_index = None
    if len(words) > 1 and words[0].lower() in _VERBS:
        verb_index = 0
    elif words and words[-1].lower() in _VERBS and namespace:
        verb_index = len(words) - 1
    qualifier_at = None
    for i in range(1, len(words) - 1):
        if words[i].lower() in _PREPOSITIONS:
            qualifier_at = i
    return _Parsed(namespace, words, style, verb_index, qualifier_at)


def _case_like(word: str, like: str) -> str:
    return word.capitalize() if like[:1].isupper() else word


def _candidates(p: _Parsed, tool: Tool, rng: random.Random) -> Iterator[tuple[str, str, list]]:
    """(name, description, [(param, type, description, required)]) candidates, best first."""
    obj = p.object_phrase(tool.name)
    if p.qualifier_at is not None:
        current = tuple(w.lower() for w in p.words[p.qualifier_at : p.qualifier_at + 2])
        options = sorted((q for q in _QUALIFIERS if q != current), key=lambda q: q[0] != current[0])
        for prep, noun in options:
            words = p.words[: p.qualifier_at] + [
                _case_like(prep, p.words[p.qualifier_at]),
                _case_like(noun, p.words[p.qualifier_at]),
            ]
            verb = p.words[p.verb_index].lower() if p.verb_index is not None else "get"
            desc = f"{verb.capitalize()} {obj} {prep} a specified {noun}."
            yield (
                join_name(p.namespace, words, p.style),
                desc,
                [(noun, "string", f"The {noun} to look up {obj} {prep}.", True)],
            )
    if p.verb_index is not None:
        preferred = list(_VERB_CLASSES[_VERBS[p.words[p.verb_index].lower()]])
    else:
        preferred = list(_NOUN_ACTIONS)
    rng.shuffle(preferred)
    rest = [a for a in (*_DEFAULT_ACTIONS, *_NOUN_ACTIONS) if a not in preferred]
    for key in preferred + rest:
        action = _ACTIONS[key]
        if action.suffix or p.verb_index is None:
            like = p.words[-1] if p.words else "x"
            words = p.words + [_case_like(w, like) for w in action.words]
        elif p.verb_index == 0:
            like = p.words[0]
            words = [
                _case_like(w, like) if i == 0 or p.style == "pascal" else w
                for i, w in enumerate(action.words)
            ] + p.words[1:]
        else:  # namespace.verb -> namespace.action
            words = p.words[: p.verb_index] + list(action.words)
        name = join_name(p.namespace, words, p.style)
        pname, ptype, pdesc = action.param
        yield name, action.description.format(obj=obj), [(pname, ptype, pdesc, action.required)]


def sibling_tools(
    tool: Tool,
    count: int,
    rng: random.Random,
    taken: Collection[str],
    spelling: dict[str, str] | None = None,
) -> list[Tool]:
    """``count`` new tools related to ``tool`` but with different purposes (see module doc)."""
    spelling = spelling or {}
    blocked = {t.lower() for t in taken} | {tool.name.lower()}
    parsed = _parse(tool.name)
    props = tool.properties
    required = set(tool.required)
    anchor = next((n for n in tool.required if n in props), next(iter(props), None))
    out: list[Tool] = []
    for name, desc, extra in _candidates(parsed, tool, rng):
        if name.lower() in blocked:
            continue
        new_props: dict[str, Any] = {}
        new_required: list[str] = []
        qualifier_nouns = {e[0] for e in extra}
        if anchor is not None and anchor not in qualifier_nouns:
            old_noun = (
                parsed.words[parsed.qualifier_at + 1].lower() if parsed.qualifier_at is not None else None
            )
            if not (old_noun and old_noun in anchor.lower()):
                new_props[anchor] = dict(props[anchor])
                if anchor in required:
                    new_required.append(anchor)
        for pname, ptype, pdesc, preq in extra:
            if pname in new_props:
                continue
            new_props[pname] = typed_property(ptype, pdesc, spelling)
            if preq:
                new_required.append(pname)
        head = {k: v for k, v in tool.parameters.items() if k not in ("properties", "required")}
        head.setdefault("type", "object")
        params = {**head, "properties": new_props, "required": new_required}
        out.append(Tool(name=name, description=desc, parameters=params))
        blocked.add(name.lower())
        if len(out) == count:
            return out
    raise ValueError(f"could not derive {count} sibling names for {tool.name!r}")
