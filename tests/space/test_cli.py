"""`robustbench-tc serve`: help, clear errors, building a missing dataset through `build`."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from robustbench_tc.cli import CLIError, main
from space.cli import ensure_dataset
from tests.space.helpers import free_port


def test_serve_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--dataset", "--db", "--host", "--port", "--sources", "--build-if-missing", "--rate-limit"):
        assert flag in out


@pytest.mark.parametrize(
    "argv,fragment",
    [
        (["serve", "--dataset", "{tmp}/missing"], "is not a built dataset"),
        (["serve", "--dataset", "{dataset}", "--n-boot", "0"], "--n-boot must be at least 1"),
        (["serve", "--dataset", "{dataset}", "--max-upload-mb", "0"], "--max-upload-mb must be positive"),
    ],
)
def test_serve_user_errors_exit_2(argv, fragment, tmp_path: Path, built_dataset: Path, capsys):
    args = [a.format(tmp=tmp_path, dataset=built_dataset) for a in argv]
    assert main(args) == 2
    assert fragment in capsys.readouterr().err


def test_build_if_missing_runs_the_build_command(sources_dir: Path, tmp_path: Path):
    out = tmp_path / "ds"
    with pytest.raises(CLIError, match="build-if-missing"):
        ensure_dataset(out, sources_dir, build=False)
    ensure_dataset(out, sources_dir, build=True)
    assert (out / "data" / "clean.jsonl").is_file()
    ensure_dataset(out, sources_dir, build=False)  # now present: no error


def test_serve_refuses_a_busy_port(tmp_path: Path, built_dataset: Path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = [
            "serve",
            "--dataset",
            str(built_dataset),
            "--db",
            str(tmp_path / "b.sqlite"),
            "--port",
            str(port),
        ]
        assert main(args) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port" in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "content,fragment",
    [
        (bytes(range(256)) * 64, "not an SQLite database or it is corrupt"),
        (b"SQLite format 3\x00" + b"\xff" * 4000, "corrupt"),
    ],
)
def test_serve_refuses_a_corrupt_database_and_keeps_it(
    content, fragment, tmp_path: Path, built_dataset: Path, capsys
):
    db = tmp_path / "board.sqlite"
    db.write_bytes(content)
    args = ["serve", "--dataset", str(built_dataset), "--db", str(db), "--port", str(free_port())]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert fragment in err and str(db) in err, err
    assert db.read_bytes() == content


@pytest.mark.parametrize(
    "extra,fragment",
    [
        (["--local-model", "org/m"], "--local-model takes ID=PATH"),
        (["--local-model", "=/x"], "--local-model takes ID=PATH"),
        (["--max-tokens", "0"], "--max-tokens must be at least 1"),
        (["--max-requests", "0"], "--max-requests must be at least 1"),
        (["--n-boot", "0"], "--n-boot must be at least 1"),
    ],
)
def test_worker_user_errors_exit_2(extra, fragment, tmp_path: Path, capsys):
    from robustbench_tc.testing.mini_dataset import write_mini_dataset

    dataset = write_mini_dataset(tmp_path / "ds")
    assert (
        main(["board", "worker", "--db", str(tmp_path / "b.sqlite"), "--dataset", str(dataset), *extra]) == 2
    )
    assert fragment in capsys.readouterr().err


def test_worker_with_an_empty_queue_stops_at_once(tmp_path: Path, built_dataset: Path, capsys):
    args = ["board", "worker", "--db", str(tmp_path / "b.sqlite"), "--dataset", str(built_dataset), "--once"]
    assert main(args) == 0
    assert "0 verified, 0 failed" in capsys.readouterr().out


def test_worker_stores_a_failed_request_with_its_reason(tmp_path: Path, built_dataset: Path, capsys):
    from space.queue import SqliteQueue
    from space.store import Store

    db = tmp_path / "b.sqlite"
    SqliteQueue(Store(db)).file("org/not-here", "main", "prompt", None)
    args = ["board", "worker", "--db", str(db), "--dataset", str(built_dataset), "--once",
            "--local-model", f"org/not-here={tmp_path / 'missing.gguf'}"]  # fmt: skip
    assert main(args) == 1
    (request,) = SqliteQueue(Store(db)).list()
    assert request.status == "failed" and "no such file or folder" in request.error
