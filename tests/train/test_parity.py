"""Collective parity across ranks (train.parity): ledgers compared, counts summarised."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from train.parity import (
    CollectiveMismatch,
    GenerationLedger,
    check_parity,
    compare_ledgers,
    leave_process_group,
    max_over_ranks,
)


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


# one rank of a 2-process gloo group: an all-gather, then leave_process_group as grpo.py ends
RANK = """
import sys, torch, torch.distributed as dist
from train.parity import leave_process_group

class Ranks:
    num_processes = 2
    trackers = []
    def wait_for_everyone(self):
        dist.barrier()

dist.init_process_group("gloo", rank=int(sys.argv[1]), world_size=2, init_method=sys.argv[2])
parts = [torch.zeros(4) for _ in range(2)]
dist.all_gather(parts, torch.full((4,), float(dist.get_rank())))
print("gathered", [int(p[0]) for p in parts], end="")  # no newline: only a flush writes it
leave_process_group(Ranks())
print("returned")
"""


def test_leaving_a_gloo_group_ends_each_rank_with_status_0_and_its_output_flushed() -> None:
    from train.multi_gpu_check import free_port

    repo = Path(__file__).resolve().parents[2]
    init = f"tcp://127.0.0.1:{free_port()}"
    ranks = [subprocess.Popen([sys.executable, "-c", RANK, str(r), init], cwd=repo, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for r in (0, 1)]  # fmt: skip
    done = [r.communicate(timeout=120) for r in ranks]
    assert [r.returncode for r in ranks] == [0, 0], done
    assert [out for out, _ in done] == ["gathered [0, 1]", "gathered [0, 1]"]  # and never "returned"


def test_one_process_ends_the_run_as_trainer_end_does() -> None:
    ended = []

    class Alone:
        num_processes = 1

        def end_training(self) -> None:
            ended.append(True)

    assert leave_process_group(Alone()) is None and ended == [True]
