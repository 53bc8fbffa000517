"""The real path: `vllm serve` (CPU venv) running the installed SmolLM2-135M-Instruct, and through
it `build --generator llm` on two samples and `audit-quality` on the result. One server for the
module; a handful of short requests.

SmolLM2 is far too small to write or judge paraphrases: these tests check the plumbing and the
bookkeeping (requests reach the server, rejected outputs are regenerated and then fall back to the
rules with the counts reported, every verdict is parsed or counted as unparseable, the caches
replay, the card shows the audit), never SmolLM2's quality. The wall times are printed.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from pathlib import Path

import pytest

from dataset_builder import card
from robustbench_tc.cli import main
from robustbench_tc.dataset import config_path, load_samples
from robustbench_tc.perturbations.judge import QualityAudit
from tests.support.requires import unavailable
from tests.support.vllm_server import serve_vllm, vllm_python

pytestmark = [pytest.mark.slow, pytest.mark.vllm]

SAMPLES = ["bfcl_v3__BFCL_v3_multiple__multiple_2", "toolalpaca__Nager.Date__inst1"]
CONFIGS = ["realistic_typos", "query_paraphrase"]
MODEL = "smollm2-135m"
TIMES: dict[str, float] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    from robustbench_tc.testing.smollm2 import SmolLM2Unavailable, smollm2_dir

    python = vllm_python()
    if python is None:
        unavailable("vLLM venv not found: scripts/install.sh --vllm, or set RBTC_VLLM_PYTHON")
    try:
        folder = smollm2_dir()
    except SmolLM2Unavailable as exc:
        pytest.fail(f"{exc} (scripts/install.sh installs it)")
    log = tmp_path_factory.mktemp("vllm") / "server.log"
    with serve_vllm(python, folder, log, served_name=MODEL) as served:
        TIMES["server start"] = served.start_seconds
        yield served
    with_times = ", ".join(f"{k} {v:.1f} s" for k, v in TIMES.items())
    print(f"\nSmolLM2 through vllm serve: {with_times}")


@pytest.fixture(scope="module")
def built(server, tmp_path_factory: pytest.TempPathFactory, sources_dir: Path):
    root = tmp_path_factory.mktemp("llm-build")
    args = [
        "build", "--sources", str(sources_dir), "--out", str(root / "ds"), "--configs", *CONFIGS,
        "--samples", *SAMPLES, "--generator", "llm", "--llm-model", MODEL, "--llm-base-url", server.url,
        "--llm-cache", str(root / "cache"), "--llm-temperature", "0", "--llm-max-tokens", "64",
        "--llm-concurrency", "2", "--quiet",
    ]  # fmt: skip
    started = time.monotonic()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(args) == 0
    TIMES["build --generator llm (2 samples x 2 types)"] = time.monotonic() - started
    return root, args, printed.getvalue()


def test_build_through_vllm_serve(built):
    root, args, out = built
    rows = load_samples(root / "ds", CONFIGS)
    cached = sorted((root / "cache").rglob("*.json"))
    assert cached, "no request reached the server"
    for path in cached:
        record = json.loads(path.read_text())
        assert record["key"]["model"] == MODEL and isinstance(record["response"], str)
    model_rows = [r for c in CONFIGS for r in rows[c]]
    assert len(model_rows) == len(SAMPLES) * len(CONFIGS)
    fallen = [r for r in model_rows if r.perturbation_metadata.get("fallback_from") == f"llm:{MODEL}"]
    written = [r for r in model_rows if r.generator == f"llm:{MODEL}"]
    assert len(fallen) + len(written) == len(model_rows)
    assert all(r.generator == "rules" for r in fallen)
    regenerated = [r for r in written if r.perturbation_metadata.get("regenerated")]
    line = next(x for x in out.splitlines() if x.startswith(f"Generator `llm:{MODEL}`"))
    first = len(written) - len(regenerated)
    assert (
        f"{len(model_rows)} model-written rows; {first} accepted on the first try, {len(regenerated)} "
        f"regenerated after a rejected output, {len(fallen)} fell back to `rules`"
    ) in line
    # every request's answer is on disk: one per attempt, 4 per fallen-back row
    attempts = sum(
        4 if r in fallen else 1 + r.perturbation_metadata.get("regenerated", 0) for r in model_rows
    )
    assert len(cached) == attempts
    # a rebuild replays the cache: no request, the same bytes
    before = {c: config_path(root / "ds", c).read_bytes() for c in CONFIGS}
    assert main([*args[:4], str(root / "again"), *args[5:]]) == 0
    assert sorted((root / "cache").rglob("*.json")) == cached
    assert {c: config_path(root / "again", c).read_bytes() for c in CONFIGS} == before


def test_audit_quality_through_vllm_serve(server, built, capsys: pytest.CaptureFixture[str]):
    root, _, _ = built
    dataset = root / "ds"
    args = [
        "audit-quality", "--dataset", str(dataset), "--judge-model", MODEL, "--base-url", server.url,
        "--n", "2", "--temperature", "0", "--max-tokens", "48", "--cache", str(root / "judge"), "--quiet",
    ]  # fmt: skip
    started = time.monotonic()
    assert main(args) == 0
    TIMES["audit-quality (n=2 x 2 types)"] = time.monotonic() - started
    out = capsys.readouterr().out
    (path,) = (dataset / card.AUDIT_DIR).glob("*.json")
    audit = QualityAudit.model_validate_json(path.read_text())
    assert audit.judge.model == MODEL and audit.judge.temperature == 0 and audit.judge.max_tokens == 48
    assert audit.requests == 4 and audit.cached == 0
    assert {t.code_name for t in audit.types} == set(CONFIGS)
    for t in audit.types:
        assert t.sampled == t.scored + t.unparseable + t.failed
        assert all(p.reason or p.parse == "json" for p in t.pairs)  # nothing dropped: raw text kept
    assert sum(t.sampled for t in audit.types) == len(SAMPLES) * len(CONFIGS)
    assert "| subtype | generator | n |" in out
    readme = (dataset / "README.md").read_text(encoding="utf-8")
    assert f"`{MODEL}`" in readme and "| this build |" in readme
    # the rerun asks nothing
    assert main([*args, "--no-card"]) == 0
    again = QualityAudit.model_validate_json(path.read_text())
    assert again.requests == 0 and again.cached == 4
    assert [t.scored for t in again.types] == [t.scored for t in audit.types]
