"""The source table is the one place that lists the benchmark sources."""

from __future__ import annotations

import ast
import dataclasses
import io
import tokenize
from pathlib import Path

import pytest

from robustbench_tc.records import Sample
from robustbench_tc.scoring import scorer_for
from robustbench_tc.sources import PAPER_ORDER, SOURCES, get_source, source_names, sources

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ["robustbench_tc", "dataset_builder", "eval_harness", "space", "train", "leaderboard_seed"]
ALLOWED = {
    "robustbench_tc/sources.py",  # the table
    "dataset_builder/pins.py",  # the pinned upstream repos, commits and licenses (builder concern)
}


def _string_literals(path: Path) -> set[str]:
    out = set()
    for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        if tok.type == tokenize.STRING:
            try:
                value = ast.literal_eval(tok.string)
            except (ValueError, SyntaxError):
                continue
            if isinstance(value, str):
                out.add(value)
    return out


def test_no_other_module_lists_the_sources():
    names = set(source_names())
    offenders = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            rel = path.relative_to(REPO).as_posix()
            if rel in ALLOWED or rel.startswith("robustbench_tc/testing/"):
                continue
            found = _string_literals(path) & names
            if len(found) >= 2:
                offenders[rel] = sorted(found)
    assert not offenders, f"per-source tables outside robustbench_tc/sources.py: {offenders}"


@pytest.mark.parametrize("name", source_names())
def test_every_row_is_complete(name):
    info = get_source(name)
    codec = info.codec_module()
    assert callable(codec.parse_tools) and callable(codec.replace_tools)
    assert not info.own_prompt or callable(codec.render_system_prompt)
    assert scorer_for(name).source == name
    assert sorted(info.parser_order) == sorted(PAPER_ORDER) and info.parser_order[0] in info.first_variants
    assert "{error}" in info.observation_turn[1] and info.paper_clean > 0


def test_scorer_for_follows_a_replaced_row(monkeypatch):
    """The scorer is kept per source only while the table holds the same row (board rescore
    after a rule change, and tests that swap a row in, must see the new scorer)."""
    original = scorer_for("tooleyes")
    changed = dataclasses.replace(original, score=lambda calls, answers, tools: 0.5)
    monkeypatch.setitem(
        SOURCES._items, "tooleyes", dataclasses.replace(get_source("tooleyes"), scorer=changed)
    )
    assert scorer_for("tooleyes") is changed
    monkeypatch.undo()
    assert scorer_for("tooleyes") is original


def test_the_paper_counts_add_up():
    assert sum(s.paper_clean for s in sources()) == 199


def test_an_unknown_source_is_refused_with_a_suggestion():
    with pytest.raises(ValueError, match="did you mean 'tooleyes'"):
        Sample(id="x", source="tooleye", messages=[], tools=[], golden_answers=[], output_format="react")
