"""The optional Hub sync, offline: HfApi is replaced by a recording fake."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from space.app import create_board, submit_handler


class FakeApi:
    instances: list[FakeApi] = []

    def __init__(self, token=None, fail=False):
        self.token = token
        self.calls: list[dict] = []
        self.fail = fail
        FakeApi.instances.append(self)

    def upload_file(self, **kwargs):
        if self.fail:
            raise OSError("Hub unreachable")
        self.calls.append(kwargs)


def test_each_submission_uploads_the_results_table(board_config, gold, oracle_file: Path, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    board = create_board(
        replace(board_config, sync_repo="org/board-results"), gold=gold, sync_api_factory=FakeApi
    )
    status, *_ = submit_handler(board, str(oracle_file), "<b>oracle</b>", "", "3", "", None, None)
    assert status.startswith("Accepted")
    board.sync.wait(30)
    api = board.sync.api
    assert api.token == "hf_test_token"
    (call,) = api.calls
    assert (call["repo_id"], call["repo_type"], call["path_in_repo"]) == (
        "org/board-results",
        "dataset",
        "results.jsonl",
    )
    rows = [json.loads(line) for line in call["path_or_fileobj"].decode().splitlines()]
    assert len(rows) == 22
    mine = [r for r in rows if r["origin"] == "submission"]
    assert mine[0]["model"] == "<b>oracle</b>" and mine[0]["clean"] == 1.0
    assert all("file_sha256" not in r and "client_key" not in r for r in rows)


def test_sync_failure_never_breaks_a_submission(board_config, gold, oracle_file: Path):
    board = create_board(replace(board_config, sync_repo="org/x"), gold=gold,
                         sync_api_factory=lambda token=None: FakeApi(token, fail=True))  # fmt: skip
    status, *_ = submit_handler(board, str(oracle_file), "m", "", "", "", None, None)
    assert status.startswith("Accepted")
    board.sync.wait(30)
    assert board.sync.push() is False
    assert board.store.count_runs("submission") == 1
