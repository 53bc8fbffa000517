"""``push``: the upload plan (paths + sha256) and the Hub calls, with the Hub API mocked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from dataset_builder.pins import sha256_file
from dataset_builder.push import plan_upload, push
from robustbench_tc.dataset import DatasetError, available_configs

REPO = Path(__file__).resolve().parents[2]


def test_plan_lists_the_card_and_every_config_file_with_sha(built_dataset):
    plan = plan_upload(built_dataset)
    expected = ["README.md", *sorted(f"data/{c}.jsonl" for c in available_configs(built_dataset))]
    assert [p.path_in_repo for p in plan] == expected
    for item in plan:
        assert item.sha256 == sha256_file(built_dataset / item.path_in_repo)


def test_push_uploads_exactly_the_plan(built_dataset, tmp_path):
    api = mock.Mock()
    extra = built_dataset / ".cache-of-something"
    extra.mkdir(exist_ok=True)  # never uploaded
    try:
        plan = push(built_dataset, "someone/robustbench-tc", private=True, api=api)
    finally:
        extra.rmdir()
    api.create_repo.assert_called_once_with(
        "someone/robustbench-tc", repo_type="dataset", private=True, exist_ok=True
    )
    kwargs = api.upload_folder.call_args.kwargs
    assert kwargs["repo_id"] == "someone/robustbench-tc" and kwargs["repo_type"] == "dataset"
    assert kwargs["allow_patterns"] == [p.path_in_repo for p in plan]
    assert kwargs["delete_patterns"] == ["data/*.jsonl"]
    assert ".cache-of-something" not in str(kwargs["allow_patterns"])


def test_push_refuses_a_folder_that_is_not_a_dataset(tmp_path):
    with pytest.raises(DatasetError, match="not a built RobustBench-TC dataset"):
        plan_upload(tmp_path)


def test_push_dry_run_cli_prints_the_plan_without_network(built_dataset):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "robustbench_tc",
            "push",
            "--repo-id",
            "me/x",
            "--dataset",
            str(built_dataset),
            "--dry-run",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "", "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode == 0, result.stderr
    plan = plan_upload(built_dataset)
    assert f"would upload {len(plan)} files to datasets/me/x" in result.stdout
    for item in plan:
        assert f"{item.sha256}" in result.stdout and item.path_in_repo in result.stdout
