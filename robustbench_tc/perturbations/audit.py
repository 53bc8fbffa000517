"""Validity audit: every perturbed row must still admit its ground truth.

``audit_row(clean, row)`` returns the list of violations of one row (empty = valid); the build
regenerates a row with the next seed while it has violations, a bounded number of times, and
fails naming the samples otherwise.  What is checked:

* identity: ``id``/``base_id``/``source``/``output_format`` kept; ``perturbation`` set; no
  transition error; the system prompt, read back with the source's codec, lists exactly the
  row's tools;
* the request: only the query message may change, and only for Typo, QueryPara and the four
  suffixed Reward types; every gold string value (and number) that occurs in the clean query
  still occurs in the perturbed one;
* the gold: unchanged, except CD_AB/TD_AB where the GT is renamed to a new name that no clean
  tool has, and the old name is no longer gold;
* presence "as the scorer expects": every gold tool name is listed as often as in the clean
  sample; the scorer matches calls by name and arguments, so the gold tool must keep the clean
  parameter schema (ParamPara: up to descriptions; Reward: the GT keeps its parameters, only
  its description changes).  For the Dup types the gold name is listed exactly once more, and of
  the two tools sharing it one is the clean GT tool byte-for-byte (name, description,
  parameters): a call with the gold arguments is correct whichever same-name entry a model
  believes it called; the distractor differs from the GT, except where the type's definition
  makes them coincide (A on a GT without description and parameters, B on a GT without
  parameters), which the row flags as ``distractor_identical_to_gt``;
* no other tool equals a gold tool (same name, description and parameters);
* each type changed what it says it changes (and nothing else of the tool list).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from robustbench_tc.formats import FormatError, parse_tools
from robustbench_tc.perturbations.observation import described_parameters
from robustbench_tc.perturbations.text import (
    DIGIT_RUNS,
    append_request_suffix,
    gold_strings_in,
    query_index,
)
from robustbench_tc.records import Sample, Tool

QUERY_TYPES = frozenset({"realistic_typos", "query_paraphrase", "CD", "TD", "CD_NT", "TD_NT"})
DUP_TYPES = frozenset({f"same_name_{c}" for c in "ABCDE"})
ABBR_TYPES = frozenset({"CD_AB", "TD_AB"})
SUFFIX_TYPES = frozenset({"CD", "TD", "CD_NT", "TD_NT"})
REWARD_TYPES = SUFFIX_TYPES | ABBR_TYPES


def _shape(node: Any) -> Any:
    """A parameter schema without its descriptions."""
    if isinstance(node, dict):  # a property named "description" is a dict: kept
        return {k: _shape(v) for k, v in node.items() if not (k == "description" and isinstance(v, str))}
    if isinstance(node, list):
        return [_shape(v) for v in node]
    return node


def _same(a: Tool, b: Tool) -> bool:
    return a.name == b.name and a.description == b.description and a.parameters == b.parameters


def _dup_coincides(code: str, gt: Tool) -> bool:
    """Whether the type's own definition yields a distractor equal to ``gt``."""
    if gt.properties:
        return False
    return code == "same_name_B" or (code == "same_name_A" and not gt.description)


def _gold_names(sample: Sample) -> list[str]:
    return list(dict.fromkeys(c.name for g in sample.golden_answers for c in g.calls))


def audit_row(clean: Sample, row: Sample) -> list[str]:
    """Violations of one perturbed row against its clean sample (empty list = valid)."""
    code = row.perturbation
    v: list[str] = []
    for field in ("id", "base_id", "source", "output_format"):
        if getattr(row, field) != getattr(clean, field):
            v.append(f"{field} changed")
    if code == "clean" or row.transition_error:
        v.append("not a static perturbation row")
    meta = row.perturbation_metadata
    # --- the request
    qi = query_index(clean)
    if len(row.messages) != len(clean.messages):
        return v + ["the number of messages changed"]
    for i, (a, b) in enumerate(zip(clean.messages, row.messages)):
        if a.role != b.role or (i != qi and a.content != b.content):
            v.append(f"message {i} changed")
    cq, rq = clean.messages[qi].content, row.messages[qi].content
    if code in QUERY_TYPES:
        if cq == rq:
            v.append("the query is unchanged")
    elif cq != rq:
        v.append("the query changed")
    lost = [s for s in gold_strings_in(clean, cq) if s not in rq]
    if lost:
        v.append(f"gold values missing from the perturbed query: {lost}")
    if code == "realistic_typos":
        if not 2 <= int(meta.get("n_typos", 0)) <= 4:
            v.append(f"{meta.get('n_typos')} typos (2-4 expected)")
        if DIGIT_RUNS.findall(cq) != DIGIT_RUNS.findall(rq):
            v.append("a number changed")
    if code in SUFFIX_TYPES and append_request_suffix(cq, meta.get("query_suffix", "")) != rq:
        v.append("the query is not the clean query plus the recorded suffix")
    # --- the gold
    old_gt = meta.get("original_gt") if code in ABBR_TYPES else None
    new_gt = meta.get("new_gt") if code in ABBR_TYPES else None
    rename: dict[str, Any] = {old_gt: new_gt} if old_gt else {}
    expected_gold = [
        [(rename.get(c.name, c.name), c.arguments) for c in g.calls] for g in clean.golden_answers
    ]
    if expected_gold != [[(c.name, c.arguments) for c in g.calls] for g in row.golden_answers]:
        v.append("the golden answers differ from the clean ones" + (" (renamed)" if rename else ""))
    if old_gt:
        if not new_gt or new_gt in clean.tool_names:
            v.append(f"the abbreviated name {new_gt!r} is missing or already a clean tool")
        if old_gt in _gold_names(row):
            v.append(f"the old name {old_gt!r} is still gold")
    # --- presence of the gold tools
    clean_by_name = {t.name: t for t in clean.tools}
    row_names = Counter(row.tool_names)
    dup_name = meta.get("gt_tool") if code in DUP_TYPES else None
    for name in _gold_names(clean):
        target = rename.get(name, name)
        want = clean.tool_names.count(name) + (1 if name == dup_name else 0)
        if row_names[target] != want:
            v.append(f"gold tool {target!r} listed {row_names[target]} times ({want} expected)")
            continue
        if name not in clean_by_name:
            continue  # a source quirk (gold tool not listed) kept as is
        gt = clean_by_name[name]
        listed = [t for t in row.tools if t.name == target]
        if name == dup_name:
            identical = [t for t in listed if _same(t, gt)]
            want_identical = 2 if meta.get("distractor_identical_to_gt") else 1
            if len(identical) != want_identical:
                v.append(
                    f"{len(identical)} of the same-name {name!r} tools equal the clean GT "
                    f"({want_identical} expected)"
                )
            if want_identical == 2 and not _dup_coincides(code, gt):
                v.append("distractor flagged identical to the GT, but the type's definition differs")
        elif code == "paraphrase_parameter_description":
            if _shape(listed[0].parameters) != _shape(gt.parameters):
                v.append(f"gold tool {name!r} parameter schema changed")
        elif listed[0].parameters != gt.parameters:
            v.append(f"gold tool {target!r} parameters changed")
    gold_tools = [t for t in clean.tools if t.name in _gold_names(clean)]
    for t in row.tools:
        for g in gold_tools:
            if t.name == rename.get(g.name, g.name):
                continue
            if _same(t, g):
                v.append(f"distractor {t.name!r} equals the gold tool")
    # --- the prompt lists the row's tools (read back with the source's codec: JSON prompts
    # escape non-ASCII names, and a Dup row must list the shared name twice)
    if row.system_prompt:
        try:
            in_prompt = Counter(t.name for t in parse_tools(row.source, row.system_prompt))
        except FormatError as exc:
            v.append(f"the system prompt cannot be read back: {exc}")
        else:
            if in_prompt != Counter(row.tool_names):
                v.append(
                    f"the system prompt does not list the row's tools: "
                    f"missing {sorted((Counter(row.tool_names) - in_prompt).elements())}, "
                    f"extra {sorted((in_prompt - Counter(row.tool_names)).elements())}"
                )
    v += _type_checks(clean, row, code, meta)
    return v


def _type_checks(clean: Sample, row: Sample, code: str, meta: dict[str, Any]) -> list[str]:
    v: list[str] = []
    cn, rn = clean.tool_names, row.tool_names
    if meta.get("no_tool_descriptions") and any(
        t.description.strip() for t in clean.tools if not t.name.startswith("**")
    ):
        v.append("flagged no_tool_descriptions but the clean sample has tool descriptions")
    if meta.get("no_parameter_descriptions") and any(
        True for t in clean.tools if not t.name.startswith("**") for _ in described_parameters(t)
    ):
        v.append("flagged no_parameter_descriptions but the clean sample has parameter descriptions")
    if code == "paraphrase_tool_description":
        if cn != rn or any(a.parameters != b.parameters for a, b in zip(clean.tools, row.tools)):
            v.append("ToolPara changed more than descriptions")
        elif clean.tools == row.tools and not meta.get("no_tool_descriptions"):
            v.append("no tool description changed")
    elif code == "paraphrase_parameter_description":
        if cn != rn or any(
            a.description != b.description or _shape(a.parameters) != _shape(b.parameters)
            for a, b in zip(clean.tools, row.tools)
        ):
            v.append("ParamPara changed more than parameter descriptions")
        elif clean.tools == row.tools and not meta.get("no_parameter_descriptions"):
            v.append("no parameter description changed")
    elif code in ("realistic_typos", "query_paraphrase"):
        if clean.tools != row.tools:
            v.append("the tools changed")
    elif code in DUP_TYPES:
        if len(rn) != len(cn) + 1:
            v.append("Dup must add exactly one tool")
        else:
            rest = list(row.tools)
            rest.pop(int(meta.get("distractor_index", -1)))
            if rest != clean.tools:
                v.append("Dup changed the tools besides inserting the distractor")
            if row.tools[int(meta["distractor_index"])].name != meta.get("gt_tool"):
                v.append("the inserted tool does not carry the GT name")
    elif code == "redundant":
        added = [t for t in row.tools if t.name not in cn]
        kept = [t for t in row.tools if t.name in cn]
        if kept != clean.tools:
            v.append("RedunTool changed or reordered the clean tools")
        if not added:
            v.append("RedunTool added no tool")
        if len(set(rn)) != len(rn) and len(set(cn)) == len(cn):
            v.append("RedunTool produced duplicate names")
    elif code in REWARD_TYPES:
        added_name: Any = meta.get("new_gt") if code in ABBR_TYPES else meta.get("distractor")
        if sorted(rn) != sorted([*cn, added_name]):
            v.append("Reward tool list is not the clean list plus one tool")
        distractor = meta.get("distractor")
        good = meta.get("new_gt") if code in ABBR_TYPES else meta.get("gt_tool")
        by = {t.name: t for t in row.tools}
        if distractor in by and good in by:
            if by[distractor].parameters != by[good].parameters:
                v.append("the reward distractor's parameters differ from the GT's")
            if meta.get("gt_figure", "\0") not in by[good].description:
                v.append("the GT description lacks its cost/latency figure")
            if meta.get("distractor_figure", "\0") not in by[distractor].description:
                v.append("the distractor description lacks its cost/latency figure")
        else:
            v.append("the recorded GT / distractor names are not listed")
    return v
