"""Collective parity across ranks (train.parity): ledgers compared, counts summarised."""

from __future__ import annotations

import pytest

from train.parity import CollectiveMismatch, GenerationLedger, check_parity, compare_ledgers, max_over_ranks


@pytest.mark.parametrize(
    ("ledgers", "problem"),
    [
        (
            [[("train", 8, 0), ("train", 4, 0)], [("train", 8, 0), ("train", 4, 4)]],
            None,
        ),  # padding may differ
        ([[("train", 8, 0)]], None),
        ([[("train", 8, 0), ("train", 4, 0)], [("train", 8, 0)]], "rank 0 made 2 generation calls"),
        ([[("train", 8, 0), ("train", 4, 0)], [("train", 8, 0), ("train", 3, 0)]], "rank 1 made 2"),
        ([[("train", 8, 0)], [("eval", 8, 0)]], "(eval 8 prompts)"),
        ([[], [("eval", 8, 0)]], "rank 0 made 0 generation calls (no 0 prompts)"),
    ],
)
def test_compare_ledgers(ledgers, problem) -> None:
    found = compare_ledgers(ledgers)
    assert found is None if problem is None else problem in found


class OneProcess:
    num_processes = 1


def test_single_process_parity_is_its_own_ledger() -> None:
    ledger = GenerationLedger()
    for call in [("train", 8, 0), ("train", 3, 1), ("eval", 4, 0)]:
        ledger.record(*call)
    report = check_parity(ledger, OneProcess())
    assert report["equal"] is True
    assert report["ranks"] == [
        {"train": {"calls": 2, "prompts": 11, "padding": 1}, "eval": {"calls": 1, "prompts": 4, "padding": 0}}
    ]
    assert max_over_ranks(OneProcess())(5) == 5


def test_mismatch_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    class TwoProcesses:
        num_processes = 2

    calls = {0: [("train", 8, 0), ("train", 4, 0)], 1: [("train", 8, 0)]}
    monkeypatch.setattr("accelerate.utils.gather_object", lambda local: [calls[0], calls[1]])
    with pytest.raises(CollectiveMismatch, match="would hang"):
        check_parity(GenerationLedger(calls[0]), TwoProcesses())
