"""The offline text rules: editable regions, suffix placement, paraphrase tables, siblings."""

from __future__ import annotations

import random

import pytest

from robustbench_tc.perturbations import paraphrase as para
from robustbench_tc.perturbations.siblings import sibling_tools, type_spellings
from robustbench_tc.perturbations.text import (
    append_request_suffix,
    editable_regions,
    gold_strings_in,
    query_text,
)
from robustbench_tc.records import Tool

DIALOGUE = (
    "**Dialogue Records History**\n<user>Hi, add an agenda.</user>\n<response>Sure.</response>\n"
    '<tool_call>\n{"name": "X", "parameters": {}}\n</tool_call>\n<obs> ok </obs>\n'
    '<user>The content is "Lunch".</user>\n<response>Great!</response>\n\n'
    "<user> Based on our conversation above, do it.</user>\n"
)


@pytest.mark.parametrize(
    ("text", "suffix", "expected"),
    [
        ("What is the capital of Brazil?", "S.", "What is the capital of Brazil? S."),
        ("Trailing space  ", "S.", "Trailing space S.  "),
        ("Query here\nBegin!\n", "S.", "Query here S.\nBegin!\n"),
        (DIALOGUE, "S.", DIALOGUE.replace('"Lunch".</user>', '"Lunch". S.</user>')),
    ],
)
def test_append_request_suffix(text, suffix, expected):
    assert append_request_suffix(text, suffix) == expected


def test_dialogue_regions_are_the_real_user_turns():
    assert [DIALOGUE[a:b] for a, b in editable_regions(DIALOGUE)] == [
        "Hi, add an agenda.",
        'The content is "Lunch".',
    ]


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize(
    ("table", "text", "protect"),
    [
        (
            para.QUERY_TABLE,
            "Can you find the latest information about Tesla in New York for 2023?",
            ["New York"],
        ),
        (para.QUERY_TABLE, DIALOGUE, ["Lunch"]),
        (para.DESCRIPTION_TABLE, "Retrieves a list of collectable items based on the specified season.", []),
        (para.PARAMETER_TABLE, "The number of results, e.g. 10. Default is 'json'.", []),
    ],
)
def test_paraphrase_changes_text_but_keeps_what_matters(table, text, protect, seed):
    out, edits = para.paraphrase(text, table, random.Random(seed), protect, frames=para.QUERY_FRAMES)
    assert out != text and 1 <= len(edits) <= 4
    for keep in [
        *protect,
        "Tesla",
        "2023",
        "10",
        "'json'",
        "<user>",
        "</user>",
        "<obs> ok </obs>",
        "<user> Based on our conversation above, do it.</user>",
    ]:
        assert text.count(keep) == out.count(keep), keep


def test_query_frame_is_the_last_resort():
    out, edits = para.paraphrase(
        "Nothing here matches 42.", para.QUERY_TABLE, random.Random(0), frames=para.QUERY_FRAMES
    )
    assert out.endswith("Nothing here matches 42.") and edits[0]["to"] in para.QUERY_FRAMES
    with pytest.raises(ValueError, match="no paraphrase rule"):
        para.paraphrase("Nothing here matches 42.", para.QUERY_TABLE, random.Random(0))


@pytest.mark.parametrize(
    ("name", "namespace", "style_check"),
    [
        (
            "mutation_type.find",
            "mutation_type.",
            lambda n: "_" in n.split(".")[1] or n.split(".")[1].islower(),
        ),
        ("AddAgenda", "", lambda n: n[0].isupper() and "_" not in n),
        ("findCatByTag", "", lambda n: n[0].islower() and "_" not in n),
        ("get_collectables_in_season", "get_collectables_", lambda n: n.islower()),
        ("Calculator", "", lambda n: n[0].isupper()),
        ("merge", "", lambda n: n.islower()),
    ],
)
def test_siblings_keep_the_naming_convention(name, namespace, style_check):
    tool = Tool(
        name=name,
        description="d",
        parameters={
            "type": "object",
            "properties": {"q": {"type": "string", "x-source-type": "str", "description": "Q."}},
            "required": ["q"],
        },
    )
    taken = {name}
    sibs = sibling_tools(tool, 2, random.Random(0), taken, type_spellings([tool]))
    assert len({s.name for s in sibs}) == 2 and name not in {s.name for s in sibs}
    for s in sibs:
        assert s.name.startswith(namespace) and style_check(s.name), s.name
        assert s.description and s.properties
        for node in s.properties.values():  # typed, in the sample's own spelling
            assert node["type"] and (node["type"] != "string" or node.get("x-source-type") == "str")


def test_gold_strings_in_query(by_id):
    sample = by_id["apibank__level1_101"]
    found = gold_strings_in(sample, query_text(sample))
    # all four gold arguments (token, content, time, location) are spelled out in the dialogue
    firsts = {str(v[0]) for c in sample.golden_answers[0].calls for v in c.arguments.values()}
    assert len(found) == 4 and set(found) == firsts
    assert all(f in query_text(sample) for f in found)
