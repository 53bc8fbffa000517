"""Every runtime config (beyond the paper) end to end with a real model: SmolLM2-135M-Instruct through
the vLLM CPU engine (one engine for prompt and function-calling mode), then ``robustbench-tc score``
replays every trajectory in the tool world, as the server does, and reports each axis.

A few samples per config (the shortest prompts, from different sources) keep it to a couple of
minutes on two cores. The model's figures are printed; what is asserted is the path: every record
holds a replayable trajectory that ends at a final answer or the step limit, and the same file with
one tool message changed is refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from robustbench_tc.dataset import config_path, load_samples
from robustbench_tc.predictions import read_predictions
from robustbench_tc.records import Sample
from robustbench_tc.taxonomy import RUNTIME_CONFIG_NAMES
from robustbench_tc.world.core import WORLD_VERSION

pytestmark = [pytest.mark.slow, pytest.mark.vllm]

REPO_ROOT = Path(__file__).resolve().parents[2]
PER_CONFIG = 2
MAX_TOKENS = 32


def _size(sample: Sample) -> int:
    return len(sample.system_prompt) + sum(len(m.content) for m in sample.messages)


def runtime_subset(built: Path, out: Path, per_config: int = PER_CONFIG) -> dict[str, list[str]]:
    """The ``per_config`` shortest rows of each runtime config, from different sources where it can."""
    samples = load_samples(built, RUNTIME_CONFIG_NAMES)
    chosen: dict[str, list[str]] = {}
    for config, rows in samples.items():
        ranked = sorted(rows, key=lambda s: (_size(s), s.id))
        picked: list[Sample] = []
        for row in ranked:
            if len(picked) < per_config and row.source not in {p.source for p in picked}:
                picked.append(row)
        ids = {p.id for p in picked}
        chosen[config] = [r.id for r in rows if r.id in ids]
        path = config_path(out, config)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r.to_row(), ensure_ascii=False) + "\n" for r in rows if r.id in ids),
                        encoding="utf-8")  # fmt: skip
    return chosen


def _score(dataset: Path, predictions: Path, report: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    cmd = [sys.executable, "-m", "robustbench_tc", "score", str(predictions), "--dataset", str(dataset),
           "--json", str(report), "--n-boot", "1000"]  # fmt: skip
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def test_smollm2_plays_every_runtime_config_and_replays_on_the_server(
    vllm_python_path: Path, built_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from robustbench_tc.testing.smollm2 import SmolLM2Unavailable, smollm2_gguf

    try:
        gguf = smollm2_gguf()
    except SmolLM2Unavailable as exc:
        pytest.fail(f"{exc} (scripts/install.sh installs it)")
    dataset = tmp_path / "dataset"
    chosen = runtime_subset(built_dataset, dataset)
    assert set(chosen) == set(RUNTIME_CONFIG_NAMES) and all(len(ids) == PER_CONFIG for ids in chosen.values())

    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TOKENIZERS_PARALLELISM": "false"}
    env.pop("VLLM_CPU_KVCACHE_SPACE", None)
    driver = Path(__file__).with_name("smollm2_driver.py")  # prompt, then FC mode, one engine
    proc = subprocess.run([str(vllm_python_path), str(driver), "vllm", str(dataset), str(gguf), str(tmp_path),
                           str(MAX_TOKENS)], env=env, capture_output=True, text=True, timeout=1200)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    timing = json.loads(
        next(x for x in proc.stdout.splitlines() if x.startswith("TIMING ")).removeprefix("TIMING ")
    )

    lines = [f"\nSmolLM2-135M-Instruct on the runtime configs ({PER_CONFIG} rows each), vLLM CPU: start "
             f"{timing['load_s']:.1f} s, {timing['prompts']} turns in {timing['generate_s']:.1f} s"]  # fmt: skip
    for mode in ("prompt", "fc"):
        out = tmp_path / f"vllm-{mode}.jsonl"
        predictions = read_predictions(out)
        assert predictions.header is not None
        assert (predictions.header.step_limit, predictions.header.world_version) == (4, WORLD_VERSION)
        assert len(predictions.records) == sum(len(ids) for ids in chosen.values())
        turns = [len(r.trajectory or []) for r in predictions.records]
        assert all(1 <= t <= 4 for t in turns)

        report_path = tmp_path / f"report-{mode}.json"
        scored = _score(dataset, out, report_path)  # the server's replay, as a process
        assert scored.returncode == 0, scored.stderr[-3000:]
        report = json.loads(report_path.read_text(encoding="utf-8"))
        axes = report["runtime"]["axes"]
        assert [a["config"] for a in axes] == list(RUNTIME_CONFIG_NAMES)
        assert all(a["n_predicted"] == a["n"] for a in axes)
        lines.append(f"  {mode}: {sum(turns)} turns over {len(turns)} episodes, "
                     f"{sum(t > 1 for t in turns)} with more than one turn")  # fmt: skip
        for a in axes:
            modes = ", ".join(f"{m} {k}" for m, k in a["error_modes"].items() if k and m != "correct")
            lines.append(f"    {a['display_name']:<9} acc {a['accuracy']['value']:.3f} (n={a['n']}); {modes}")

        # the same file with one tool message changed (or, without any, one turn added) is refused
        forged = tmp_path / f"forged-{mode}.jsonl"
        text = out.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(text[1:], 1):
            record = json.loads(line)
            steps = record["trajectory"]
            if any(s["observations"] for s in steps):
                step = next(s for s in steps if s["observations"])
                step["observations"][0] += " "  # one byte more than the world sent
            else:
                steps.append({"output": "One more turn.", "observations": []})
                record["raw_output"] = "One more turn."
            text[i] = json.dumps(record, ensure_ascii=False)
            break
        forged.write_text("\n".join(text) + "\n", encoding="utf-8")
        refused = _score(dataset, forged, tmp_path / "forged.json")
        assert refused.returncode == 2 and "do not replay in the tool world" in refused.stderr, (
            refused.stderr[-2000:]
        )
    with capsys.disabled():
        print("\n".join(lines))
