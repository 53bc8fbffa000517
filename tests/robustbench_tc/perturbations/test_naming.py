"""The abbreviation rule and name-style handling, across naming styles."""

from __future__ import annotations

import pytest

from robustbench_tc.perturbations.naming import abbreviate, join_name, split_name, unique_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("country_info.capital", "cou_info.cap"),  # paper App. O
        ("mutation_type.find", "mut_type.find"),  # paper App. C
        ("AddAgenda", "AddAge"),  # PascalCase
        ("GetUserToken", "GetUserTok"),
        ("findCatByTag", "fndCtByTg"),  # camelCase, all words <= 4 letters: inner vowels dropped
        ("get_collectables_in_season", "get_col_in_sea"),
        ("corporate_finance.calculate_YOY_growth_rate", "cor_fin.cal_YOY_gro_rate"),
        ("preferred-routes_get", "pre-rou_get"),
        ("api_v2_entries_en_word_get", "api_v2_ent_en_word_get"),
        ("add_date", "add_dt"),  # short words only: inner vowels dropped
        ("tags", "tgs"),
        ("api", "ap"),
        ("GetToday", "GetTod"),
    ],
)
def test_abbreviate(name, expected):
    assert abbreviate(name) == expected
    assert abbreviate(name) != name


@pytest.mark.parametrize(
    ("name", "taken"),
    [
        ("country_info.capital", {"cou_info.cap"}),
        ("AddAgenda", {"AddAge", "AdAg"}),
        ("api", {"ap", "AP"}),
        ("GetToday", {"GetTod", "GtTd", "GtTdy", "Ge"}),
    ],
)
def test_abbreviate_avoids_every_existing_name(name, taken):
    abbr = abbreviate(name, taken)
    assert abbr.lower() not in {t.lower() for t in taken} | {name.lower()}


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("mutation_type.find", ("mutation_type", ["find"], "lower")),
        ("get_collectables_in_season", ("", ["get", "collectables", "in", "season"], "snake")),
        ("AddAgenda", ("", ["Add", "Agenda"], "pascal")),
        ("findCatByTag", ("", ["find", "Cat", "By", "Tag"], "camel")),
        ("preferred-routes", ("", ["preferred", "routes"], "kebab")),
    ],
)
def test_split_and_join_round_trip(name, parts):
    assert split_name(name) == parts
    assert join_name(*parts) == name


def test_unique_name():
    assert unique_name("AddAgenda_Budget", {"AddAgenda"}) == "AddAgenda_Budget"
    assert unique_name("X_1", {"x_1", "X_1_2"}) == "X_1_3"
