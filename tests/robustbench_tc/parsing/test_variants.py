"""Every parser variant of Appendix I on the paper's own examples (App. I, App. O) and their kin."""

from __future__ import annotations

import pytest

from robustbench_tc.parsing import VARIANTS, parse_tool_calls

BRAZIL = [("country_info.capital", {"country": "Brazil"})]
BALANCE = [("QueryBalance", {"token": "p9o8i7u6y5t4r3e2w1q"})]
MADRID = [("search_city", {"query": "Madrid"})]


def calls(raw: str, source: str | None) -> list[tuple[str, dict]]:
    return [(c.name, c.arguments) for c in parse_tool_calls(raw, source)]


@pytest.mark.parametrize(
    "raw, source, expected",
    [
        # Appendix O, case 2: the clean output (bracketed) and the perturbed output (unbracketed)
        ('[country_info.capital(country="Brazil")]', "bfcl_v3", BRAZIL),
        ('country_info.capital(country="Brazil")', "bfcl_v3", BRAZIL),
        # Appendix O, case 1: a tool_call block followed by prose
        (
            'Of course, I will use your user token to query your account balance. <tool_call>{"name":"QueryBalance",'
            '"parameters":{"token":"p9o8i7u6y5t4r3e2w1q"}}</tool_call> Your current account balance is $1000.',
            "apibank",
            BALANCE,
        ),
        # Appendix O, case 1 pass 2: text only -> no call (the "omitted" mode)
        (
            "It seems like there was an issue retrieving your account balance. Let's try this again. "
            "Could you please provide your token once more?",
            "apibank",
            [],
        ),
        # BFCL canonical with several calls, dotted names and literal types
        (
            '[mutation_type.find(snp_id="rs6034464", species="Homo sapiens"), f(a=[1, 2], b={"k": -1.5}, c=True, d=None)]',
            "bfcl_v3",
            [
                ("mutation_type.find", {"snp_id": "rs6034464", "species": "Homo sapiens"}),
                ("f", {"a": [1, 2], "b": {"k": -1.5}, "c": True, "d": None}),
            ],
        ),
        # BFCL colon-separator variant (Qwen2.5-1.5B ToolRL)
        ('[country_info.capital(country:"Brazil")]', "bfcl_v3", BRAZIL),
        # BFCL keyword-list variant (SFT-Clean)
        ('[func_name="country_info.capital", params={"country": "Brazil"}]', "bfcl_v3", BRAZIL),
        # BFCL inside a code fence and after prose
        ('Sure:\n```python\n[country_info.capital(country="Brazil")]\n```', "bfcl_v3", BRAZIL),
        # tool_call with several JSON lines (ToolRL format)
        (
            '<tool_call>\n{"name": "a", "parameters": {"x": 1}}\n{"name": "b", "parameters": {}}\n</tool_call>',
            "apibank",
            [("a", {"x": 1}), ("b", {})],
        ),
        # tool_call with a JSON list inside, and an unclosed block at the end
        ('<tool_call>[{"name": "a", "arguments": {"x": 1}}]</tool_call>', "apibank", [("a", {"x": 1})]),
        (
            '<tool_call>\n{"name": "QueryBalance", "parameters": {"token": "p9o8i7u6y5t4r3e2w1q"}}',
            "apibank",
            BALANCE,
        ),
        # API-Bank XML variants (Qwen2.5-1.5B)
        ('<tool>QueryBalance</tool>\n{"token": "p9o8i7u6y5t4r3e2w1q"}', "apibank", BALANCE),
        ('<tool name="QueryBalance" parameters={"token": "p9o8i7u6y5t4r3e2w1q"}/>', "apibank", BALANCE),
        ('<toolcall tool="QueryBalance">{"token": "p9o8i7u6y5t4r3e2w1q"}</toolcall>', "apibank", BALANCE),
        (
            '<tool_call tool_name="QueryBalance">{"token": "p9o8i7u6y5t4r3e2w1q"}</tool_call>',
            "apibank",
            BALANCE,
        ),
        (
            '<tool_call tool_name="QueryBalance">{"parameters": {"token": "p9o8i7u6y5t4r3e2w1q"}}</tool_call>',
            "apibank",
            BALANCE,
        ),
        # ReAct (RoTBench gold layout), the ActionCode alias (SFT-Robust), markdown-bold labels
        ('Thought:\nAction: search_city\nAction Input: {"query": "Madrid"}', "rotbench", MADRID),
        (
            'Thought: look it up\nActionCode: search_city\nAction Input: {"query": "Madrid"}',
            "rotbench",
            MADRID,
        ),
        ('**Action:** search_city\n**Action Input:** {"query": "Madrid"}', "tooleyes", MADRID),
        ('ASSISTANT Action: search_city\nASSISTANT Action Input: {"query": "Madrid"}', "toolalpaca", MADRID),
        ("Action: search_city\nAction Input: {'query': 'Madrid'}", "rotbench", MADRID),
        ("Action: finish\nAction Input: None", "rotbench", [("finish", {})]),
        # ReAct with a hallucinated observation and a second step: one call per Action line
        (
            'Action: search_city\nAction Input: {"query": "Madrid"}\nObservation: ...\n'
            'Thought: next\nAction: search_country\nAction Input: {"query": "Spain"}',
            "rotbench",
            [*MADRID, ("search_country", {"query": "Spain"})],
        ),
        # ToolAlpaca ad-hoc forms: func: {json} (Qwen3.5), Function/Parameters (Qwen2.5-3B),
        # query string (Llama-3.2-Instruct)
        (
            'findCatWithText: {"text": "Happy Birthday!"}',
            "toolalpaca",
            [("findCatWithText", {"text": "Happy Birthday!"})],
        ),
        (
            'Function: findCatByTag\nParameters: {"tag": "cute"}',
            "toolalpaca",
            [("findCatByTag", {"tag": "cute"})],
        ),
        (
            "Function: findCatByTag\nParameters: tag=cute, width=800",
            "toolalpaca",
            [("findCatByTag", {"tag": "cute", "width": "800"})],
        ),
        (
            "`getRandomCat?width=500&height=300&json=true`",
            "toolalpaca",
            [("getRandomCat", {"width": "500", "height": "300", "json": "true"})],
        ),
        # JSON blob with each name / argument alias
        ('{"name": "f", "parameters": {"a": 1}}', "apibank", [("f", {"a": 1})]),
        ('{"function": "f", "arguments": {"a": 1}}', "apibank", [("f", {"a": 1})]),
        ('{"tool": "f", "params": {"a": 1}}', "rotbench", [("f", {"a": 1})]),
        ('{"func_name": "f", "args": {"a": 1}}', "rotbench", [("f", {"a": 1})]),
        ('{"tool_name": "f", "arguments": "{\\"a\\": 1}"}', "tooleyes", [("f", {"a": 1})]),
        ('```json\n{"action": "search_city", "action_input": {"query": "Madrid"}}\n```', "rotbench", MADRID),
        # OpenAI function-calling output (the `tool_calls` list, arguments as a JSON string)
        (
            '[{"id": "call_1", "type": "function", "function": {"name": "QueryBalance", '
            '"arguments": "{\\"token\\": \\"p9o8i7u6y5t4r3e2w1q\\"}"}}]',
            "apibank",
            BALANCE,
        ),
        (
            '{"tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{}"}}]}',
            "bfcl_v3",
            [("f", {})],
        ),
        # Hermes-style text the harness writes for function-calling replies
        (
            '<tool_call>{"name": "mutation_type.find", "arguments": {"snp_id": "rs1"}}</tool_call>',
            "bfcl_v3",
            [("mutation_type.find", {"snp_id": "rs1"})],
        ),
        # bare Python call (TL-CodeLLaMA on RoTBench)
        ('I will look it up.\nsearch_city(query="Madrid")', "rotbench", MADRID),
        # reasoning is ignored: a call inside <think> does not count
        ("<think>maybe [f(a=1)]</think>\nNo function fits.", "bfcl_v3", []),
        (
            '<think>\nthe user wants Brazil\n</think>\n[country_info.capital(country="Brazil")]',
            "bfcl_v3",
            BRAZIL,
        ),
        # nothing to parse
        ("", "bfcl_v3", []),
        ("I cannot help with this request.", "tooleyes", []),
    ],
)
def test_parses_paper_examples(raw, source, expected):
    assert calls(raw, source) == expected


@pytest.mark.parametrize(
    "raw, source, first_variant",
    [
        # the source's own format goes first: a ReAct output that also holds a Python-looking call
        (
            'Thought: use f(x=1)?\nAction: search_city\nAction Input: {"query": "Madrid"}',
            "rotbench",
            "search_city",
        ),
        # ... while BFCL reads the bracketed list before any JSON in the same output
        (
            '[country_info.capital(country="Brazil")]\n{"name": "other", "parameters": {}}',
            "bfcl_v3",
            "country_info.capital",
        ),
        (
            '<tool_call>{"name": "QueryBalance", "parameters": {}}</tool_call> [g(a=1)]',
            "apibank",
            "QueryBalance",
        ),
    ],
)
def test_dispatch_order_prefers_the_sources_format(raw, source, first_variant):
    assert parse_tool_calls(raw, source)[0].name == first_variant


@pytest.mark.parametrize(
    "raw, source",
    [
        ("Action: search_city\nAction Input: query is Madrid", "rotbench"),  # unreadable input
        ("[f(1, 2)]", "bfcl_v3"),  # positional arguments
    ],
)
def test_calls_with_unreadable_arguments_are_kept_but_flagged(raw, source):
    (call,) = parse_tool_calls(raw, source)
    assert call.arguments_ok is False


def test_every_variant_is_registered_in_paper_order():
    assert VARIANTS.names() == [
        "bfcl_ast",
        "tool_call_xml",
        "react",
        "toolalpaca",
        "json_blob",
        "python_call",
    ]


def test_unknown_source_suggests_a_close_name():
    with pytest.raises(KeyError, match="did you mean 'rotbench'"):
        parse_tool_calls("x", "rotbnech")
