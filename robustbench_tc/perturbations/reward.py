"""Reward types: MisDesc (CD), TimeDesc (TD), their neutral (-N) and abbreviated (-Abbr) forms.

Our reading of the paper (Table 1, App. C, §6.2, App. O case 2; see docs/perturbations.md):

* The GT tool's description is rewritten to state a LOW cost (CD) or a SHORT response time
  (TD).  A distractor with the same parameters and the same base description states a HIGH cost
  or a LONG response time.  The descriptions are the only reliable signal; the names mislead.
* CD / TD: the distractor is ``<GT>_Budget`` / ``<GT>_Fast`` (a name that suggests efficiency,
  "despite a description listing higher cost", §6.2), and the user's request gets a cost / speed
  preference suffix.
* CD_NT / TD_NT: the same with the neutral ``<GT>_1``.
* CD_AB / TD_AB: the GT is renamed to its abbreviation (``naming.abbreviate``), which becomes the
  new gold name and carries the low-cost / fast description; the tool under the ORIGINAL name
  stays as the distractor with the high-cost / slow description.  The query is unchanged, as
  both App. C (multiple_110) and App. O (multiple_2) show.
* The whole tool list is shuffled with the row's seed (App. C shows ``**Think`` moved too);
  RoTBench / ToolEyes meta-tools stay last.
"""

from __future__ import annotations

from typing import Any

from robustbench_tc.formats import with_tools
from robustbench_tc.perturbations.base import Context, gt_index, gt_tool_reason, pinned_tail, register
from robustbench_tc.perturbations.naming import abbreviate, unique_name
from robustbench_tc.perturbations.text import append_request_suffix, query_text, with_query
from robustbench_tc.records import Sample, Tool, copy_record

COST_SUFFIXES = (
    "Please use a cost-effective option.",
    "Use the cheapest available tool if possible.",
    "Keep the cost as low as possible.",
)
TIME_SUFFIXES = (
    "Please use the quickest method.",
    "Use the fastest available tool if possible.",
    "I need the result as fast as possible.",
)
LOW_COST = ("$0.001 per call", "$0.002 per call", "$0.005 per call")
HIGH_COST = ("$0.05 per call", "$0.08 per call", "$0.12 per call")
FAST = ("120 ms", "150 ms", "200 ms")
SLOW = ("2.5 s", "3.2 s", "4.0 s")

# code -> (dimension, distractor naming: a suffix, or "abbr" for the renamed-GT variants)
VARIANTS: dict[str, tuple[str, str]] = {
    "CD": ("cost", "_Budget"),
    "TD": ("time", "_Fast"),
    "CD_NT": ("cost", "_1"),
    "TD_NT": ("time", "_1"),
    "CD_AB": ("cost", "abbr"),
    "TD_AB": ("time", "abbr"),
}
TEMPLATES_PER_DIMENSION = 3


def _describe(ctx: Context, tool: Tool, dimension: str, figure: str, template: int) -> str:
    inputs = {
        "tool_name": tool.name,
        "description": tool.description,
        "dimension": dimension,
        "figure": figure,
        "template": template,
    }
    return ctx.generate("reward_description", inputs)["text"]


def _reward(ctx: Context) -> Sample:
    sample = ctx.sample
    dimension, naming = VARIANTS[ctx.code_name]
    rng = ctx.rng
    idx = gt_index(sample)
    gt = sample.tools[idx]
    low = rng.choice(LOW_COST if dimension == "cost" else FAST)
    high = rng.choice(HIGH_COST if dimension == "cost" else SLOW)
    template = rng.randrange(TEMPLATES_PER_DIMENSION)
    good_desc = _describe(ctx, gt, dimension, low, template)
    bad_desc = _describe(ctx, gt, dimension, high, template)
    taken = sample.tool_names
    tools = [copy_record(t) for t in sample.tools]
    meta: dict[str, Any] = {"dimension": dimension, "gt_figure": low, "distractor_figure": high}
    if naming == "abbr":
        new_name = abbreviate(gt.name, taken)
        tools[idx].description = bad_desc  # the original name is now the distractor
        tools.append(Tool(name=new_name, description=good_desc, parameters=gt.parameters))
        meta.update({"original_gt": gt.name, "new_gt": new_name, "distractor": gt.name})
    else:
        name = unique_name(gt.name + naming, taken)
        tools[idx].description = good_desc
        tools.append(Tool(name=name, description=bad_desc, parameters=gt.parameters))
        meta.update({"gt_tool": gt.name, "distractor": name})
    keep = pinned_tail(tools[:-1], sample.source, pseudo=False)
    head, tail = (
        (tools[: len(tools) - 1 - keep], tools[len(tools) - 1 - keep : -1]) if keep else (tools[:-1], [])
    )
    movable = head + [tools[-1]]
    rng.shuffle(movable)
    tools = movable + tail
    meta["order"] = [t.name for t in tools]
    row = with_tools(sample, tools)
    if naming == "abbr":
        for answer in row.golden_answers:
            for call in answer.calls:
                if call.name == gt.name:
                    call.name = meta["new_gt"]
    else:
        suffix = rng.choice(COST_SUFFIXES if dimension == "cost" else TIME_SUFFIXES)
        row = with_query(row, append_request_suffix(query_text(row), suffix))
        meta["query_suffix"] = suffix
    return ctx.finish(row, meta, generated=True)


def _reward_checks(clean: Sample, row: Sample, meta: dict[str, Any]) -> list[str]:
    """The query gains exactly the recorded suffix (suffixed variants); the tool list is the clean
    list plus one tool; GT and distractor share parameters and carry their figures."""
    v = []
    abbr = VARIANTS[row.perturbation][1] == "abbr"
    if not abbr and append_request_suffix(query_text(clean), meta.get("query_suffix", "")) != query_text(row):
        v.append("the query is not the clean query plus the recorded suffix")
    added: Any = meta.get("new_gt") if abbr else meta.get("distractor")
    if sorted(row.tool_names) != sorted([*clean.tool_names, added]):
        v.append("Reward tool list is not the clean list plus one tool")
    distractor = meta.get("distractor")
    good = meta.get("new_gt") if abbr else meta.get("gt_tool")
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


for _code in VARIANTS:
    register(_code, gt_tool_reason, _reward_checks)(_reward)
