"""`robustbench-tc serve`: help, clear errors, building a missing dataset through `build`."""

from __future__ import annotations

from pathlib import Path

import pytest

from robustbench_tc.cli import CLIError, main
from space.cli import ensure_dataset


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
