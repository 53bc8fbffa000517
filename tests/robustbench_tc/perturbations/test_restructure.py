"""Clause-level rewrites of the rules paraphrases: each rule on texts it must and must not touch."""

from __future__ import annotations

import pytest

from robustbench_tc.perturbations.restructure import (
    description_rewrites,
    is_plural,
    parameter_rewrites,
    query_rewrites,
    sentences,
)


def _applied(rewrites, text: str) -> dict[str, str]:
    return {r.rule: r.apply(text) for r in rewrites}


@pytest.mark.parametrize(
    ("text", "rule", "expected"),
    [
        (
            "Can you find the cheapest flight to Oslo?",
            "request_as_imperative",
            "Please find the cheapest flight to Oslo.",
        ),
        ("Hi, could you please tell me the time?", "request_as_imperative", "Hi, please tell me the time."),
        (
            "Find the area of a circle with radius 3.",
            "imperative_as_request",
            "Could you find the area of a circle with radius 3?",
        ),
        ("Please fetch slip 456.", "imperative_as_request", "Could you fetch slip 456?"),
        (
            "I'm planning a picnic in Oslo. Could you check the weather for me?",
            "context_after_request",
            "Could you check the weather for me? I'm planning a picnic in Oslo.",
        ),
        (
            "**Dialogue Records History**\n<user>Can you delete my alarm?</user>\n<response>Ok</response>\n"
            "<user> Based on our conversation above, do it.</user>\n",
            "request_as_imperative",
            "**Dialogue Records History**\n<user>Please delete my alarm.</user>\n<response>Ok</response>\n"
            "<user> Based on our conversation above, do it.</user>\n",
        ),
    ],
)
def test_query_rewrites(text, rule, expected):
    assert _applied(query_rewrites(text), text)[rule] == expected


@pytest.mark.parametrize(
    ("text", "protect", "absent"),
    [
        ("Can you check my balance, please?", (), "request_as_imperative"),  # would say "please" twice
        ("Can you 'Find me' now?", (), "request_as_imperative"),  # the verb is inside a quoted span
        ("Auto complete this keyword for me: tesla.", (), "imperative_as_request"),  # not a verb
        ("I'm curious. Can you fetch it for me?", (), "context_after_request"),  # "it" refers back
        ("Hi there.", (), "request_as_imperative"),
        ("Book a room with Dr. Smith.", (), "nothing"),  # "Dr." does not end the sentence
    ],
)
def test_query_rewrites_leave_alone(text, protect, absent):
    rules = {r.rule for r in query_rewrites(text, protect)}
    assert absent not in rules
    if absent == "nothing":
        assert [r.apply(text) for r in query_rewrites(text)] == ["Could you book a room with Dr. Smith?"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "This API queries the balance of a user.",
            {
                "drop_subject": "Queries the balance of a user.",
                "use_to": "Use this API to query the balance of a user.",
                "passive_voice": "The balance of a user is queried by this API.",
            },
        ),
        (
            "This API provides basic arithmetic operations.",
            {
                "drop_subject": "Provides basic arithmetic operations.",
                "passive_voice": "Basic arithmetic operations are provided by this API.",
            },
        ),  # no "Use this API to provide": the user gets what a tool provides
        (
            "Returns ten random jokes.",
            {
                "use_to": "Use this tool to get ten random jokes.",
                "passive_voice": "Ten random jokes are returned.",
            },
        ),
        ("Get random cat", {"use_to": "Use this tool to get random cat"}),
        (
            "Retrieves the historical weather data based on city and date.",
            {
                "use_to": "Use this tool to retrieve the historical weather data based on city and date.",
            },
        ),  # no passive: "based on" would attach to the data
        ("Use id to find specific jokes.", {}),  # "Use this tool to use" is not English
        ("A JSON representation of a board catalog.", {}),
    ],
)
def test_description_rewrites(text, expected):
    assert _applied(description_rewrites(text), text) == expected


@pytest.mark.parametrize(
    ("text", "param_type", "expected"),
    [
        (
            "The name of the city.",
            "string",
            {
                "as_question": "What is the name of the city?",
                "as_imperative": "Specify the name of the city.",
            },
        ),
        (
            "Coordinates for Point A.",
            "array",
            {
                "as_question": "What are the coordinates for Point A?",
                "as_imperative": "Specify the coordinates for Point A.",
            },
        ),
        (
            "The domains you want to analyze.",
            "string",
            {
                "as_question": "What are the domains you want to analyze?",
                "as_imperative": "Specify the domains you want to analyze.",
            },
        ),
        (
            "A specific area of expertise.",
            "string",
            {"as_imperative": "Specify a specific area of expertise."},
        ),
        (
            "The time for alarm. Format: %Y-%m-%d",
            "str",
            {
                "as_question": "What is the time for alarm? Format: %Y-%m-%d",
                "as_imperative": "Specify the time for alarm. Format: %Y-%m-%d",
            },
        ),
        (
            "Whether to include the impact of humans.",
            "boolean",
            {
                "boolean_as_flag": "Set to true to include the impact of humans.",
            },
        ),
        ("Whether to switch the device on or off.", "bool", {}),  # true would mean neither
        ("Whether to include the impact of humans.", "string", {}),  # not a boolean
        ("The location is required.", "string", {}),  # a sentence, not a noun phrase
        ("Search for individual books.", "string", {}),  # an imperative already
        ("One of the following: A | B.", "string", {}),
        ("The date, in the format mm/dd/yyyy.'", "string", {}),  # ends inside a quote
    ],
)
def test_parameter_rewrites(text, param_type, expected):
    assert _applied(parameter_rewrites(text, param_type), text) == expected


@pytest.mark.parametrize(
    ("phrase", "plural"),
    [
        ("the name of the city", False),
        ("the geographic coordinates of the farm", True),
        ("the city and state, e.g. Chicago", True),
        ("ticker data for a symbol", False),
        ("detailed player's statistics for a year", True),
        ("the formula that needs to be calculated", False),
        ("the status", False),
    ],
)
def test_is_plural(phrase, plural):
    assert is_plural(phrase) is plural


def test_sentences_keep_offsets():
    text = "  Hi.  Call Dr. Who now! Done"
    assert [text[a:b] for a, b in sentences(text)] == ["Hi.", "Call Dr. Who now!", "Done"]
