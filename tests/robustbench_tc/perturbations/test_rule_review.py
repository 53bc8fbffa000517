"""The rule review (docs/rule_review.csv, docs/perturbations.md) and the phrase tables agree: every
substitution the ``rules`` generators make was reviewed and kept (or kept in a narrowed form),
and no dropped rule came back."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from robustbench_tc.perturbations import paraphrase as para

DOCS = Path(__file__).resolve().parents[3] / "docs"
SITES = {
    "common": (para._COMMON, None),
    "query": (para.QUERY_TABLE, para._COMMON),
    "description": (para.DESCRIPTION_TABLE, para._COMMON),
    "parameter": (para.PARAMETER_TABLE, para.DESCRIPTION_TABLE),
}


def _rules_now() -> set[tuple[str, str, str]]:
    """(table, phrase, alternative) of every substitution defined in each table (not inherited)."""
    out = set()
    for site, (table, parent) in SITES.items():
        for phrase, alternatives in table.items():
            if parent is not None and parent.get(phrase) == alternatives:
                continue  # inherited unchanged
            out |= {(site, phrase, alt) for alt in alternatives}
    return out


@pytest.fixture(scope="module")
def review() -> list[dict[str, str]]:
    with (DOCS / "rule_review.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_every_table_rule_was_reviewed_and_kept(review):
    kept = set()
    for row in review:
        if row["verdict"] in ("kept", "narrowed"):
            phrase, alt = row["now"].split(" -> ")
            kept.add((row["table"], phrase, alt))
    assert _rules_now() == kept


def test_dropped_rules_stay_dropped(review):
    now = _rules_now()
    for row in review:
        if row["verdict"] == "dropped":
            assert (row["table"], row["phrase"], row["alternative"]) not in now, row
            assert row["reason"], row


def test_review_bookkeeping(review):
    assert len(review) == 335  # every rule of the first tables, one row each
    assert {r["verdict"] for r in review} == {"kept", "dropped", "narrowed"}
    for row in review:
        assert int(row["contexts_read"]) >= 0 and int(row["rows_fired_before"]) >= 0
        if row["verdict"] == "kept":
            assert int(row["contexts_read"]) > 0, f"{row} was kept without being read in context"
        if row["verdict"] == "dropped":
            assert row["rows_fired_after"] == "0"
    guarded = {row["now"].split(" -> ")[0] for row in review if "after" in row["reason"]}
    assert guarded >= set(para.NOT_AFTER)


def test_docs_table_lists_every_reviewed_rule(review):
    text = (DOCS / "perturbations.md").read_text(encoding="utf-8")
    for row in review:
        assert f"| {row['phrase']} → {row['alternative']} |" in text, row
