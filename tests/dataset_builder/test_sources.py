"""Loaders: the paper's clean set, Table 3's tool counts, and the samples the appendices show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataset_builder.manifest import ManifestEntry, load_manifest
from dataset_builder.sources import LoaderError, load_clean
from dataset_builder.sources import tooleyes as tooleyes_loader
from robustbench_tc.formats import THINK_TOOL_NAME, parse_tools
from robustbench_tc.records import OPTIONAL, Sample


@pytest.fixture(scope="module")
def clean(sources_dir) -> dict[str, Sample]:
    return {s.id: s for s in load_clean(sources_dir, load_manifest())}


# source, paper clean count, Table 3 avg tools (1 dp), exact average (FORMATS.md §0, 2 dp)
TABLE3 = [
    ("bfcl_v3", 32, 2.8, 2.78),
    ("apibank", 74, 3.1, 3.09),
    ("rotbench", 21, 7.8, 7.81),
    ("toolalpaca", 21, 3.5, 3.52),
    ("tooleyes", 51, 6.3, 6.33),
]


@pytest.mark.parametrize(("source", "count", "paper_avg", "exact_avg"), TABLE3)
def test_counts_and_average_tool_counts_match_table_3(clean, source, count, paper_avg, exact_avg):
    rows = [s for s in clean.values() if s.source == source]
    assert len(rows) == count
    avg = sum(len(s.tools) for s in rows) / len(rows)
    assert round(avg, 1) == paper_avg
    assert round(avg, 2) == exact_avg


def test_rows_follow_the_manifest_and_are_clean(clean):
    assert list(clean) == [e.id for e in load_manifest()]
    assert all(s.perturbation == "clean" and s.base_id == s.id for s in clean.values())


# id, tool names, gold call (first acceptable values), a fragment of the user turn
PAPER_SAMPLES = [
    (
        "bfcl_v3__BFCL_v3_multiple__multiple_110",
        ["get_collectables_in_season", "mutation_type.find"],
        ("mutation_type.find", {"snp_id": "rs6034464", "species": "Homo sapiens"}),
        "Find the type of gene mutation based on SNP (Single Nucleotide Polymorphism) ID rs6034464.",
    ),
    (
        "bfcl_v3__BFCL_v3_multiple__multiple_2",
        ["country_info.largest_city", "country_info.capital", "country_info.population"],
        ("country_info.capital", {"country": "Brazil"}),
        "What is the capital of Brazil?",
    ),
    (
        "bfcl_v3__BFCL_v3_multiple__multiple_191",
        ["random.normalvariate", "get_personality_traits", "elephant_population_estimate", "book_hotel"],
        None,
        None,
    ),
    (
        "apibank__level1_101",
        ["ModifyAlarm", "GetUserToken", "AddAgenda", THINK_TOOL_NAME],
        (
            "AddAgenda",
            {
                "token": "p9o8i7u6y5t4r3e2w1q",
                "content": "Lunch with friends",
                "time": "2023-03-24 14:00:00",
                "location": "Restaurant X",
            },
        ),
        "<user>Can you help me modify an alarm for user3 at 2023-03-24 09:00:00?</user>",
    ),
    (
        "apibank__level1_213",
        ["OpenBankAccount", "QueryStock", "QueryBalance", "GetUserToken", THINK_TOOL_NAME],
        ("QueryBalance", {"token": "p9o8i7u6y5t4r3e2w1q"}),
        None,
    ),
    (
        "apibank__level3_26",
        ["OrganizationMembers", THINK_TOOL_NAME],
        ("OrganizationMembers", {"organization": "Tencent"}),
        "Tencent",
    ),
    ("apibank__level2_11", ["GetToday", THINK_TOOL_NAME], ("GetToday", {}), None),
    (
        "toolalpaca__Cataas__inst1",
        ["getRandomCat", "findCatById", "findCatByTag", "findCatWithText", "api", "tags", "count"],
        ("findCatByTag", {"tag": "cute", "width": "800", "height": "600"}),
        "with the tag 'cute'",
    ),
    (
        "toolalpaca__Cataas__inst2",
        ["getRandomCat", "findCatById", "findCatByTag", "findCatWithText", "api", "tags", "count"],
        ("findCatWithText", {"text": "Happy Birthday!"}),
        "a cat picture that says 'Happy Birthday!'",
    ),
    (
        "rotbench__Turn 1: To which country does the city of Madrid belong and what is its population?",
        [
            "search_country",
            "search_city",
            "search_airport",
            "search_airline",
            "search_alliance",
            "search_airplane",
            "search_routes",
            "ask_to_user",
            "finish",
        ],
        ("search_city", {"query": "Madrid"}),
        "To which country does the city of Madrid belong and what is its population?",
    ),
]


@pytest.mark.parametrize(
    ("sample_id", "tools", "gold", "query"), PAPER_SAMPLES, ids=[row[0][:40] for row in PAPER_SAMPLES]
)
def test_paper_named_samples_have_the_appendix_tools_and_gold(clean, sample_id, tools, gold, query):
    sample = clean[sample_id]
    assert sample.tool_names == tools
    if gold is not None:
        first = sample.golden_answers[0].calls[0]
        assert (first.name, first.first_values()) == gold
    if query is not None:
        assert query in sample.messages[-1].content


@pytest.mark.parametrize(
    ("sample_id", "descriptions"),
    [
        (
            "apibank__level2_11",
            [
                "This API gets the current date.",
                "** Recall relevant context and analyze the current user goal.",
            ],
        ),
        (
            "toolalpaca__Cataas__inst2",
            [
                "Get random cat",
                "Get cat by id",
                "Get random cat by tag",
                "Get random cat saying text",
                "Will return all cats",
                "Will return all tags",
                "Count how many cats",
            ],
        ),
    ],
)
def test_tool_descriptions_match_the_paper_audit_examples(clean, sample_id, descriptions):
    assert [t.description for t in clean[sample_id].tools] == descriptions


def test_bfcl_keeps_every_acceptable_value_and_the_source_spelling(clean):
    sample = clean["bfcl_v3__BFCL_v3_multiple__multiple_110"]
    assert sample.golden_answers[0].calls[0].arguments == {
        "snp_id": ["rs6034464"],
        "species": ["Homo sapiens", OPTIONAL],
    }
    assert sample.tools[1].parameters["x-source-type"] == "dict"
    assert sample.output_format == "bfcl_ast"
    assert parse_tools("bfcl_v3", sample.system_prompt) == sample.tools


def test_apibank_keeps_the_upstream_prompt_and_python_types(clean, sources_dir):
    sample = clean["apibank__level1_213"]
    upstream = json.loads((sources_dir / sample.source_meta["file"]).read_text())[213]
    assert sample.system_prompt == upstream["system"]
    assert sample.messages[0].content == upstream["user"]
    assert sample.tools[2].properties["token"]["x-source-type"] == "str"


def test_rotbench_keeps_alternatives_and_marks_none_as_not_given(clean):
    cats = clean["rotbench__Turn 1: Could tell me 3 facts of cats and dogs?"]
    alternatives = [[(c.name, c.arguments) for c in g.calls] for g in cats.golden_answers]
    assert alternatives == [
        [("cat_facts", {"max_length": [OPTIONAL, "None"], "limit": ["3"]})],
        [("dog_facts", {"number": ["3"]})],
    ]
    assert cats.messages[0].content == "Could tell me 3 facts of cats and dogs?"  # no "\nBegin!\n"
    realty = next(s for s in clean.values() if s.source_meta.get("meta_tool_gold"))
    assert realty.golden_answers[0].calls[0].name == "ask_to_user"


def test_toolalpaca_schema_required_list_and_optional_api_keys(clean):
    cat = clean["toolalpaca__Cataas__inst2"]
    params = cat.tools[3].parameters
    assert params["required"] == ["text"]
    assert params["properties"]["text"] == {"type": "string", "description": "Text that the cat says"}
    assert cat.tools[0].properties["type"]["description"] == "Filter by cat type"
    keyed = sorted(s.id for s in clean.values() if s.source_meta.get("optional_auth_params"))
    assert len(keyed) == 8  # FORMATS.md §4: 8 of the 21 paper samples carry a real API key
    wolfram = clean["toolalpaca__WolframAlpha__inst10"]
    assert len(wolfram.golden_answers[0].calls) == 2
    assert all(OPTIONAL in c.arguments["appid"] for c in wolfram.golden_answers[0].calls)


def test_tooleyes_gold_comes_from_the_annotation_file(clean):
    rows = [s for s in clean.values() if s.source == "tooleyes"]
    assert {s.generator for s in rows} == {"annotation"}
    assert all(s.tool_names[-2:] == ["ask_to_user", "finish"] for s in rows)
    uuid = clean[
        "tooleyes__Turn 1: Can you help me by generating four UUIDs for the new virtual machines in our network?"
    ]
    assert uuid.golden_answers[0].calls[0].name in uuid.tool_names


def _tooleyes_entries() -> list[ManifestEntry]:
    return [e for e in load_manifest() if e.source == "tooleyes"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda rows: rows[1:], "have no gold label"),
        (
            lambda rows: [{**rows[0], "answers": [[{"name": "nope", "arguments": {}}]]}, *rows[1:]],
            "is not in",
        ),
        (
            lambda rows: [
                {**rows[0], "answers": [[{**rows[0]["answers"][0][0], "arguments": {"zz": ["1"]}}]]},
                *rows[1:],
            ],
            "has no parameter",
        ),
        (lambda rows: [rows[0], *rows], "duplicate annotation"),
    ],
)
def test_bad_tooleyes_annotations_fail_clearly(sources_dir, tmp_path, edit, message):
    rows = [json.loads(line) for line in tooleyes_loader.ANNOTATIONS.read_text().splitlines() if line.strip()]
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in edit(rows)))
    with pytest.raises(LoaderError, match=message):
        tooleyes_loader.load(Path(sources_dir), _tooleyes_entries(), annotations=path)


def test_a_locator_that_points_elsewhere_is_rejected(sources_dir):
    entry = next(e for e in load_manifest() if e.id == "apibank__level1_101")
    wrong = ManifestEntry(id="apibank__level1_102", source="apibank", file=entry.file, locator={"index": 101})
    with pytest.raises(LoaderError, match="locator"):
        load_clean(sources_dir, [wrong])
