"""Typo invariants (property-based): 2-4 edits, and nothing protected is ever touched."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robustbench_tc.perturbations.typos import add_typos

WORDS = st.sampled_from(
    "find the type of rock based on please tell me what weather will be like tomorrow "
    "could you book a table for two people near station calculate area circle radius".split()
)
PROTECTED = st.sampled_from(
    [
        "2023-03-24",
        "14:00:00",
        "ab123456",
        "Canis lupus",
        "Cafe Blue",
        "user9pass",
        "https://x.org/a",
        "snp_id",
        "mutation_type.find",
        "camelCase",
        "NASA",
        "'quoted text'",
        "42",
        "3.5",
    ]
)


@st.composite
def queries(draw):
    words = draw(st.lists(WORDS, min_size=2, max_size=25))
    extras = draw(st.lists(PROTECTED, min_size=0, max_size=4))
    tokens = words + extras
    draw(st.randoms(use_true_random=False)).shuffle(tokens)
    text = " ".join(tokens)
    gold = [e for e in extras if e[0].isalpha() and " " in e]  # multi-word gold values
    return "Please " + text, gold, extras


def _letters_only_diff(a: str, b: str) -> bool:
    return re.sub(r"[A-Za-z]", "", a) == re.sub(r"[A-Za-z]", "", b)


@settings(max_examples=300, deadline=None)
@given(queries(), st.integers(0, 2**32))
def test_typo_invariants(query, seed):
    text, gold, extras = query
    stripped = text
    for g in extras:
        stripped = stripped.replace(g, " ")
    plain = re.findall(r"(?<![\w'])[a-z]{3,}(?![\w'])", stripped)
    try:
        out, edits = add_typos(text, random.Random(seed), gold)
    except ValueError:
        assert not plain  # only when no plain word may be edited
        return
    n = sum(len(e["kinds"]) for e in edits)
    assert 2 <= n <= 4
    assert out != text
    # numbers, dates, technical terms, quoted strings and gold values survive verbatim
    for token in [
        "2023-03-24",
        "14:00:00",
        "ab123456",
        "user9pass",
        "https://x.org/a",
        "snp_id",
        "mutation_type.find",
        "camelCase",
        "NASA",
        "'quoted text'",
        "42",
        "3.5",
        *gold,
    ]:
        assert text.count(token) <= out.count(token), token
    assert re.findall(r"\d+", text) == re.findall(r"\d+", out)
    assert _letters_only_diff(text, out)
    for e in edits:  # every edit is where it says, in a plain word, first letter kept
        assert text[e["offset"] : e["offset"] + len(e["word"])] == e["word"]
        assert e["typo"][0] == e["word"][0] and e["typo"] != e["word"]


@pytest.mark.parametrize(
    ("text", "untouched"),
    [
        (
            "Look up the rock type for the GPS (Global Positioning System) fix ab123456 please.",
            ["GPS", "(Global Positioning System)", "ab123456"],
        ),
        (
            '**Dialogue Records History**\n<user>The note says "Dinner with family" and the place is here.</user>\n'
            "<response>Sure thing, saving the note now.</response>\n\n<user> Based on our conversation above, "
            "do it.</user>\n",
            [
                '"Dinner with family"',
                "<response>Sure thing, saving the note now.</response>",
                "<user> Based on our conversation above, do it.</user>",
                "**Dialogue Records History**",
            ],
        ),
        (
            "Reserve a table at Cafe Blue, Santa Fe, for 4 people starting from June 3, 2024.",
            ["Cafe Blue, Santa Fe,", "June 3, 2024."],
        ),
    ],
)
@pytest.mark.parametrize("seed", range(20))
def test_typos_leave_protected_spans_alone(text, untouched, seed):
    out, _ = add_typos(text, random.Random(seed))
    for span in untouched:
        assert span in out


def test_no_editable_word_is_an_error():
    with pytest.raises(ValueError, match="no plain word"):
        add_typos("NASA ab123456 'x y'", random.Random(0))
