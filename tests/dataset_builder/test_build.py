"""The build: configs and counts, determinism, atomic failure, and loading with ``datasets``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dataset_builder.build import BuildError, build_dataset
from dataset_builder.pins import PINS
from robustbench_tc.dataset import config_path, dataset_fingerprint, load_samples
from robustbench_tc.gold import GOLD_INDEX, gold_index_path, read_gold_index
from robustbench_tc.records import ROW_FEATURES, Sample
from robustbench_tc.taxonomy import (
    CLEAN,
    RUNTIME_CONFIG_NAMES,
    TRANSITION_ERRORS,
    config_names,
    static_types,
)
from robustbench_tc.world.spec import parse_spec
from tests.support.requires import unavailable

REPO = Path(__file__).resolve().parents[2]
TRANSITIONS = list(TRANSITION_ERRORS)


def _card_header(folder: Path) -> dict:
    text = (folder / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


def _static_built(folder: Path) -> bool:
    return config_path(folder, static_types()[0].code_name).is_file()


@pytest.mark.parametrize("config", [CLEAN, *TRANSITIONS])
def test_clean_and_transition_configs_hold_the_199_samples(built_dataset, config):
    rows = load_samples(built_dataset, [config])[config]
    clean = load_samples(built_dataset, [CLEAN])[CLEAN]
    assert [r.id for r in rows] == [c.id for c in clean]
    assert len(rows) == 199
    assert {r.perturbation for r in rows} == {config}
    if config != CLEAN:
        assert {r.transition_error for r in rows} == {TRANSITION_ERRORS[config]}
        assert {r.generator for r in rows} == {"runtime"}
        assert [r.tools for r in rows] == [c.tools for c in clean]


def test_static_configs_when_the_perturbation_package_is_there(built_dataset):
    if not _static_built(built_dataset):
        unavailable("robustbench_tc.perturbations.build_static_configs is not available")
    order = {r.id: i for i, r in enumerate(load_samples(built_dataset, [CLEAN])[CLEAN])}
    for t in static_types():
        rows = load_samples(built_dataset, [t.code_name])[t.code_name]
        assert rows and {r.perturbation for r in rows} == {t.code_name}
        positions = [order[r.base_id] for r in rows]
        assert positions == sorted(positions)


def test_card_declares_every_config_with_features(built_dataset):
    header = _card_header(built_dataset)
    names = [c["config_name"] for c in header["configs"]]
    present = [c for c in config_names() if config_path(built_dataset, c).is_file()]
    assert names == present and names[0] == CLEAN
    assert header["configs"][0]["default"] is True
    assert all(
        c["data_files"] == [{"split": "test", "path": f"data/{c['config_name']}.jsonl"}]
        for c in header["configs"]
    )
    assert [i["config_name"] for i in header["dataset_info"]] == names
    feature_names = [f["name"] for f in header["dataset_info"][0]["features"]]
    assert feature_names == list(ROW_FEATURES)
    text = (built_dataset / "README.md").read_text(encoding="utf-8")
    for needle in [
        "arXiv:2605.11928",
        "When Simulation Lies",
        "Choices and deviations",
        "project's own labels",
        "**Think",
        "cd9429ccf3d4d04156affe883c495b3b047e6b64",
    ]:
        assert needle in text


def test_two_builds_are_byte_identical(built_dataset, sources_dir, tmp_path):
    again = tmp_path / "again"
    build_dataset(sources_dir, again, progress=False)
    files = sorted(p.relative_to(built_dataset) for p in built_dataset.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for rel in files:
        assert (built_dataset / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_the_gold_index_matches_the_data_files_and_the_card(built_dataset):
    index = read_gold_index(built_dataset)
    assert index is not None, "the build wrote no current gold index"
    assert index["fingerprint"] == dataset_fingerprint(built_dataset)
    card = (built_dataset / "README.md").read_text(encoding="utf-8")
    size = gold_index_path(built_dataset).stat().st_size
    assert f"`data/{GOLD_INDEX}` ({size:,} bytes)" in card and index["fingerprint"] in card


@pytest.fixture
def hf_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf" / "datasets"))


@pytest.mark.parametrize("config", [CLEAN, "transient_timeout"])
def test_load_dataset_reads_a_config_by_path(built_dataset, hf_offline, config):
    from datasets import load_dataset

    data = load_dataset(str(built_dataset), config, split="test")
    assert data.num_rows == 199
    assert list(data.features) == list(ROW_FEATURES)
    assert set(data["perturbation"]) == {config}


def test_load_dataset_reads_every_runtime_config(built_dataset, hf_offline):
    """Beyond the paper: each runtime config loads with the same features, row for row as the
    project's own reader, and every row's world spec (its fault) survives the round trip."""
    from datasets import load_dataset

    for config in RUNTIME_CONFIG_NAMES:
        data = load_dataset(str(built_dataset), config, split="test")
        ours = load_samples(built_dataset, [config])[config]
        assert list(data.features) == list(ROW_FEATURES)
        assert data.num_rows == len(ours) and set(data["perturbation"]) == {config}
        assert data["id"] == [s.id for s in ours]
        first = Sample.from_row(data[0])
        assert first == ours[0]
        meta = first.perturbation_metadata
        assert meta.get("axis") or config == "episode_clean", config
        if config == "context_pressure":  # the fault is the history itself; its size is recorded
            assert meta["history_chars"] > 0
        elif config != "episode_clean":
            assert parse_spec(meta["world"]) is not None, config


def test_load_dataset_by_folder_name_in_the_cwd(built_dataset, hf_offline, monkeypatch):
    from datasets import load_dataset

    assert built_dataset.name == "robustbench-tc"
    monkeypatch.chdir(built_dataset.parent)
    data = load_dataset("robustbench-tc", "transient_schema_drift", split="test")
    assert data.num_rows == 199 and data[0]["transition_error"] == TRANSITION_ERRORS["transient_schema_drift"]


def _run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "robustbench_tc", *args],
        cwd=REPO,
        text=True,
        capture_output=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def _copy_sources(sources_dir: Path, dest: Path) -> Path:
    for rel in PINS:
        if (sources_dir / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(sources_dir / rel, dest / rel)
    return dest


BROKEN = [
    (
        "missing",
        "rotbench/Data/First_Turn/clean.json",
        "missing source file rotbench/Data/First_Turn/clean.json",
    ),
    ("corrupt", "toolalpaca/data/eval_real.json", "does not match its pin"),
]


@pytest.mark.parametrize(("kind", "rel", "message"), BROKEN)
def test_a_bad_source_file_fails_clearly_and_leaves_no_output(sources_dir, tmp_path, kind, rel, message):
    sources = _copy_sources(sources_dir, tmp_path / "src")
    if kind == "missing":
        (sources / rel).unlink()
    else:
        with (sources / rel).open("ab") as fh:
            fh.write(b" ")
    out = tmp_path / "out" / "robustbench-tc"
    result = _run_cli("build", "--sources", str(sources), "--out", str(out), "--quiet")
    assert result.returncode == 2
    assert message in result.stderr and "robustbench-tc fetch-sources --out DIR" in result.stderr
    assert str(sources / rel) in result.stderr
    assert not out.exists() and not (out.parent.exists() and any(out.parent.iterdir()))


def test_a_failed_build_keeps_the_previous_output(sources_dir, tmp_path):
    out = tmp_path / "robustbench-tc"
    build_dataset(sources_dir, out, configs=[CLEAN], progress=False)
    before = (out / "data" / "clean.jsonl").read_bytes()
    sources = _copy_sources(sources_dir, tmp_path / "src")
    (sources / "apibank/benchmarks/API-Bank/level-2-api_processed.json").write_text("[]")
    result = _run_cli("build", "--sources", str(sources), "--out", str(out), "--quiet")
    assert result.returncode == 2 and "level-2-api_processed.json" in result.stderr
    assert (out / "data" / "clean.jsonl").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["robustbench-tc", "src"]


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["build", "--out", "x"], {"RBTC_SOURCES": ""}, "pass --sources DIR or set RBTC_SOURCES"),
        (["build", "--sources", "/nonexistent/src", "--out", "x"], {}, "does not exist"),
        (
            ["build", "--sources", "SRC", "--out", "x", "--configs", "transient_timout"],
            {},
            "did you mean 'transient_timeout'",
        ),
        (["build", "--sources", "SRC", "--out", "x", "--generator", "llm"], {}, "needs a model name"),
    ],
)
def test_build_cli_user_errors(sources_dir, args, env, message):
    args = [str(sources_dir) if a == "SRC" else a for a in args]
    result = _run_cli(*args, env=env)
    assert result.returncode == 2 and message in result.stderr


def test_build_refuses_to_replace_a_folder_that_is_not_a_dataset(sources_dir, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(BuildError, match="refusing to replace"):
        build_dataset(sources_dir, tmp_path, configs=[CLEAN], progress=False)
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_build_cli_writes_the_summary(sources_dir, tmp_path):
    out = tmp_path / "ds"
    result = _run_cli(
        "build",
        "--sources",
        str(sources_dir),
        "--out",
        str(out),
        "--quiet",
        "--configs",
        "transient_rate_limit",
    )
    assert result.returncode == 0, result.stderr
    assert "transient_rate_limit" in result.stdout and "199" in result.stdout
    assert sorted(p.name for p in (out / "data").iterdir()) == [
        "clean.jsonl",
        GOLD_INDEX,
        "transient_rate_limit.jsonl",
    ]


@pytest.mark.slow
def test_a_rebuilt_folder_loads_fresh_not_from_the_cache(sources_dir, hf_offline, tmp_path, monkeypatch):
    """``datasets`` keys its cache of a local folder on the card's header, not on the files: the
    header's per-config counts and sizes make a rebuild with other content load fresh."""
    from datasets import load_dataset

    out, cache = tmp_path / "robustbench-tc", tmp_path / "cache"
    monkeypatch.chdir(tmp_path)
    loaded = []
    for seed in (0, 1):
        build_dataset(sources_dir, out, seed=seed, configs=[CLEAN, "realistic_typos"], progress=False)
        data = load_dataset("robustbench-tc", "realistic_typos", split="test", cache_dir=str(cache))
        lines = (out / "data" / "realistic_typos.jsonl").read_text(encoding="utf-8").splitlines()
        assert data.to_list() == [json.loads(line) for line in lines], f"seed {seed}: stale rows"
        loaded.append(data.to_list())
    assert loaded[0] != loaded[1]
