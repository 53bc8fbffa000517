"""End to end on CPU with the tiny model and the transformers backend: the CLI writes a file that
validates, has the right keys and scores; a SIGKILLed run resumes to the same bytes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from robustbench_tc.cli import main
from robustbench_tc.predictions import PredictionRecord, RunHeader
from robustbench_tc.taxonomy import TRANSITION_ERRORS
from robustbench_tc.testing.mini_dataset import MINI_CONFIGS, score_file

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_args(dataset: Path, model: Path, out: Path, *extra: str) -> list[str]:
    return [
        "run",
        "--dataset",
        str(dataset),
        "--model",
        str(model),
        "--backend",
        "transformers",
        "--out",
        str(out),
        "--dtype",
        "float32",
        "--max-tokens",
        "24",
        "--max-model-len",
        "4096",
        "--no-progress",
        *extra,
    ]


def comparable(path: Path) -> list[str]:
    """The file's lines with the header's created_at removed (the only field allowed to differ)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    header["header"].pop("created_at")
    return [json.dumps(header), *lines[1:]]


@pytest.mark.parametrize("mode", ["prompt", "fc"])
def test_cli_run_writes_valid_scorable_predictions(
    mini_dataset: Path, tiny_model_dir: Path, tmp_path: Path, mode: str
) -> None:
    out = tmp_path / "pred.jsonl"
    configs = ["clean", "CD", "transient_timeout"]
    assert (
        main(
            run_args(mini_dataset, tiny_model_dir, out, "--mode", mode, "--limit", "2", "--configs", *configs)
        )
        == 0
    )
    lines = out.read_text(encoding="utf-8").splitlines()
    header = RunHeader.model_validate(json.loads(lines[0])["header"])
    assert (header.engine, header.mode, header.model) == ("transformers", mode, str(tiny_model_dir))
    assert header.sampling == {"temperature": 0.0, "max_tokens": 24, "seed": 0}
    assert header.model_revision.startswith("local-sha256:") and header.dataset_fingerprint
    records = [PredictionRecord.model_validate_json(line) for line in lines[1:]]
    assert [(r.perturbation, r.id) for r in records] == [
        (c, i) for c in configs for i in ("bfcl_v3__BFCL_v3_multiple__multiple_1", "apibank__level1_1")
    ]
    for r in records:
        assert r.error is None and r.meta["finish_reason"] in {"stop", "length"}
        if r.perturbation in TRANSITION_ERRORS:
            assert r.transition_injected is not None and r.first_pass_output is not None
            if not r.transition_injected:
                assert r.raw_output == r.first_pass_output
        else:
            assert r.transition_injected is None and r.first_pass_output is None

    report = score_file(mini_dataset, configs, out)
    assert [c.n_predicted for c in report.configs] == [2, 2, 2]


def test_existing_file_of_another_run_is_refused(
    mini_dataset: Path, tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pred.jsonl"
    assert main(run_args(mini_dataset, tiny_model_dir, out, "--limit", "1", "--configs", "clean")) == 0
    assert (
        main(
            run_args(
                mini_dataset,
                tiny_model_dir,
                out,
                "--limit",
                "1",
                "--configs",
                "clean",
                "--temperature",
                "0.5",
            )
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "different run" in err and "temperature" in err and "--overwrite" in err
    assert (
        main(
            run_args(
                mini_dataset,
                tiny_model_dir,
                out,
                "--limit",
                "1",
                "--configs",
                "clean",
                "--temperature",
                "0.5",
                "--overwrite",
            )
        )
        == 0
    )


@pytest.mark.parametrize(
    ("sig", "returncode", "says"),
    [
        (signal.SIGKILL, -signal.SIGKILL, None),
        (signal.SIGINT, 130, "run the same command again to resume"),
    ],  # Ctrl-C: a clean stop
    ids=["sigkill", "ctrl-c"],
)
def test_an_interrupted_run_resumes_to_the_same_file(
    mini_dataset: Path, tiny_model_dir: Path, tmp_path: Path, sig: int, returncode: int, says: str | None
) -> None:
    extra = ("--chunk-size", "1", "--max-tokens", "48")
    full, resumed = tmp_path / "full.jsonl", tmp_path / "resumed.jsonl"
    assert main(run_args(mini_dataset, tiny_model_dir, full, *extra)) == 0
    total = len(full.read_text().splitlines()) - 1
    assert total == 3 * len(MINI_CONFIGS)

    cmd = [sys.executable, "-m", "robustbench_tc", *run_args(mini_dataset, tiny_model_dir, resumed, *extra)]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if resumed.exists() and resumed.read_bytes().count(b"\n") >= 1 + 3:
            break
        time.sleep(0.01)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == returncode, err[-2000:]
    if says is not None:
        assert says in err and "Traceback" not in err
    killed_records = resumed.read_bytes().count(b"\n") - 1
    assert 3 <= killed_records < total, "the run finished before it could be interrupted"

    assert main(run_args(mini_dataset, tiny_model_dir, resumed, *extra)) == 0
    assert comparable(resumed) == comparable(full)
