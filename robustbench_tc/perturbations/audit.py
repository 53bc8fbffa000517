"""Validity audit: every perturbed row must still admit its ground truth.

``audit_row(clean, row)`` returns the list of violations of one row (empty = valid); the build
regenerates a row with the next seed while it has violations, a bounded number of times, and
fails naming the samples otherwise.  What is checked:

* identity: ``id``/``base_id``/``source``/``output_format`` kept; ``perturbation`` set; no
  transition error; the system prompt, read back with the source's codec, lists exactly the
  row's tools;
* the request: only the query message may change, and only for types whose taxonomy row lists
  ``query`` in ``edits`` (Typo, QueryPara, the four suffixed Reward types); every gold string
  value (and number) that occurs in the clean query still occurs in the perturbed one;
* the gold: unchanged, except for ``renames_gold`` types (CD_AB/TD_AB) where the GT is renamed to
  a new name that no clean tool has, and the old name is no longer gold;
* presence "as the scorer expects": every gold tool name is listed as often as in the clean
  sample; the scorer matches calls by name and arguments, so the gold tool must keep the clean
  parameter schema (``parameter_descriptions`` types: up to descriptions; Reward: the GT keeps
  its parameters, only its description changes).  For ``duplicates_gold`` types (Dup) the gold
  name is listed exactly once more;
* no other tool equals a gold tool (same name, description and parameters);
* then the type's own checks, registered with its transform (``base.Spec.audit``): it changed
  what it says it changes, and nothing else of the tool list (e.g. Dup: of the two tools sharing
  the gold name one is the clean GT byte-for-byte).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from robustbench_tc.formats import FormatError, parse_tools
from robustbench_tc.perturbations.base import TRANSFORMS, gold_names, same_tool, schema_shape
from robustbench_tc.perturbations.observation import described_parameters
from robustbench_tc.perturbations.text import gold_strings_in, query_index
from robustbench_tc.records import Sample
from robustbench_tc.taxonomy import CLEAN, get_type


def audit_row(clean: Sample, row: Sample) -> list[str]:
    """Violations of one perturbed row against its clean sample (empty list = valid)."""
    code = row.perturbation
    v: list[str] = []
    for field in ("id", "base_id", "source", "output_format"):
        if getattr(row, field) != getattr(clean, field):
            v.append(f"{field} changed")
    if code == CLEAN or row.transition_error:
        return v + ["not a static perturbation row"]
    kind = get_type(code)
    meta = row.perturbation_metadata
    # --- the request
    qi = query_index(clean)
    if len(row.messages) != len(clean.messages):
        return v + ["the number of messages changed"]
    for i, (a, b) in enumerate(zip(clean.messages, row.messages)):
        if a.role != b.role or (i != qi and a.content != b.content):
            v.append(f"message {i} changed")
    cq, rq = clean.messages[qi].content, row.messages[qi].content
    if "query" in kind.edits:
        if cq == rq:
            v.append("the query is unchanged")
    elif cq != rq:
        v.append("the query changed")
    lost = [s for s in gold_strings_in(clean, cq) if s not in rq]
    if lost:
        v.append(f"gold values missing from the perturbed query: {lost}")
    # --- the gold
    old_gt = meta.get("original_gt") if kind.renames_gold else None
    new_gt = meta.get("new_gt") if kind.renames_gold else None
    rename: dict[str, Any] = {old_gt: new_gt} if old_gt else {}
    expected_gold = [
        [(rename.get(c.name, c.name), c.arguments) for c in g.calls] for g in clean.golden_answers
    ]
    if expected_gold != [[(c.name, c.arguments) for c in g.calls] for g in row.golden_answers]:
        v.append("the golden answers differ from the clean ones" + (" (renamed)" if rename else ""))
    if old_gt:
        if not new_gt or new_gt in clean.tool_names:
            v.append(f"the abbreviated name {new_gt!r} is missing or already a clean tool")
        if old_gt in gold_names(row):
            v.append(f"the old name {old_gt!r} is still gold")
    # --- presence of the gold tools
    clean_by_name = {t.name: t for t in clean.tools}
    row_names = Counter(row.tool_names)
    dup_name = meta.get("gt_tool") if kind.duplicates_gold else None
    for name in gold_names(clean):
        target = rename.get(name, name)
        want = clean.tool_names.count(name) + (1 if name == dup_name else 0)
        if row_names[target] != want:
            v.append(f"gold tool {target!r} listed {row_names[target]} times ({want} expected)")
            continue
        if name not in clean_by_name or name == dup_name:
            continue  # a source quirk (gold tool not listed) kept as is; Dup: the type's own checks
        gt = clean_by_name[name]
        listed = [t for t in row.tools if t.name == target]
        if "parameter_descriptions" in kind.edits:
            if schema_shape(listed[0].parameters) != schema_shape(gt.parameters):
                v.append(f"gold tool {name!r} parameter schema changed")
        elif listed[0].parameters != gt.parameters:
            v.append(f"gold tool {target!r} parameters changed")
    gold_tools = [t for t in clean.tools if t.name in gold_names(clean)]
    for t in row.tools:
        for g in gold_tools:
            if t.name == rename.get(g.name, g.name):
                continue
            if same_tool(t, g):
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
    v += _flag_checks(clean, meta)
    return v + TRANSFORMS.get(code).audit(clean, row, meta)


def _flag_checks(clean: Sample, meta: dict[str, Any]) -> list[str]:
    """Metadata flags that claim the clean sample lacks something must be true."""
    v = []
    real = [t for t in clean.tools if not t.name.startswith("**")]
    if meta.get("no_tool_descriptions") and any(t.description.strip() for t in real):
        v.append("flagged no_tool_descriptions but the clean sample has tool descriptions")
    if meta.get("no_parameter_descriptions") and any(True for t in real for _ in described_parameters(t)):
        v.append("flagged no_parameter_descriptions but the clean sample has parameter descriptions")
    return v
