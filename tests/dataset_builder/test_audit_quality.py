"""`robustbench-tc audit-quality` as a user runs it (against a stand-in OpenAI-compatible judge),
the card's judge section, audits surviving a rebuild, and `build --samples`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataset_builder import card
from dataset_builder.build import BuildError, build_dataset
from robustbench_tc.cli import main
from robustbench_tc.perturbations.judge import QualityAudit
from robustbench_tc.perturbations.pairs import TEXT_TYPES
from tests.support.fake_chat import serve_fake_llm

IDS = [
    "bfcl_v3__BFCL_v3_multiple__multiple_110",
    "apibank__level1_101",
    "rotbench__Turn 1: What is the stock price of 600104.SHH today?",
]


@pytest.fixture
def judge_server():
    with serve_fake_llm() as llm:
        yield llm


@pytest.fixture
def subset(tmp_path: Path, sources_dir: Path) -> Path:
    out = tmp_path / "ds"
    build_dataset(sources_dir, out, configs=list(TEXT_TYPES), samples=IDS, progress=False)
    return out


def _audit_args(dataset: Path, url: str, cache: Path, *extra: str) -> list[str]:
    return ["audit-quality", "--dataset", str(dataset), "--judge-model", "stand-in", "--base-url", url,
            "--cache", str(cache), "--quiet", *extra]  # fmt: skip


def test_audit_quality_prints_writes_and_updates_the_card(
    judge_server, subset, tmp_path, capsys, sources_dir
):
    before = (subset / "README.md").read_text(encoding="utf-8")
    assert "No judge audit of this dataset yet" in before
    assert main(_audit_args(subset, judge_server.url, tmp_path / "cache", "--n", "2", "--seed", "3")) == 0
    out = capsys.readouterr().out
    assert "Judge: stand-in at " in out and "| subtype | generator | n | mean |" in out
    assert "| Typo | `rules` | 2 | 5.00 | 5.0 | 0.00 | 0.00% | 0 | 0 |" in out
    assert "lowest-scoring 2 audited pairs" in out and "Clean: " in out and "Judge: Same intent" in out
    (written,) = (subset / card.AUDIT_DIR).glob("judge-stand-in-*.json")
    audit = QualityAudit.model_validate_json(written.read_text())
    assert audit.n == 2 and audit.seed == 3 and [t.code_name for t in audit.types] == list(TEXT_TYPES)
    text = (subset / "README.md").read_text(encoding="utf-8")
    assert text.count(card.JUDGE_START) == 1 and "No judge audit" not in text
    assert "| Typo | `rules` | `stand-in` |" in text and "| this build |" in text
    assert text.split(card.JUDGE_START)[0] == before.split(card.JUDGE_START)[0]  # the rest is kept
    # a rerun is answered from the cache
    requests = len(judge_server.requests)
    assert (
        main(
            _audit_args(subset, judge_server.url, tmp_path / "cache", "--n", "2", "--seed", "3", "--no-card")
        )
        == 0
    )
    assert (
        len(judge_server.requests) == requests
        and "0 requests, 8 answers from the cache" in capsys.readouterr().out
    )
    # a rebuild keeps the audit and the card still shows it (the data did not change)
    build_dataset(sources_dir, subset, configs=list(TEXT_TYPES), samples=IDS, progress=False)
    assert (subset / card.AUDIT_DIR / written.name).is_file()
    assert "| Typo | `rules` | `stand-in` |" in (subset / "README.md").read_text(encoding="utf-8")
    # a rebuild with other data marks it as an audit of an earlier build
    build_dataset(sources_dir, subset, seed=1, configs=list(TEXT_TYPES), samples=IDS, progress=False)
    text = (subset / "README.md").read_text(encoding="utf-8")
    assert f"an earlier build `{audit.dataset_fingerprint[:12]}`" in text


def test_audit_quality_errors_are_one_line(judge_server, subset, tmp_path, capsys):
    assert main(_audit_args(tmp_path / "nowhere", judge_server.url, tmp_path / "c")) == 2
    assert "is not a built dataset folder" in capsys.readouterr().err
    assert main(_audit_args(subset, judge_server.url, tmp_path / "c", "--types", "CD")) == 2
    assert "not a text type" in capsys.readouterr().err
    judge_server.script = [(503, None)] * 100
    assert main(_audit_args(subset, judge_server.url, tmp_path / "c", "--max-retries", "0")) == 2
    assert "the judge endpoint failed" in capsys.readouterr().err


def test_out_writes_elsewhere_and_leaves_no_temp_file(judge_server, subset, tmp_path):
    target = tmp_path / "audits" / "mine.json"
    args = _audit_args(subset, judge_server.url, tmp_path / "c", "--n", "1", "--types", "query_paraphrase")
    assert main([*args, "--out", str(target)]) == 0
    assert json.loads(target.read_text())["types"][0]["code_name"] == "query_paraphrase"
    assert [p.name for p in target.parent.iterdir()] == ["mine.json"]


def test_build_samples_subset(tmp_path, sources_dir):
    out = tmp_path / "ds"
    report = build_dataset(sources_dir, out, configs=["realistic_typos"], samples=IDS[:2], progress=False)
    assert report.totals == {"clean": 2, "realistic_typos": 2}
    assert "**Subset build**: 2 of the clean samples" in (out / "README.md").read_text(encoding="utf-8")
    # a config the static generators do not build (a runtime row) is left to its own builder
    report = build_dataset(
        sources_dir, out, configs=["query_paraphrase", "episode_clean"], samples=IDS[:1], progress=False
    )
    assert report.totals["query_paraphrase"] == 1
    assert "episode_clean" in report.skipped or "episode_clean" in report.totals
    with pytest.raises(BuildError, match="unknown sample id 'apibank__level1_1011'"):
        build_dataset(sources_dir, tmp_path / "x", samples=["apibank__level1_1011"], progress=False)
