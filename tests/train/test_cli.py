"""`robustbench-tc make-train-data`: argument handling and user errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from robustbench_tc.cli import build_parser, main


def test_make_train_data_is_registered() -> None:
    args = build_parser().parse_args(["make-train-data", "--out", "x", "--sources", "s"])
    assert args.variants == "clean,dr_full,dr_mixed" and args.seed == 0 and callable(args.func)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--variants", "dr_full,dr_half"], "unknown training set"),
        (["--train", "nowhere/items.json"], "not found"),
        (["--sources", "{missing}"], "is not a directory"),
    ],
)
def test_user_errors_exit_2_with_one_line(
    extra: list[str], message: str, sources_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = [e.format(missing=tmp_path / "missing") for e in extra]
    argv = ["make-train-data", "--sources", str(sources_dir), "--out", str(tmp_path / "out"), *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_default_files_need_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.delenv("RBTC_SOURCES", raising=False)
    monkeypatch.setattr("train.build_data.SIBLING_SOURCES", tmp_path / "no-shared" / "sources")
    monkeypatch.chdir(tmp_path)
    assert main(["make-train-data", "--out", str(tmp_path / "out")]) == 2
    assert "RBTC_SOURCES" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["env", "sibling"])
def test_sources_default_is_grpos(
    where: str, sources_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make-train-data` and `train/grpo.py` find the sources the same way: $RBTC_SOURCES, else
    ../shared/sources beside the repository."""
    from train.build_data import default_sources

    monkeypatch.delenv("RBTC_SOURCES", raising=False)
    monkeypatch.setattr("train.build_data.SIBLING_SOURCES", tmp_path / "no-shared" / "sources")
    if where == "env":
        monkeypatch.setenv("RBTC_SOURCES", str(sources_dir))
    else:
        monkeypatch.setattr("train.build_data.SIBLING_SOURCES", sources_dir)
    assert default_sources() == sources_dir
    argv = ["make-train-data", "--out", str(tmp_path / "out"), "--variants", "dr_full", "--limit", "2",
            "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    assert (tmp_path / "out" / "manifest.json").is_file()
