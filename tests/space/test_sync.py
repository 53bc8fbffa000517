"""The Hub mirror, offline: a local stand-in of the four HfApi calls the sync uses, backed by a folder.

The stand-in receives the real ``huggingface_hub.CommitOperationAdd`` objects the sync builds and
keeps one folder per repo, so a second board started on a fresh database (a restarted Space)
restores from exactly what was committed.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from space.app import create_board, leaderboard_frame, per_sample_handler, submit_handler
from space.board import BoardFilter
from tests.space.helpers import LocalHub, corrupt_records

LOCAL = SimpleNamespace(client=SimpleNamespace(host="127.0.0.1"))


@pytest.fixture
def hub(tmp_path: Path) -> LocalHub:
    return LocalHub(tmp_path / "hub")


def _board(board_config, gold, hub: LocalHub, db: Path):
    config = replace(board_config, sync_repo="org/board-results", db_path=db)
    return create_board(config, gold=gold, sync_api_factory=hub.api)


def test_submissions_are_mirrored_and_restored_on_a_fresh_start(
    board_config, gold, hub: LocalHub, oracle_file: Path, tmp_path: Path, monkeypatch
):
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    first = _board(board_config, gold, hub, tmp_path / "first.sqlite")
    broken = corrupt_records(oracle_file, tmp_path / "broken.jsonl", list(range(0, 4000, 50)))
    for path, name in ((oracle_file, "<b>oracle</b>"), (broken, "broken")):
        status, *_ = submit_handler(first, str(path), name, "", "3", "", LOCAL, None, license="mit")
        assert status.startswith("Accepted"), status
        first.sync.wait(60)
    assert hub.tokens == ["hf_test_token"] and hub.repos["org/board-results"]["private"] is True
    assert [len(paths) for _, paths, _ in hub.commits] == [2, 2]  # each commit: the submission + the table
    files = hub.list_repo_files("org/board-results", repo_type="dataset")
    assert files == ["results.jsonl", "submissions/000022-" + first.store.runs()[-2].file_sha256[:16] + ".json.gz",
                     "submissions/000023-" + first.store.runs()[-1].file_sha256[:16] + ".json.gz"]  # fmt: skip
    table = [
        json.loads(line)
        for line in (hub._folder("org/board-results") / "results.jsonl").read_text().splitlines()
    ]
    assert len(table) == 23 and all("file_sha256" not in r and "client_key" not in r for r in table)
    mirrored = json.loads(gzip.decompress((hub._folder("org/board-results") / files[1]).read_bytes()))
    assert mirrored["run"]["model"] == "<b>oracle</b>" and len(mirrored["results"]) == gold.n_records

    # the Space restarts: its disk is empty, the board restores from the repo
    second = _board(board_config, gold, hub, tmp_path / "second.sqlite")
    assert second.store.submission_ids() == first.store.submission_ids() == [22, 23]
    for run_id in (22, 23):
        a, b = first.store.submission_record(run_id), second.store.submission_record(run_id)
        assert a == b  # row, client key, per-sample results, raw predictions, history, paired tests
    assert leaderboard_frame(second, BoardFilter()).equals(leaderboard_frame(first, BoardFilter()))
    status, path = per_sample_handler(second, "23", LOCAL, None)  # still the submitter's own download
    assert path is not None and sum(1 for _ in open(path, encoding="utf-8")) == gold.n_records
    assert len(hub.commits) == 2  # restoring commits nothing

    third = _board(board_config, gold, hub, tmp_path / "second.sqlite")  # restore is idempotent
    assert third.store.count_runs("submission") == 2


def test_hub_outage_never_breaks_a_submission_and_the_next_commit_catches_up(
    board_config, gold, hub: LocalHub, oracle_file: Path, tmp_path: Path
):
    board = _board(board_config, gold, hub, tmp_path / "b.sqlite")
    hub.fail = True
    status, *_ = submit_handler(board, str(oracle_file), "m", "", "", "", LOCAL, None)
    assert status.startswith("Accepted")
    board.sync.wait(60)
    assert hub.commits == [] and board.store.count_runs("submission") == 1
    hub.fail = False
    other = corrupt_records(oracle_file, tmp_path / "o.jsonl", [3])
    assert submit_handler(board, str(other), "n", "", "", "", LOCAL, None)[0].startswith("Accepted")
    board.sync.wait(60)
    (commit,) = hub.commits
    assert sorted(p.split("-")[0] for p in commit[1]) == [
        "results.jsonl",
        "submissions/000022",
        "submissions/000023",
    ]


def test_a_start_during_a_hub_outage_keeps_what_the_store_has(
    board_config, gold, hub: LocalHub, tmp_path: Path
):
    hub.fail = True
    board = _board(board_config, gold, hub, tmp_path / "b.sqlite")
    assert board.store.count_runs("paper") == 21 and board.store.count_runs("submission") == 0


def test_a_restart_with_a_new_scorer_rescores_and_re_mirrors(
    board_config, gold, hub: LocalHub, oracle_file: Path, tmp_path: Path, monkeypatch
):
    import space.rescore

    first = _board(board_config, gold, hub, tmp_path / "first.sqlite")
    assert submit_handler(first, str(oracle_file), "m", "", "", "", LOCAL, None)[0].startswith("Accepted")
    first.sync.wait(60)
    old_version = first.store.runs()[-1].scorer_version
    monkeypatch.setattr(space.rescore, "SCORER_VERSION", old_version + 1)  # the Space redeployed
    config = replace(board_config, sync_repo="org/board-results", db_path=tmp_path / "second.sqlite",
                     rescore_on_start=True)  # fmt: skip
    second = create_board(config, gold=gold, sync_api_factory=hub.api)
    for thread in second.background:
        thread.join(120)
    (run,) = [r for r in second.store.runs() if r.origin == "submission"]
    assert run.scorer_version == old_version + 1
    assert [h.scorer_version for h in second.store.history(run.run_id)] == [old_version]
    assert hub.commits[-1][2].startswith("Rescore with scorer version")
    mirrored = json.loads(
        gzip.decompress((hub._folder("org/board-results") / hub.commits[-1][1][0]).read_bytes())
    )
    assert mirrored["run"]["scorer_version"] == old_version + 1 and len(mirrored["history"]) == 1


def test_a_workers_verified_row_reaches_the_space_through_the_hub(
    built_dataset, hub: LocalHub, tmp_path: Path
):
    """The Space files the request in the private requests repo; a worker on another machine (its
    own database) claims it, runs the real harness (the tiny model, transformers) on a served
    subset, stores the verified row and mirrors it; the Space's next page load pulls it."""
    import sys

    from robustbench_tc.testing.tiny_model import build_tiny_model
    from space.app import pull_from_hub, request_handler
    from space.config import BoardConfig
    from space.worker import WorkerConfig, work_once
    from tests.space.helpers import write_subset

    subset = write_subset(built_dataset, tmp_path / "subset")
    repos = {"sync_repo": "org/results", "queue_repo": "org/requests", "n_boot": 200, "hub_pull_s": 0.0}
    space = create_board(BoardConfig(dataset_dir=subset, db_path=tmp_path / "space.sqlite", **repos),
                         sync_api_factory=hub.api)  # fmt: skip
    status = request_handler(space, "org/tiny-model", "main", "fc", LOCAL, None)
    assert status.startswith("Filed as request #1"), status
    assert hub.repos["org/requests"]["private"] is True

    worker = create_board(BoardConfig(dataset_dir=subset, db_path=tmp_path / "worker.sqlite", **repos),
                          sync_api_factory=hub.api)  # fmt: skip
    model = build_tiny_model(tmp_path / "tiny")
    cfg = WorkerConfig(dataset_dir=subset, work_dir=tmp_path / "work", backend="transformers", python=sys.executable,
                       max_tokens=8, local_models={"org/tiny-model": str(model)}, name="gpu-box")  # fmt: skip
    result = work_once(worker.queue, worker.submitter, cfg, log=lambda _: None)
    assert result is not None and result.status == "finished", result
    worker.sync.wait(60)

    assert space.store.count_runs("submission") == 0
    pull_from_hub(space, wait=True)
    (run,) = [r for r in space.store.runs() if r.origin == "submission"]
    assert run.model == "org/tiny-model" and run.metadata["verified"]["worker"] == "gpu-box"
    assert run.metadata["verified"]["engine"] == "transformers" and run.metadata["mode"] == "fc"
    (request,) = space.queue.list()
    assert (request.status, request.run_id) == ("finished", result.run_id)
    frame = leaderboard_frame(space, BoardFilter(verified_only=True))
    assert frame["Model"].tolist() == ["org/tiny-model"] and frame["Status"].tolist() == ["verified"]
