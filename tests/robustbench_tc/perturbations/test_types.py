"""Each static type on real samples, checked against the paper's Appendix C / O examples."""

from __future__ import annotations

import pytest

from robustbench_tc.perturbations import perturb, static_codes
from robustbench_tc.perturbations.reward import COST_SUFFIXES, TIME_SUFFIXES
from robustbench_tc.perturbations.text import FINAL_INSTRUCTION, editable_regions, gold_strings_in, query_text
from robustbench_tc.records import Sample
from robustbench_tc.taxonomy import get_type

L1_101 = "apibank__level1_101"
M110 = "bfcl_v3__BFCL_v3_multiple__multiple_110"
M2 = "bfcl_v3__BFCL_v3_multiple__multiple_2"
TOOLEYES_UUID = (
    "tooleyes__Turn 1: Can you help me by generating four UUIDs for the new virtual machines in our network?"
)


def _tool(sample: Sample, name: str, nth: int = 0):
    return [t for t in sample.tools if t.name == name][nth]


@pytest.mark.parametrize(
    ("code", "description", "params"),
    [
        ("same_name_A", "none", "none"),
        ("same_name_B", "gt", "none"),
        ("same_name_C", "none", "wrong"),
        ("same_name_D", "gt", "wrong"),
        ("same_name_E", "swapped", "wrong"),
    ],
)
def test_dup_types_on_level1_101(by_id, code, description, params):
    clean = by_id[L1_101]
    row = perturb(clean, code, seed=0)
    # App. C: 5 tools, two AddAgenda, **Think still last, the other tools in their clean order
    assert len(row.tools) == 5 and row.tool_names.count("AddAgenda") == 2
    assert row.tool_names[-1] == "**Think"
    assert [n for n in row.tool_names if n != "AddAgenda"] == ["ModifyAlarm", "GetUserToken", "**Think"]
    gt = _tool(clean, "AddAgenda")
    pair = [t for t in row.tools if t.name == "AddAgenda"]
    assert sum(t == gt for t in pair) == 1
    distractor = next(t for t in pair if t != gt)
    assert row.tools.index(distractor) == row.perturbation_metadata["distractor_index"]
    expected_desc = {"none": "", "gt": gt.description}.get(description)
    if expected_desc is not None:
        assert distractor.description == expected_desc
    else:
        others = {t.description for t in clean.tools if t.name not in ("AddAgenda", "**Think")}
        assert distractor.description in others
    if params == "none":
        assert distractor.properties == {}
    else:
        # swapped names: same names, but no name keeps its own schema
        assert set(distractor.properties) == set(gt.properties)
        assert all(distractor.properties[n] != gt.properties[n] for n in gt.properties)
    assert row.golden_answers == clean.golden_answers
    assert row.messages == clean.messages
    assert row.generator == "rules" and row.perturbation == code
    assert "AddAgenda" in row.system_prompt and row.system_prompt.count("Name: AddAgenda") == 2


def test_suffix_pools_hold_the_papers_suffixes():
    # App. C: CD, CD_NT and TD/TD_NT on level1_101
    assert {"Please use a cost-effective option.", "Use the cheapest available tool if possible."} <= set(
        COST_SUFFIXES
    )
    assert "Please use the quickest method." in TIME_SUFFIXES


@pytest.mark.parametrize(
    ("code", "distractor", "suffixes"),
    [
        ("CD", "AddAgenda_Budget", COST_SUFFIXES),
        ("TD", "AddAgenda_Fast", TIME_SUFFIXES),
        ("CD_NT", "AddAgenda_1", COST_SUFFIXES),
        ("TD_NT", "AddAgenda_1", TIME_SUFFIXES),
    ],
)
def test_reward_suffix_types_on_level1_101(by_id, code, distractor, suffixes):
    clean = by_id[L1_101]
    row = perturb(clean, code, seed=0)
    meta = row.perturbation_metadata
    assert sorted(row.tool_names) == sorted([*clean.tool_names, distractor])
    suffix = meta["query_suffix"]
    assert suffix in suffixes
    # App. C: the suffix closes the last real user turn, before the fixed closing instruction
    q, cq = query_text(row), query_text(clean)
    start, end = editable_regions(cq)[-1]  # the last real user turn
    assert q == cq[:end].rstrip() + f" {suffix}" + cq[end:]
    assert cq[end:].startswith("</user>") and FINAL_INSTRUCTION in cq[end:]  # before the closing turn
    gt, bad = _tool(row, "AddAgenda"), _tool(row, distractor)
    assert gt.parameters == bad.parameters == _tool(clean, "AddAgenda").parameters
    assert meta["gt_figure"] in gt.description and meta["distractor_figure"] in bad.description
    assert gt.description.startswith(_tool(clean, "AddAgenda").description)
    assert row.golden_answers == clean.golden_answers


@pytest.mark.parametrize(
    ("sample_id", "old", "new", "other"),
    [
        (M110, "mutation_type.find", "mut_type.find", ["get_collectables_in_season"]),
        (
            M2,
            "country_info.capital",
            "cou_info.cap",
            ["country_info.largest_city", "country_info.population"],
        ),
    ],
)
@pytest.mark.parametrize("code", ["CD_AB", "TD_AB"])
def test_abbreviated_gt_becomes_the_gold(by_id, sample_id, old, new, other, code):
    clean = by_id[sample_id]
    row = perturb(clean, code, seed=0)
    assert sorted(row.tool_names) == sorted([old, new, *other])
    assert [c.name for g in row.golden_answers for c in g.calls] == [new]
    assert [c.arguments for g in row.golden_answers for c in g.calls] == [
        c.arguments for g in clean.golden_answers for c in g.calls
    ]
    assert query_text(row) == query_text(clean)  # App. C/O: the -Abbr query is unchanged
    meta = row.perturbation_metadata
    assert (meta["original_gt"], meta["new_gt"], meta["distractor"]) == (old, new, old)
    assert meta["gt_figure"] in _tool(row, new).description
    assert meta["distractor_figure"] in _tool(row, old).description


def test_redundant_adds_siblings_of_every_tool(by_id):
    clean = by_id[M110]
    row = perturb(clean, "redundant", seed=0)
    added = row.perturbation_metadata["added"]
    assert list(added) == ["get_collectables_in_season", "mutation_type.find"]
    assert row.tool_names[:2] == clean.tool_names and len(row.tools) == 6
    assert all(n.startswith("mutation_type.") for n in added["mutation_type.find"])
    assert all(n.startswith("get_collectables_") for n in added["get_collectables_in_season"])
    for tool in row.tools[2:]:
        assert tool.description and all(p.get("type") for p in tool.properties.values())
    assert row.golden_answers == clean.golden_answers


def test_tooleyes_gets_observation_and_redundant_only(by_id):
    clean = by_id[TOOLEYES_UUID]
    for code in static_codes():
        needs_gt = get_type(code).needs_gold_tool
        row = perturb(clean, code, seed=0)
        assert (row is None) == needs_gt, code
    row = perturb(clean, "redundant", seed=0)
    assert row.tool_names[-2:] == ["ask_to_user", "finish"]  # meta-tools stay last


@pytest.mark.parametrize("code", ["realistic_typos", "query_paraphrase"])
def test_query_types_change_only_the_query(by_id, code):
    clean = by_id[M110]
    row = perturb(clean, code, seed=0)
    assert query_text(row) != query_text(clean)
    assert gold_strings_in(clean, query_text(clean)) == gold_strings_in(clean, query_text(row)) != []
    assert row.tools == clean.tools and row.system_prompt == clean.system_prompt


@pytest.mark.parametrize(
    ("code", "field"),
    [("paraphrase_tool_description", "description"), ("paraphrase_parameter_description", "parameters")],
)
def test_description_paraphrases_touch_only_descriptions(by_id, code, field):
    clean = by_id[M110]
    row = perturb(clean, code, seed=0)
    assert row.tool_names == clean.tool_names and row.messages == clean.messages
    changed = [a for a, b in zip(clean.tools, row.tools) if getattr(a, field) != getattr(b, field)]
    assert changed
    other = "parameters" if field == "description" else "description"
    assert all(getattr(a, other) == getattr(b, other) for a, b in zip(clean.tools, row.tools))


def test_think_pseudo_tool_is_never_paraphrased(static_build, by_id):
    for code in ("paraphrase_tool_description", "paraphrase_parameter_description"):
        for row in static_build.configs[code]:
            clean = {t.name: t for t in by_id[row.base_id].tools}
            assert all(t == clean[t.name] for t in row.tools if t.name == "**Think")


def test_response_only_training_sample_is_ineligible_for_gt_types(by_id):
    clean = by_id[L1_101].model_copy(deep=True)
    clean.golden_answers[0].calls = []
    for code in static_codes():
        row = perturb(clean, code, seed=0)
        assert (row is None) == get_type(code).needs_gold_tool, code


def test_unknown_type_suggests_close_names(by_id):
    with pytest.raises(KeyError, match="did you mean 'CD_AB'"):
        perturb(by_id[M110], "CD_AV", seed=0)


@pytest.mark.parametrize("code", ["paraphrase_tool_description", "paraphrase_parameter_description"])
def test_rules_frame_one_description_when_no_table_entry_matches(by_id, code):
    from robustbench_tc.formats import with_tools
    from robustbench_tc.perturbations.paraphrase import DESCRIPTION_FRAMES

    clean = by_id[M110]
    tools = [t.model_copy(deep=True) for t in clean.tools]
    for t in tools:
        t.description = "Zorp blix."
        for node in t.properties.values():
            node["description"] = "Quux zed."
    odd = with_tools(clean, tools)
    row = perturb(odd, code, seed=0)
    framed = (
        [t.description for t in row.tools]
        if code.endswith("tool_description")
        else [n["description"] for t in row.tools for n in t.properties.values()]
    )
    assert sum(d.startswith(DESCRIPTION_FRAMES) for d in framed) == 1
