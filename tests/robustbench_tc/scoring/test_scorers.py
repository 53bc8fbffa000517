"""Table-driven tests of the five strict per-source scorers and the error modes."""

from __future__ import annotations

import pytest

from robustbench_tc.parsing import ParsedCall
from robustbench_tc.records import GoldAnswer, GoldCall, Message, Sample, Tool
from robustbench_tc.scoring import classify, score_sample, scorer_for


def gold(
    *calls: tuple[str, dict], alternatives: list[list[tuple[str, dict]]] | None = None
) -> list[GoldAnswer]:
    alts = alternatives if alternatives is not None else [list(calls)]
    return [GoldAnswer(calls=[GoldCall(name=n, arguments=a) for n, a in alt]) for alt in alts]


def tool(name: str, **types: str) -> Tool:
    return Tool(
        name=name,
        parameters={
            "type": "object",
            "properties": {k: {"type": t} for k, t in types.items()},
            "required": [],
        },
    )


def C(name: str, args: dict | None = None, ok: bool = True) -> ParsedCall:
    return ParsedCall(name, args or {}, ok)


# ---------------------------------------------------------------------------------------- BFCL
BFCL_TOOLS = [
    tool("mutation_type.find", snp_id="string", species="string"),
    tool("calc", x="number", n="integer", flag="boolean", items="array", budget="object", conds="array"),
]
SNP = gold(("mutation_type.find", {"snp_id": ["rs6034464"], "species": ["Homo sapiens", ""]}))
CALC = gold(
    (
        "calc",
        {
            "x": [1.0, ""],
            "n": [3],
            "flag": [True, ""],
            "items": [["a", "b"], ["b", "a"], ""],
            "budget": [{"min": [300000], "max": [400000, ""]}, ""],
            "conds": [[{"field": ["age"], "value": ["25"]}], ""],
        },
    )
)


@pytest.mark.parametrize(
    "calls, answers, expected",
    [
        ([C("mutation_type.find", {"snp_id": "rs6034464"})], SNP, 1.0),  # optional omitted
        ([C("mutation_type.find", {"snp_id": "rs6034464", "species": "homo sapiens"})], SNP, 1.0),  # case
        (
            [C("mutation_type.find", {"snp_id": "RS-6034464", "species": "Homo_Sapiens."})],
            SNP,
            1.0,
        ),  # standardize
        (
            [C("mutation_type.find", {"snp_id": "rs6034464", "species": "Homo sapiens", "x": 1})],
            SNP,
            0.0,
        ),  # extra
        ([C("mutation_type.find", {"species": "Homo sapiens"})], SNP, 0.0),  # required missing
        ([C("mutation_type.find", {"snp_id": "rs6034465"})], SNP, 0.0),  # wrong value
        ([C("mutation_type_find", {"snp_id": "rs6034464"})], SNP, 0.0),  # name differs
        ([C("mutation_type.find", {"snp_id": "rs6034464"})] * 2, SNP, 0.0),  # call count
        ([], SNP, 0.0),
        ([C("mutation_type.find", {}, ok=False)], SNP, 0.0),  # unreadable arguments
        ([C("calc", {"n": 3})], CALC, 1.0),
        ([C("calc", {"n": 3, "x": 1})], CALC, 1.0),  # int accepted for float
        ([C("calc", {"n": 3.0})], CALC, 0.0),  # float not accepted for integer
        ([C("calc", {"n": True})], CALC, 0.0),  # bool is not an integer
        ([C("calc", {"n": "3"})], CALC, 0.0),  # string is not an integer
        ([C("calc", {"n": 3, "flag": 1})], CALC, 0.0),  # int is not a bool
        ([C("calc", {"n": 3, "items": ["B", "a"]})], CALC, 1.0),  # listed order, standardized elements
        ([C("calc", {"n": 3, "items": ["a"]})], CALC, 0.0),  # list length differs
        ([C("calc", {"n": 3, "budget": {"min": 300000}})], CALC, 1.0),  # nested optional key
        ([C("calc", {"n": 3, "budget": {"min": 300000, "max": 400000}})], CALC, 1.0),
        ([C("calc", {"n": 3, "budget": {"max": 400000}})], CALC, 0.0),  # nested required key missing
        ([C("calc", {"n": 3, "budget": {"min": 300000, "cap": 1}})], CALC, 0.0),  # nested extra key
        (
            [C("calc", {"n": 3, "conds": [{"field": "Age", "value": "25"}]})],
            CALC,
            1.0,
        ),  # list of nested dicts
        ([C("calc", {"n": 3, "conds": [{"field": "age", "value": 25}]})], CALC, 0.0),
        # several gold calls: matched in any order, the count must be equal
        ([C("b", {"y": 2}), C("a", {"x": 1})], gold(("a", {"x": [1]}), ("b", {"y": [2]})), 1.0),
        ([C("a", {"x": 1})], gold(("a", {"x": [1]}), ("b", {"y": [2]})), 0.0),
    ],
)
def test_bfcl(calls, answers, expected):
    assert scorer_for("bfcl_v3").score(calls, answers, BFCL_TOOLS) == expected


# ------------------------------------------------------------------------------------ API-Bank
ALARM = gold(("ModifyAlarm", {"token": ["abc"], "from_time": ["2023-03-20 06:30:00"], "count": ["5"]}))


@pytest.mark.parametrize(
    "calls, expected",
    [
        ([C("ModifyAlarm", {"token": "abc", "from_time": "2023-03-20 06:30:00", "count": "5"})], 1.0),
        (
            [C("ModifyAlarm", {"token": "ABC ", "from_time": "2023-03-20 06:30:00", "count": 5})],
            1.0,
        ),  # case, "5"==5
        ([C("ModifyAlarm", {"token": "abc", "from_time": "2023-03-20 06:30:00", "count": 5.0})], 1.0),
        ([C("ModifyAlarm", {"token": "abc", "from_time": "2023-03-20 06:30:00", "count": "6"})], 0.0),
        ([C("ModifyAlarm", {"token": "abc", "from_time": "2023-03-20 06:30:00"})], 0.0),  # missing
        ([C("ModifyAlarm", {"token": "abc", "from_time": "2023-03-20 06:30:00", "count": "5", "x": 1})], 0.0),
        (
            [C("modifyalarm", {"token": "abc", "from_time": "2023-03-20 06:30:00", "count": "5"})],
            0.0,
        ),  # name exact
        (
            [
                C("ModifyAlarm", {"token": "abc", "from_time": "2023-03-20 06:30:00", "count": "5"}),
                C("GetUserToken"),
            ],
            0.0,
        ),
        ([], 0.0),
    ],
)
def test_apibank(calls, expected):
    assert scorer_for("apibank").score(calls, ALARM, []) == expected


# ------------------------------------------------------------------------------------ RoTBench
ROT = gold(
    alternatives=[
        [("translate_nllb", {"text": ["hello"], "tgt_lang": ["fr"], "src_lang": ["", "None"]})],
        [("translate_baidu", {"q": ["hello"], "to": ["fr"]})],
        [("ask_to_user", {"question": ["Which language?"]})],
    ]
)


@pytest.mark.parametrize(
    "calls, expected",
    [
        ([C("translate_nllb", {"text": "hello", "tgt_lang": "fr"})], 1.0),
        (
            [C("translate_nllb", {"text": "hello", "tgt_lang": "fr", "src_lang": "None"})],
            1.0,
        ),  # "None" dropped
        (
            [C("translate_nllb", {"text": "hello", "tgt_lang": "fr", "src_lang": "en"})],
            0.0,
        ),  # not-given in gold
        ([C("translate_baidu", {"q": "hello", "to": "fr"})], 1.0),  # any alternative
        ([C("translate_baidu", {"q": "hello", "to": "fr", "from": "en"})], 0.0),  # extra field
        ([C("translate_baidu", {"q": "Hello", "to": "fr"})], 0.0),  # strings exact
        ([C("translate_nllb", {"text": "hello"})], 0.0),  # missing field
        ([C("ask_to_user", {"question": "anything at all"})], 1.0),  # meta-tool content not compared
        ([C("finish", {"answer": "x"})], 0.0),
        (
            [
                C("translate_baidu", {"q": "hi", "to": "fr"}),
                C("translate_nllb", {"text": "hello", "tgt_lang": "fr"}),
            ],
            0.0,
        ),
        ([C("translate_nllb", {"text": "hello", "tgt_lang": "fr"}), C("anything")], 1.0),  # first call scored
        ([], 0.0),
    ],
)
def test_rotbench(calls, expected):
    assert scorer_for("rotbench").score(calls, ROT, []) == expected


def test_rotbench_numbers_equal_their_spelling():
    answers = gold(("paper_rank", {"page": ["3"]}))
    assert scorer_for("rotbench").score([C("paper_rank", {"page": 3})], answers, []) == 1.0


# ---------------------------------------------------------------------------------- ToolAlpaca
def weather(city: str) -> tuple[str, dict]:
    return ("current_get", {"access_key": ["75619bf6", ""], "query": [city], "units": ["m"]})


TA = gold(weather("New York"), weather("Tokyo"), weather("Sydney"))


@pytest.mark.parametrize(
    "calls, expected",
    [
        ([C("current_get", {"query": "New York", "units": "m"})], 1.0),  # auth key optional
        (
            [C("current_get", {"query": "new york", "units": "M", "access_key": "made-up"})],
            1.0,
        ),  # optional not compared
        ([C("current_get", {"query": "Tokyo", "units": "m", "lang": "en"})], 1.0),  # extra ignored, any step
        (
            [
                C("current_get", {"query": "New York", "units": "m"}),
                C("current_get", {"query": "Sydney", "units": "m"}),
            ],
            1.0,
        ),
        (
            [
                C("current_get", {"query": "Sydney", "units": "m"}),
                C("current_get", {"query": "Tokyo", "units": "m"}),
            ],
            0.0,
        ),  # order
        ([C("current_get", {"query": "New York"})], 0.0),  # required gold value missing
        ([C("current_get", {"query": "Paris", "units": "m"})], 0.0),
        ([C("forecast_get", {"query": "New York", "units": "m"})], 0.0),
        ([C("current_get", {"query": "Tokyo", "units": "m"}), C("other")], 0.0),  # a call matching no step
        ([], 0.0),
    ],
)
def test_toolalpaca(calls, expected):
    assert scorer_for("toolalpaca").score(calls, TA, []) == expected


def test_toolalpaca_numeric_strings():
    answers = gold(("getRandomCat", {"width": ["500"], "height": ["300"]}))
    assert (
        scorer_for("toolalpaca").score([C("getRandomCat", {"width": 500, "height": "300"})], answers, [])
        == 1.0
    )


# ------------------------------------------------------------------------------------ ToolEyes
TE = gold(alternatives=[[("shorten", {}), ("paper_rank", {}), ("finish", {})], [("search", {})]])


@pytest.mark.parametrize(
    "calls, expected",
    [
        ([C("shorten"), C("paper_rank"), C("finish")], 1.0),
        ([C("shorten", {"url": "anything"})], pytest.approx(1 / 3)),  # arguments are not compared
        ([C("shorten"), C("finish")], pytest.approx(2 / 3)),  # in order, skipping a step
        ([C("paper_rank"), C("shorten")], pytest.approx(1 / 3)),  # out of order counts once
        ([C("search")], 1.0),  # single-step alternative: binary
        ([C("Search")], 0.0),  # exact name
        ([], 0.0),
    ],
)
def test_tooleyes(calls, expected):
    assert scorer_for("tooleyes").score(calls, TE, []) == expected


# --------------------------------------------------------------------------------- error modes
def _sample(source: str, fmt: str, answers: list[GoldAnswer]) -> Sample:
    return Sample(
        id=f"{source}__x",
        source=source,
        messages=[Message(role="user", content="q")],
        tools=[],
        golden_answers=answers,
        output_format=fmt,
    )


@pytest.mark.parametrize(
    "source, fmt, answers, raw, mode",
    [
        ("apibank", "tool_call_json", ALARM, "   \n", "empty"),
        (
            "apibank",
            "tool_call_json",
            ALARM,
            "It seems the tool timed out, please try again later.",
            "omitted",
        ),
        (
            "apibank",
            "tool_call_json",
            ALARM,
            '<tool_call>{"name": "GetUserToken", "parameters": {}}</tool_call>',
            "parameter_mismatch",
        ),
        (
            "apibank",
            "tool_call_json",
            ALARM,
            '<tool_call>{"name": "ModifyAlarm", "parameters": {"token": "abc", "from_time": "2023-03-20 06:30:00", '
            '"count": "5"}}\n{"name": "GetUserToken", "parameters": {}}</tool_call>',
            "other",
        ),  # right call + extra
        (
            "apibank",
            "tool_call_json",
            ALARM,
            '<tool_call>{"name": "ModifyAlarm", "parameters": {"token": "abc", "from_time": "2023-03-20 06:30:00", '
            '"count": "5"}}</tool_call>',
            "correct",
        ),
        ("tooleyes", "react", TE, "Action: shorten\nAction Input: {}", "other"),  # partial credit
        (
            "rotbench",
            "react",
            ROT,
            'Action: x\nAction Input: {}\nAction: translate_baidu\nAction Input: {"q": "hello", "to": "fr"}',
            "other",
        ),
    ],
)
def test_error_modes(source, fmt, answers, raw, mode):
    assert score_sample(_sample(source, fmt, answers), raw).error_mode == mode


def test_classify_rule_order():
    assert classify("", [C("f")], 0.0) == "empty"  # raw checked before calls
    assert classify("x", [C("f")], 1.0) == "correct"
