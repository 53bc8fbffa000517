"""Deterministic quality figures: edit size, curated-list hits, and the rules build's figures."""

from __future__ import annotations

import pytest

from robustbench_tc.perturbations import bad_edits
from robustbench_tc.perturbations.figures import edit_tokens, figures_table, quality_figures
from robustbench_tc.perturbations.pairs import TEXT_TYPES, text_pairs


@pytest.mark.parametrize(
    ("before", "after", "size"),
    [
        ("Find the cat.", "Find the cat.", 0),
        ("Find the cat.", "Locate the cat.", 1),
        ("Find the cat.", "Could you find the cat?", 4),  # Could + you + find (replacing Find) + ?
        ("A b. C d.", "C d. A b.", 6),  # a moved sentence counts twice: deleted, then inserted
        ("name of the city", "title of the city", 1),
    ],
)
def test_edit_tokens(before, after, size):
    assert edit_tokens(before, after) == size


@pytest.mark.parametrize(
    ("clean", "perturbed", "names"),
    [
        # the examples
        ("The name of the company for which", "The title of the company for which", ["name -> title"]),
        ("Name of the game", "Title of the game", ["name -> title"]),
        (
            "required to access this information.",
            "required to access this details.",
            ["determiner + plural 'details'"],
        ),
        (
            "Can you tell me more about 'Utah' league?",
            "Would you inform me of more about 'Utah' league?",
            ["inform me of more/about"],
        ),
        # a few more from the rule review
        (
            "Find out how fast an object was going",
            "Identify out how quick an object was going",
            ["find out -> X out", "how quick an"],
        ),
        (
            "Check the price of tomatoes.",
            "Verify the cost of tomatoes.",
            ["check -> verify", "price -> cost"],
        ),
        ("The default is 10.", "The defaults to 10.", ["the defaults to"]),
        # good paraphrases, clause rewrites and moved sentences are not hits
        ("Can you find the price of tomatoes?", "Please find the price of tomatoes.", []),
        ("I'm in Oslo. Could you check the weather?", "Could you check the weather? I'm in Oslo.", []),
        ("The name of the city.", "What is the name of the city?", []),
        ("Gets the title of a book.", "Use this tool to get the title of a book.", []),
    ],
)
def test_curated_list(clean, perturbed, names):
    assert [e.name for e in bad_edits.hits(clean, perturbed)] == names


def test_curated_entries_compile_and_are_unique():
    names = [e.name for e in bad_edits.BAD_EDITS]
    assert len(names) == len(set(names))
    for entry in bad_edits.BAD_EDITS:
        assert not entry.hit("", ""), entry.name  # nothing gained from nothing


def test_rules_build_figures(static_build, clean_samples):
    """The rules generators change every row that has text, keep every gold value and number,
    make no curated mistake, and do more than swap a word (the issue's "shallow edits")."""
    figures = {f.code_name: f for f in quality_figures(clean_samples, static_build.configs)}
    assert list(figures) == list(TEXT_TYPES)
    for code, f in figures.items():
        assert f.generator == "rules" and f.rows == 199
        assert f.changed == f.pairs, code  # rows with text to compare all changed
        assert f.gold_kept == f.gold_rows > 0, code
        assert f.flagged == 0, f.flagged_ids
    assert figures["query_paraphrase"].edit_tokens_median >= 3
    assert figures["paraphrase_parameter_description"].edit_tokens_median >= 10
    assert figures["paraphrase_parameter_description"].one_token_share < 0.2
    assert static_build.figures == list(figures.values())
    table = figures_table(static_build.figures)
    assert table.count("\n") == 1 + len(TEXT_TYPES) and "| ParamPara | `rules` | 199 |" in table
    assert "### Perturbation quality: deterministic figures" in static_build.card_notes


def test_pairs_skip_rows_without_text(static_build, clean_samples):
    rows = static_build.configs["paraphrase_parameter_description"]
    pairs = list(text_pairs(clean_samples, rows))
    flagged = [r for r in rows if r.perturbation_metadata.get("no_parameter_descriptions")]
    assert flagged and len(pairs) == len(rows) - len(flagged)
    assert all(p.clean != p.perturbed for p in pairs)
