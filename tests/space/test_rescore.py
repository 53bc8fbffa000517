"""`board rescore`: a changed scoring rule moves exactly the affected rows, in one transaction."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import space.rescore as space_rescore
import space.submit
from robustbench_tc.cli import main
from robustbench_tc.scoring import scorer_for
from robustbench_tc.sources import SOURCES, get_source
from space.app import Board, submit_handler
from space.rescore import RescoreError, rescore_store
from space.store import Store, StoreError
from tests.space.helpers import N_BOOT_FAST, corrupt_records


def _source_indices(oracle: Path, source: str, count: int) -> list[int]:
    """``count`` records of ``source`` in the clean config and ``count`` in a perturbed one."""
    lines = [json.loads(line) for line in oracle.read_text(encoding="utf-8").splitlines()]
    records = [r for r in lines if "header" not in r]
    mine = [(i, r["perturbation"]) for i, r in enumerate(records) if r["id"].startswith(f"{source}__")]
    return [i for i, p in mine if p == "clean"][:count] + [i for i, p in mine if p == "realistic_typos"][
        :count
    ]


@pytest.fixture
def lenient_tooleyes(monkeypatch):
    """The fixture's rule change: a ToolEyes answer without any tool call now counts as correct."""
    original = scorer_for("tooleyes")
    changed = dataclasses.replace(
        original,
        score=lambda calls, answers, tools: 1.0 if not calls else original.score(calls, answers, tools),
    )
    row = dataclasses.replace(get_source("tooleyes"), scorer=changed)
    monkeypatch.setitem(SOURCES._items, "tooleyes", row)
    monkeypatch.setattr(space.submit, "SCORER_VERSION", 99)
    monkeypatch.setattr(space_rescore, "SCORER_VERSION", 99)


def _state(store: Store) -> dict[int, dict]:
    return {
        r.run_id: {"pert_acc": r.pert_acc, "clean": r.clean, "per_type": r.per_type,
                   "results": store.sample_results(r.run_id)}
        for r in store.runs() if r.origin == "submission"
    }  # fmt: skip


def test_rescore_moves_exactly_the_affected_rows(board: Board, oracle_file: Path, tmp_path: Path, request):
    tooleyes = _source_indices(oracle_file, "tooleyes", 6)
    apibank = _source_indices(oracle_file, "apibank", 6)
    broken = corrupt_records(oracle_file, tmp_path / "broken.jsonl", tooleyes + apibank)
    for path, name in ((oracle_file, "oracle"), (broken, "broken")):
        status, *_ = submit_handler(board, str(path), name, "", "", "", None, None)
        assert status.startswith("Accepted"), status
    store = board.store
    before = _state(store)
    paper_before = [r for r in store.runs() if r.origin == "paper"]
    oracle_id, broken_id = sorted(before)
    version_before = space.submit.SCORER_VERSION
    assert {r.scorer_version for r in store.runs() if r.origin == "submission"} == {version_before}

    request.getfixturevalue("lenient_tooleyes")
    summary = rescore_store(store, board.gold, n_boot=N_BOOT_FAST)
    after = _state(store)

    assert summary.rescored == [oracle_id, broken_id] and summary.skipped == {}
    assert after[oracle_id] == before[oracle_id]  # the oracle made calls everywhere: nothing moves
    moved = [
        (a, b)
        for a, b in zip(before[broken_id]["results"], after[broken_id]["results"], strict=True)
        if a != b
    ]
    assert {a[2] for a, _ in moved} == {
        json.loads(broken.read_text().splitlines()[1 + i])["id"] for i in tooleyes
    }
    assert all(a[3] == 0.0 and b[3] == 1.0 and b[4] == "correct" for a, b in moved)
    assert summary.changed_records == {oracle_id: 0, broken_id: len(moved)}
    assert after[broken_id]["pert_acc"] > before[broken_id]["pert_acc"]
    assert after[broken_id]["clean"] > before[broken_id]["clean"]
    still_wrong = [r for r in after[broken_id]["results"] if r[3] == 0.0]
    assert {r[2].split("__")[0] for r in still_wrong} == {"apibank"}
    assert [r for r in store.runs() if r.origin == "paper"] == paper_before
    assert {r.scorer_version for r in store.runs() if r.origin == "submission"} == {99}
    (entry,) = store.history(broken_id)
    assert entry.scorer_version == version_before
    assert entry.scores["pert_acc"] == before[broken_id]["pert_acc"]
    assert [tuple(r) for r in entry.scores["results"]] == before[broken_id]["results"]
    (test,) = store.paired_tests()
    assert (test.run_a, test.run_b) == (oracle_id, broken_id)
    assert test.diff == pytest.approx(after[oracle_id]["pert_acc"] - after[broken_id]["pert_acc"])


def test_rescore_is_one_transaction(board: Board, oracle_file: Path, tmp_path: Path, monkeypatch):
    broken = corrupt_records(oracle_file, tmp_path / "b.jsonl", _source_indices(oracle_file, "tooleyes", 3))
    for path, name in ((oracle_file, "a"), (broken, "b")):
        assert submit_handler(board, str(path), name, "", "", "", None, None)[0].startswith("Accepted")
    before = _state(board.store)
    original = Store.rescore

    def fail_after_writing(self, rescored, paired, **kw):  # the last paired test violates run_a < run_b
        bad = [*paired, paired[0].model_copy(update={"run_a": 99})]
        return original(self, rescored, bad, **kw)

    monkeypatch.setattr(Store, "rescore", fail_after_writing)
    with pytest.raises(RescoreError, match="nothing was written"):
        rescore_store(board.store, board.gold, n_boot=N_BOOT_FAST)
    assert _state(board.store) == before
    assert board.store.history(min(before)) == [] and board.store.integrity_ok()


def test_a_submission_arriving_mid_rescore_aborts_it(board: Board, oracle_file: Path):
    assert submit_handler(board, str(oracle_file), "a", "", "", "", None, None)[0].startswith("Accepted")
    run_id = board.store.submission_ids()[0]
    with pytest.raises(StoreError, match="changed while rescoring"):
        board.store.rescore({}, [], expected={run_id: "f" * 64})


def test_board_rescore_command(board: Board, oracle_file: Path, built_dataset: Path, capsys):
    assert submit_handler(board, str(oracle_file), "a", "", "", "", None, None)[0].startswith("Accepted")
    db = str(board.store.path)
    assert main(["board", "rescore", "--db", db, "--dataset", str(built_dataset), "--n-boot", "50"]) == 0
    out = capsys.readouterr().out
    assert "rescored 1 submission(s)" in out and "0 per-sample verdict(s) changed" in out
    assert len(board.store.history(board.store.submission_ids()[0])) == 1
    assert main(["board", "rescore", "--db", db + ".missing", "--dataset", str(built_dataset)]) == 2
    assert "does not exist" in capsys.readouterr().err
