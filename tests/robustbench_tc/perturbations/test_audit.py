"""The validity audit: it passes every built row and catches each kind of broken row."""

from __future__ import annotations

import pytest

from robustbench_tc.perturbations import MAX_ATTEMPTS, PerturbationError, perturb, perturb_row
from robustbench_tc.perturbations.audit import audit_row
from robustbench_tc.perturbations.generators import RulesGenerator, Task
from robustbench_tc.perturbations.text import gold_strings_in, query_text, with_query
from robustbench_tc.records import Tool

L1_101 = "apibank__level1_101"
M110 = "bfcl_v3__BFCL_v3_multiple__multiple_110"


def test_every_built_row_passes(static_build, by_id):
    rows = [r for rows in static_build.configs.values() for r in rows]
    assert len(rows) > 2000
    for row in rows:
        assert audit_row(by_id[row.base_id], row) == [], (row.perturbation, row.id)
    assert "0 violations" in static_build.audit_summary


def _drop_gold_value(row, clean):
    value = max(gold_strings_in(clean, query_text(clean)), key=len)
    return with_query(row, query_text(row).replace(value, value[:2]))


def _second_gt_copy(row, clean):
    row.tools.append(next(t for t in row.tools if t.name == "AddAgenda").model_copy())
    return row


def _rename_gold_only(row, clean):
    row.golden_answers[0].calls[0].name = "Other"
    return row


def _change_gt_params(row, clean):
    gt = next(t for t in row.tools if t.name == "AddAgenda")
    gt.parameters["properties"].pop("location")
    return row


def _distractor_described_like_gt(row, clean):
    d = row.perturbation_metadata["distractor"]
    gt = next(t for t in row.tools if t.name == "AddAgenda")
    twin = Tool(name=d, description=gt.description, parameters=gt.parameters)
    row.tools = [t for t in row.tools if t.name != d] + [twin]
    return row


def _both_dups_identical(row, clean):
    gt = next(t for t in clean.tools if t.name == "AddAgenda")
    row.tools = [gt.model_copy(deep=True) if t.name == "AddAgenda" else t for t in row.tools]
    return row


def _old_name_still_gold(row, clean):
    row.golden_answers[0].calls[0].name = "AddAgenda"
    return row


def _suffix_elsewhere(row, clean):
    suffix = row.perturbation_metadata["query_suffix"]
    q = query_text(clean)
    return with_query(row, q.rstrip() + " " + suffix + "\n")


@pytest.mark.parametrize(
    ("code", "tamper", "message"),
    [
        ("realistic_typos", _drop_gold_value, "gold values missing"),
        ("query_paraphrase", _second_gt_copy, "listed 2 times"),
        ("paraphrase_tool_description", _rename_gold_only, "golden answers differ"),
        ("CD", _change_gt_params, "parameters changed"),
        ("CD_NT", _distractor_described_like_gt, "distractor description lacks"),
        ("same_name_D", _both_dups_identical, "equal the clean GT"),
        ("CD_AB", _old_name_still_gold, "still gold"),
        ("TD", _suffix_elsewhere, "recorded suffix"),
    ],
)
def test_audit_catches(by_id, code, tamper, message):
    clean = by_id[L1_101]
    row = perturb(clean, code, seed=0)
    assert audit_row(clean, row) == []
    broken = tamper(row.model_copy(deep=True), clean)
    assert any(message in v for v in audit_row(clean, broken)), audit_row(clean, broken)


class _DropsGoldValues(RulesGenerator):
    """Breaks the row (cuts every gold value short) on the first ``bad`` calls, bypassing
    validation."""

    def __init__(self, bad: int) -> None:
        self.bad = bad

    def generate(self, task: Task):
        if task.kind == "query_paraphrase" and self.bad > 0:
            self.bad -= 1
            text = task.inputs["text"]
            for value in task.protect:
                text = text.replace(value, value[:2])
            return {"text": text, "edits": []}
        return super().generate(task)


def test_a_violation_is_regenerated_with_the_next_seed(by_id):
    result = perturb_row(by_id[M110], "query_paraphrase", seed=0, generator=_DropsGoldValues(bad=1))
    assert result.attempts == 2 and result.row.perturbation_metadata["regenerated"] == 1
    assert "gold values missing" in result.problems[0]
    assert audit_row(by_id[M110], result.row) == []


def test_persistent_violation_fails_naming_the_sample(by_id):
    with pytest.raises(PerturbationError) as err:
        perturb_row(by_id[M110], "query_paraphrase", seed=0, generator=_DropsGoldValues(bad=99))
    assert M110 in str(err.value) and "gold values missing" in str(err.value)
    assert len(err.value.failures[0][2]) == MAX_ATTEMPTS
