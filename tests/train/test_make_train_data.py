"""`make-train-data` on the real ToolRL items with the benchmark's own perturbations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from robustbench_tc.cli import main as rbtc
from robustbench_tc.formats.toolrl import parse_tools
from robustbench_tc.taxonomy import CLEAN, static_types
from train.rewards import parse_tool_calls
from train.rlla import item_from_row

LIMIT = 48


@pytest.fixture(scope="module")
def built(sources_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[dict]]]:
    import datasets

    out = tmp_path_factory.mktemp("toolrl-dr")
    argv = [
        "make-train-data",
        "--sources",
        str(sources_dir),
        "--out",
        str(out),
        "--limit",
        str(LIMIT),
        "--seed",
        "5",
        "--no-progress",
    ]
    assert rbtc(argv) == 0
    cache = str(tmp_path_factory.mktemp("cache"))
    loaded = {
        v: datasets.load_dataset(str(out), v, cache_dir=cache) for v in ("clean", "dr_full", "dr_mixed")
    }
    result = {v: {split: list(d[split]) for split in d} for v, d in loaded.items()}
    result["manifest"] = json.loads((out / "manifest.json").read_text())
    return result


def test_counts_and_types(built: dict) -> None:
    static = {t.code_name for t in static_types()}
    clean, full, mixed = (built[v]["train"] for v in ("clean", "dr_full", "dr_mixed"))
    assert len(clean) == LIMIT and {r["perturbation"] for r in clean} == {CLEAN}
    assert 0 < len(full) <= LIMIT and {r["perturbation"] for r in full} <= static
    assert len(mixed) == LIMIT
    perturbed = [r for r in mixed if r["perturbation"] != CLEAN]
    assert 0 < len(perturbed) <= LIMIT // 2
    full_by_id = {r["id"]: r for r in full}
    assert all(r == full_by_id[r["id"]] for r in perturbed)  # DR-Mixed reuses DR-Full's draw


def test_validation_is_shared_and_perturbed(built: dict) -> None:
    static = {t.code_name for t in static_types()}
    validations = [built[v]["validation"] for v in ("clean", "dr_full", "dr_mixed")]
    assert validations[0] == validations[1] == validations[2]
    assert {r["perturbation"] for r in validations[0]} <= static and len(validations[0]) > 0


def test_rows_are_valid_rlla_with_gold_among_the_tools(built: dict) -> None:
    clean = {r["id"]: r for r in built["clean"]["train"]}
    for row in built["dr_full"]["train"]:
        item = item_from_row(row)
        names = {t.name for t in parse_tools(item.instruction)}
        calls = parse_tool_calls(item.output) or []
        original = parse_tool_calls(clean[row["id"]]["ground_truth"]) or []
        assert len(calls) == len(original)
        if row["perturbation"] in ("CD_AB", "TD_AB"):
            meta = json.loads(row["perturbation_metadata"])
            assert meta["new_gt"] in names and meta["new_gt"] in {c["name"] for c in calls}
            assert meta["original_gt"] not in {c["name"] for c in calls}
        else:
            assert calls == original
        # every gold tool is listed, unless upstream already lacked it (one rlla item does)
        upstream = {t.name for t in parse_tools(clean[row["id"]]["prompt"][0]["content"])}
        missing = {c["name"] for c in calls} - names
        assert missing <= {c["name"] for c in original} - upstream


def test_manifest_matches_the_files(built: dict) -> None:
    manifest = built["manifest"]
    assert manifest["counts"]["dr_full"] == len(built["dr_full"]["train"])
    assert sum(manifest["perturbations"]["dr_mixed"].values()) == LIMIT
    assert manifest["seed"] == 5 and manifest["limit"] == LIMIT


def test_same_seed_same_files(sources_dir: Path, tmp_path: Path) -> None:
    hashes = []
    for run in ("a", "b"):
        argv = [
            "make-train-data",
            "--sources",
            str(sources_dir),
            "--out",
            str(tmp_path / run),
            "--limit",
            "12",
            "--variants",
            "dr_full",
            "--seed",
            "5",
            "--no-progress",
        ]
        assert rbtc(argv) == 0
        hashes.append(json.loads((tmp_path / run / "manifest.json").read_text())["files"])
    assert hashes[0] == hashes[1]
