"""`robustbench-tc run` refuses bad arguments with one clear line (before any engine starts).

Ctrl-C and SIGKILL, each followed by a resume, are in test_transformers_e2e.py."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from robustbench_tc.cli import main
from tests.eval_harness.test_transformers_e2e import run_args


@pytest.mark.parametrize(
    ("model", "extra", "message"),
    [
        ("LoopTool8B", [], "unknown model 'LoopTool8B'; did you mean 'LoopTool-8B'"),
        ("qwen3-32", [], "did you mean 'Qwen3-32B'"),
        ("./no-such-ckpt", [], "no checkpoint folder at './no-such-ckpt'"),
        ("runs/ckpt/final", [], "no checkpoint folder at 'runs/ckpt/final'"),
        ("o4-mini", ["--mode", "fc"], "API model; pass --backend openai"),
        ("TINY", ["--configs", "transient_timeut"], "did you mean 'transient_timeout'"),
        ("TINY", ["--limit", "0"], "--limit must be at least 1"),
        ("TINY", ["--limit", "-3"], "--limit must be at least 1"),
        ("TINY", ["--max-retries", "-1"], "--max-retries must be 0 or more"),
        ("TINY", ["--concurrency", "0"], "--concurrency must be at least 1"),
        ("TINY", ["--timeout", "0"], "--timeout must be more than 0"),
    ],
)
def test_bad_arguments_are_one_line_errors(
    mini_dataset: Path,
    tiny_model_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    model: str,
    extra: list[str],
    message: str,
) -> None:
    model = str(tiny_model_dir) if model == "TINY" else model
    out = tmp_path / "p.jsonl"
    assert main(run_args(mini_dataset, model, out, *extra)) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_missing_dataset_and_folder_out_are_errors(
    mini_dataset: Path, tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(run_args(tmp_path / "nope", tiny_model_dir, tmp_path / "p.jsonl")) == 2
    assert "not a RobustBench-TC dataset folder" in capsys.readouterr().err
    assert main(run_args(mini_dataset, tiny_model_dir, tmp_path, "--limit", "1")) == 2
    assert "is a folder; --out takes a file path" in capsys.readouterr().err


def test_out_in_a_missing_folder_is_created(mini_dataset: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "new" / "dir" / "p.jsonl"
    assert (
        main(
            run_args(
                mini_dataset, tiny_model_dir, out, "--limit", "1", "--configs", "clean", "--max-tokens", "4"
            )
        )
        == 0
    )
    assert len(out.read_text().splitlines()) == 1 + 1


def test_configs_take_comma_lists(mini_dataset: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.jsonl"
    args = ("--limit", "1", "--max-tokens", "2", "--configs", "clean,transient_timeout", "CD")
    assert main(run_args(mini_dataset, tiny_model_dir, out, *args)) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()[1:]]
    assert [r["perturbation"] for r in records] == ["clean", "CD", "transient_timeout"]


def test_cpu_run_defaults_to_float32(mini_dataset: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    """No --dtype on a CPU machine: float32 (bf16 crashes some CPUs), recorded in the header."""
    out = tmp_path / "p.jsonl"
    args = run_args(mini_dataset, tiny_model_dir, out, "--limit", "1", "--configs", "clean")
    args.remove("--dtype")
    args.remove("float32")
    assert main(args) == 0
    assert json.loads(out.read_text().splitlines()[0])["header"]["extra"]["dtype"] == "float32"


def test_missing_engine_is_one_line_naming_the_install(
    mini_dataset: Path, tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vLLM is installed in this Python")
    args = run_args(mini_dataset, tiny_model_dir, tmp_path / "p.jsonl", "--limit", "1")
    args[args.index("--backend") + 1] = "vllm"
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "pip install vllm" in err and "scripts/install.sh --vllm" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
