"""The builder's view: counts per type, card notes, and loading a built config with ``datasets``."""

from __future__ import annotations

import json

from robustbench_tc.dataset import load_samples
from robustbench_tc.perturbations import static_codes
from robustbench_tc.taxonomy import get_type
from tests.support.requires import unavailable

EXPECTED = {
    # every eligible clean sample: 199 for the Observation types and RedunTool; 147 (= the 199
    # minus ToolEyes' 51 and the RoTBench sample whose gold is `ask_to_user`) for the types that
    # need a single GT tool
    **{
        c: 199
        for c in (
            "realistic_typos",
            "query_paraphrase",
            "paraphrase_tool_description",
            "paraphrase_parameter_description",
            "redundant",
        )
    },
    **{
        c: 147
        for c in (
            "same_name_A",
            "same_name_B",
            "same_name_C",
            "same_name_D",
            "same_name_E",
            "CD",
            "TD",
            "CD_NT",
            "TD_NT",
            "CD_AB",
            "TD_AB",
        )
    },
}


def test_counts_per_type(static_build):
    assert {c: len(rows) for c, rows in static_build.configs.items()} == EXPECTED


def test_card_notes_explain_every_difference(static_build):
    notes = static_build.card_notes
    for code in static_codes():
        line = next(ln for ln in notes.splitlines() if ln.startswith(f"| `{code}` "))
        n, paper = EXPECTED[code], get_type(code).paper_n
        assert f"| {n} | {paper} |" in line
        assert ("same as the paper" in line) == (n == paper and "(b)" not in line), line
        if n != paper:
            assert "(a)" in line
    assert "**(a)**" in notes and "**(b)**" in notes and "Generator" in notes


def test_built_dataset_holds_the_static_configs(built_dataset):
    loaded = load_samples(built_dataset, static_codes())
    assert {c: len(rows) for c, rows in loaded.items()} == EXPECTED
    readme = (built_dataset / "README.md").read_text()
    assert "Static perturbations: counts and generators" in readme


def test_load_dataset_cd_ab(built_dataset, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    try:
        import datasets
    except ImportError:
        unavailable("the `datasets` package is not installed (pip install -e '.[data]')")
    assert built_dataset.name == "robustbench-tc"
    monkeypatch.chdir(built_dataset.parent)
    ds = datasets.load_dataset("robustbench-tc", "CD_AB", split="test", cache_dir=str(tmp_path / "cache"))
    assert len(ds) == EXPECTED["CD_AB"]
    row = next(r for r in ds if r["id"] == "bfcl_v3__BFCL_v3_multiple__multiple_110")
    gold = json.loads(row["golden_answers"])
    assert gold[0]["calls"][0]["name"] == "mut_type.find"
    assert {t["name"] for t in json.loads(row["tools"])} == {
        "mutation_type.find",
        "mut_type.find",
        "get_collectables_in_season",
    }
    assert row["perturbation"] == "CD_AB" and row["generator"] == "rules"
