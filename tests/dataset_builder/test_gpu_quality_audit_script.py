"""`scripts/gpu_quality_audit.sh` as a GPU user runs it, with `vllm serve` replaced by a stand-in
server (``VLLM_SERVE``): it starts the server, waits for /health, runs `audit-quality` with the
prepared settings, writes the audit where the card picks it up, and stops the server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dataset_builder import card
from dataset_builder.build import build_dataset
from robustbench_tc.perturbations.judge import QualityAudit
from robustbench_tc.perturbations.pairs import TEXT_TYPES
from tests.support.vllm_server import free_port

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "gpu_quality_audit.sh"


def test_prepared_script_runs_the_audit_into_the_card(tmp_path: Path, sources_dir: Path):
    dataset = tmp_path / "ds"
    ids = ["bfcl_v3__BFCL_v3_multiple__multiple_2", "toolalpaca__Nager.Date__inst1"]
    build_dataset(sources_dir, dataset, configs=list(TEXT_TYPES), samples=ids, progress=False)
    out, audit_out = tmp_path / "out", tmp_path / "committed" / "judge.json"
    out.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "PYTHON": sys.executable,
        "VLLM_SERVE": f"{sys.executable} {REPO / 'tests' / 'support' / 'fake_vllm_serve.py'}",
        "PORT": str(free_port()),
        "N": "2",
        "AUDIT_OUT": str(audit_out),
        "OUT": str(out),
        "HOME": str(tmp_path),  # the judge's answer cache goes under $HOME/.cache
    }
    proc = subprocess.run(
        ["bash", str(SCRIPT), str(dataset), "Org/Judge-Model-70B"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    audit = QualityAudit.model_validate_json(audit_out.read_text())
    assert audit.judge.model == "Judge-Model-70B" and audit.judge.temperature == 0 and audit.judge.json_mode
    assert audit.n == 2 and {t.code_name for t in audit.types} == set(TEXT_TYPES)
    assert all(t.scored == 2 and t.mean == 5.0 for t in audit.types)
    assert "| Typo | `rules` | `Judge-Model-70B` |" in (dataset / "README.md").read_text(encoding="utf-8")
    assert (out / "quality_audit.txt").read_text().startswith("Judge: Judge-Model-70B at http://127.0.0.1:")
    assert json.loads((out / "judge.json").read_text()) == json.loads(audit_out.read_text())
    assert not list((dataset / card.AUDIT_DIR).glob("*.json"))  # --out: written only where asked
