"""Every static type on synthetic samples the clean set lacks: non-ASCII tool names and queries,
nested parameter descriptions, in each source's prompt layout."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from robustbench_tc.formats import parse_tools, with_tools
from robustbench_tc.perturbations import (
    GeneratorConfig,
    PerturbationError,
    perturb,
    perturb_row,
    static_codes,
)
from robustbench_tc.perturbations.generators import make_generator
from robustbench_tc.perturbations.naming import abbreviate, split_name
from robustbench_tc.perturbations.siblings import sibling_tools
from robustbench_tc.perturbations.text import editable_words, query_text, with_query
from robustbench_tc.perturbations.typos import add_typos
from robustbench_tc.records import GoldAnswer, GoldCall, Sample, Tool

SOURCES = ("bfcl_v3", "apibank", "rotbench", "toolalpaca", "tooleyes")


def _params(props: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": props, "required": required or []}


UNICODE_TOOLS = [
    Tool(
        name="météo.prévision",
        description="Gives the weather forecast for a city.",
        parameters=_params({"ville": {"type": "string", "description": "The name of the city."}}, ["ville"]),
    ),
    Tool(
        name="get_news",
        description="Returns the latest news for a topic.",
        parameters=_params({"topic": {"type": "string", "description": "The topic of the news."}}),
    ),
]
UNICODE_GOLD = [GoldAnswer(calls=[GoldCall(name="météo.prévision", arguments={"ville": ["Zürich"]})])]
NESTED_TOOLS = [
    Tool(
        name="book_flight",
        description="Book a flight for a passenger.",
        parameters=_params(
            {
                "passenger": {
                    "type": "object",
                    "properties": {
                        "first_name": {"type": "string", "description": "The first name of the passenger."},
                        "age": {"type": "integer", "description": "The age of the passenger in years."},
                    },
                    "required": ["first_name"],
                },
                "dates": {
                    "type": "array",
                    "items": {"type": "string", "description": "A travel date, YYYY-MM-DD."},
                },
            },
            ["passenger"],
        ),
    ),
]
NESTED_GOLD = [
    GoldAnswer(
        calls=[
            GoldCall(
                name="book_flight",
                arguments={"passenger": [{"first_name": ["John"], "age": [30]}], "dates": [["2024-05-01"]]},
            )
        ]
    )
]


def _synthetic(clean: Sample, tools: list[Tool], gold: list[GoldAnswer], request: str) -> Sample:
    """``clean`` with other tools, gold and user request, in the same source's prompt layout."""
    meta = [t for t in clean.tools if t.name in ("ask_to_user", "finish", "**Think")]
    row = with_tools(clean, [*tools, *meta])
    query = query_text(row)
    if "<user>" in query:  # API-Bank dialogue: the request is the first user turn
        start = query.index("<user>") + len("<user>")
        text = query[:start] + request + query[query.index("</user>", start) :]
    else:
        text = request
    row = with_query(row, text)
    row.id = row.base_id = f"{clean.source}__synthetic"
    row.golden_answers = [g.model_copy(deep=True) for g in gold]
    return row


@pytest.fixture(scope="module")
def one_per_source(clean_samples):
    return {src: next(s for s in clean_samples if s.source == src) for src in SOURCES}


@pytest.mark.parametrize("source", SOURCES)
def test_non_ascii_tool_names_in_every_prompt_layout(one_per_source, source):
    sample = _synthetic(
        one_per_source[source],
        UNICODE_TOOLS,
        UNICODE_GOLD,
        "What is the weather in Zürich tomorrow, with the café open near Ångström street?",
    )
    for code in static_codes():
        row = perturb(sample, code, seed=0)
        if row is None:
            continue
        listed = Counter(t.name for t in parse_tools(source, row.system_prompt))
        assert listed == Counter(row.tool_names), code
        if code in ("CD_AB", "TD_AB"):
            assert row.golden_answers[0].calls[0].name == "mét.pré"
        if code == "realistic_typos":
            assert all(w in query_text(row) for w in ("Zürich", "Ångström"))


@pytest.mark.parametrize(
    ("text", "editable", "protected"),
    [
        ("Show me the forecast for Zürich and São Paulo.", {"forecast"}, {"Zürich", "rich", "o"}),
        ("Book the café near Ångström street.", {"café", "street"}, {"Ångström", "ngstr", "caf"}),
        ("Quelle est la météo à Genève?", {"météo", "est"}, {"Genève", "m", "t"}),
    ],
)
def test_non_ascii_words_are_whole_words(text, editable, protected):
    words = {w for _, _, w in editable_words(text)}
    assert editable <= words and not words & protected
    for seed in range(20):
        out, _ = add_typos(text, random.Random(seed))
        assert all(p in out for p in protected if p[:1].isupper())


@pytest.mark.parametrize(
    ("name", "expected", "parts"),
    [
        ("météo.prévision", "mét.pré", ("météo", ["prévision"], "lower")),
        ("obtenirMétéoVille", "obtMétVil", ("", ["obtenir", "Météo", "Ville"], "camel")),
        ("Ärger_melden", "Ärg_mel", ("", ["Ärger", "melden"], "snake")),
    ],
)
def test_non_ascii_names(name, expected, parts):
    assert abbreviate(name) == expected
    assert split_name(name) == parts
    siblings = sibling_tools(Tool(name=name), 2, random.Random(0), taken={name})
    assert all(
        not any(sep in s.name.replace(name.rpartition(".")[0], "") for sep in ("_é", "é_")) for s in siblings
    )


@pytest.mark.parametrize("source", SOURCES)
def test_param_para_reaches_nested_parameter_descriptions(one_per_source, source):
    sample = _synthetic(
        one_per_source[source],
        NESTED_TOOLS,
        NESTED_GOLD,
        "I would like to book a flight for John, who is 30, on 2024-05-01.",
    )
    row = perturb(sample, "paraphrase_parameter_description", seed=0)
    meta = row.perturbation_metadata
    assert "no_parameter_descriptions" not in meta
    seen = [
        p
        for p in meta["changed_parameters"] + meta.get("unchanged_parameters", [])
        if p.startswith("book_flight.")
    ]
    assert sorted(seen) == [
        "book_flight.dates[]",
        "book_flight.passenger.age",
        "book_flight.passenger.first_name",
    ]
    clean_props, row_props = sample.tools[0].properties, row.tools[0].properties
    assert clean_props != row_props
    assert set(row_props["passenger"]["properties"]) == {"first_name", "age"}


@pytest.mark.parametrize(
    ("sample_id", "query", "code", "reason"),
    [
        ("bfcl_v3__BFCL_v3_multiple__multiple_110", "", "CD", "no user text"),
        (
            "apibank__level1_101",
            "**Dialogue Records History**\n<user> Based on our conversation above, "
            "please only make one tool call to solve my need.</user>\n",
            "TD_NT",
            "no user text",
        ),
        ("bfcl_v3__BFCL_v3_multiple__multiple_110", "rs6034464 2024", "realistic_typos", "no plain word"),
    ],
)
def test_a_sample_that_cannot_take_the_type_fails_naming_it(by_id, sample_id, query, code, reason):
    with pytest.raises(PerturbationError) as err:
        perturb(with_query(by_id[sample_id], query), code, seed=0)
    assert sample_id in str(err.value) and code in str(err.value) and reason in str(err.value)


GT_TOOL_TYPES = ("same_name_A", "same_name_B", "same_name_C", "same_name_D", "same_name_E",
                 "CD", "TD", "CD_NT", "TD_NT", "CD_AB", "TD_AB")  # fmt: skip


@pytest.mark.parametrize("meta", ["ask_to_user", "finish"])
@pytest.mark.parametrize("code", GT_TOOL_TYPES)
def test_a_meta_tool_gold_is_not_a_ground_truth_tool(one_per_source, code, meta):
    """Renaming, duplicating or pricing ``ask_to_user``/``finish`` has no meaning (and would hide them
    from the scorer's meta-tool rule): such samples skip the types built on the GT tool."""
    clean = one_per_source["rotbench"]
    row = clean.model_copy(deep=True)
    row.golden_answers = [GoldAnswer(calls=[GoldCall(name=meta, arguments={})])]
    result = perturb_row(row, code, seed=0, generator=make_generator(GeneratorConfig()))
    assert result.row is None and f"meta-tool {meta!r}" in result.ineligible
    assert perturb(clean, code, seed=0) is not None  # the same sample with a real gold tool is eligible
