"""The taxonomy table against the paper's own tables (../shared/paper)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from robustbench_tc import taxonomy
from robustbench_tc.taxonomy import Component, get_type
from tests.support.requires import unavailable

PAPER = Path(__file__).resolve().parents[3] / "shared" / "paper"


def _rows(name: str) -> list[dict[str, str]]:
    path = PAPER / name
    if not path.is_file():
        unavailable(f"paper tables not found at {PAPER}")
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_table_matches_paper_table_1_and_4():
    rows = _rows("taxonomy.csv")
    assert [r["code_name"] for r in rows] == list(taxonomy.CODE_NAMES)
    for row in rows:
        t = get_type(row["code_name"])
        assert (t.display_name, t.component.value, t.method.value) == (
            row["display_name"],
            row["component"].lower(),
            row["method"].lower(),
        )


def test_transition_strings_are_appendix_g_verbatim():
    rows = _rows("transition_strings.csv")
    assert {r["code_name"]: r["string"] for r in rows} == taxonomy.TRANSITION_ERRORS


@pytest.mark.parametrize(
    ("component", "n_types", "n_samples"),
    [("observation", 4, 796), ("action", 6, 836), ("reward", 6, 696), ("transition", 6, 1194)],
)
def test_component_sizes(component, n_types, n_samples):
    types = taxonomy.types_of(component)
    assert len(types) == n_types
    assert sum(t.paper_n for t in types) == n_samples


def test_totals_match_the_paper():
    assert len(taxonomy.PERTURBATION_TYPES) == 22
    assert taxonomy.PAPER_TOTAL == 3721
    assert taxonomy.CONFIG_NAMES[0] == "clean" and len(taxonomy.CONFIG_NAMES) == 23
    assert len(taxonomy.static_types()) == 16


@pytest.mark.parametrize(
    ("name", "code"),
    [("CD_AB", "CD_AB"), ("MisDesc-Abbr", "CD_AB"), ("5xxErr", "transient_server_error")],
)
def test_lookup_by_code_or_display_name(name, code):
    assert get_type(name).code_name == code


@pytest.mark.parametrize(("bad", "hint"), [("CD-AB", "CD_AB"), ("realistic_typo", "realistic_typos")])
def test_unknown_names_suggest_close_ones(bad, hint):
    with pytest.raises(KeyError, match=hint):
        get_type(bad)


def test_component_of_clean_and_types():
    assert taxonomy.component_of("clean") is Component.CLEAN
    assert taxonomy.component_of("TD_NT") is Component.REWARD
    assert taxonomy.is_transition("transient_timeout") and not taxonomy.is_transition("clean")
