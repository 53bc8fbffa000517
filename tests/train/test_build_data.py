"""The training-set construction rules, with a stand-in perturber whose eligibility is known.

The real perturbations are exercised in test_make_train_data.py; here the rules themselves (the
redraw rule, DR-Full's drop rule, DR-Mixed's half, the shared validation split) are pinned.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from robustbench_tc.records import Sample
from robustbench_tc.taxonomy import CLEAN, get_type, static_types
from train.build_data import (
    TrainDataConfig,
    build_rows,
    load_train_data,
    make_train_data,
    mixed_half,
    perturbed_row,
    type_order,
)
from train.rewards import parse_tool_calls
from train.rlla import RllaItem, item_from_row

PROMPT = (
    "Intro.\n\n**Available Tools**\nIn your response, you can use the following tools:\n"
    '1. Name: Get Weather\nDescription: Weather of a city.\nParameters: {"city": {"description": '
    '"The city.", "type": "string", "default": ""}}\n\n'
    "**Steps for Each Turn**\n1. **Think:** Recall context.\n2. **Decide:** Go.\n\n**Output Format**\n..."
)
CALL = (
    '<think> t </think>\n<tool_call>\n{"name": "Get Weather", "parameters": {"city": "Paris"}}\n</tool_call>'
)
RESPONSE = "<think> t </think>\n<response> Hello </response>"
GOLD_TYPES = {t.code_name for t in static_types() if t.needs_gold_tool}


def item(k: int, output: str = CALL) -> RllaItem:
    return RllaItem(PROMPT, f"**Dialogue Records History**\n<user> query {k} </user>", output)


def fake_perturb(sample: Sample, code: str, seed: int) -> Sample | None:
    """Types that need the gold tool apply only to one-call samples; Abbr renames the gold tool;
    Typo edits the query; everything else only relabels the sample."""
    calls = sample.golden_answers[0].calls
    if get_type(code).needs_gold_tool and len(calls) != 1:
        return None
    new = sample.model_copy(
        deep=True,
        update={"perturbation": code, "generator": "rules", "perturbation_metadata": {"seed": seed}},
    )
    if code in ("CD_AB", "TD_AB"):
        old = calls[0].name
        new.tools = [t.model_copy(update={"name": "GW"}) if t.name == old else t for t in new.tools]
        new.golden_answers[0].calls[0].name = "GW"
    if code == "realistic_typos":
        new.messages[0].content = new.messages[0].content.replace("query", "qeury")
    return new


def write_items(path: Path, items: list[RllaItem]) -> str:
    path.write_text(
        json.dumps([{"instruction": i.instruction, "input": i.input, "output": i.output} for i in items])
    )
    return str(path)


@pytest.fixture()
def config(tmp_path: Path) -> TrainDataConfig:
    train = [item(k, RESPONSE if k % 4 == 0 else CALL) for k in range(40)]
    return TrainDataConfig(
        train=write_items(tmp_path / "train.json", train),
        validation=write_items(tmp_path / "val.json", [item(100 + k) for k in range(6)]),
        seed=7,
    )


def test_type_order_is_a_seeded_permutation_of_the_static_types() -> None:
    static = sorted(t.code_name for t in static_types())
    assert sorted(type_order(0, "a")) == static
    assert type_order(0, "a") == type_order(0, "a")
    assert type_order(0, "a") != type_order(1, "a")
    assert type_order(0, "a") != type_order(0, "b")
    assert not {t for t in static if get_type(t).component.value == "transition"}


def test_redraw_takes_the_first_eligible_type_of_the_order() -> None:
    row = perturbed_row(item(0, RESPONSE), "x", "train", 0, fake_perturb)
    order = type_order(0, "x")
    first = next(code for code in order if code not in GOLD_TYPES)
    assert row is not None and row.perturbation == first
    assert json.loads(json.dumps(row.metadata))["ineligible_tried"] == order[: order.index(first)]


def test_draws_are_uniform_over_the_eligible_types() -> None:
    one_call = Counter(type_order(3, f"id{k}")[0] for k in range(3200))
    assert set(one_call) == {t.code_name for t in static_types()}
    assert all(150 <= n <= 250 for n in one_call.values())  # expected 200 each
    no_call = Counter(
        perturbed_row(item(k, RESPONSE), f"id{k}", "train", 3, fake_perturb).perturbation for k in range(800)
    )
    assert set(no_call) == {t.code_name for t in static_types()} - GOLD_TYPES
    assert all(150 <= n <= 250 for n in no_call.values())  # 4 Obs types + RedunTool: 160 each


def test_variants(config: TrainDataConfig) -> None:
    rows = build_rows(config, perturber=fake_perturb, progress=False)
    clean, full, mixed = rows["clean"], rows["dr_full"], rows["dr_mixed"]
    assert [r.perturbation for r in clean] == [CLEAN] * 40
    assert len(full) == 40 and CLEAN not in {r.perturbation for r in full}
    half = mixed_half([r.id for r in clean], config.seed)
    assert len(half) == 20
    assert [r.id for r in mixed] == [r.id for r in clean]
    by_id = {r.id: r for r in full}
    for row in mixed:
        assert row == (by_id[row.id] if row.id in half else clean[[c.id for c in clean].index(row.id)])
    assert len(rows["validation"]) == 6 and {r.split for r in rows["validation"]} == {"validation"}


def test_dr_full_drops_items_no_type_applies_to(config: TrainDataConfig) -> None:
    def picky(sample: Sample, code: str, seed: int) -> Sample | None:
        return None if sample.id == "toolrl__train_3" else fake_perturb(sample, code, seed)

    rows = build_rows(config, perturber=picky, progress=False)
    assert "toolrl__train_3" not in {r.id for r in rows["dr_full"]}
    assert len(rows["dr_full"]) == 39
    mixed = {r.id: r.perturbation for r in rows["dr_mixed"]}
    assert mixed["toolrl__train_3"] == CLEAN  # chosen or not, it stays clean
    assert len(rows["dr_mixed"]) == 40


def test_abbr_rows_point_the_target_at_the_renamed_tool(config: TrainDataConfig) -> None:
    rows = build_rows(config, perturber=fake_perturb, progress=False)
    abbr = [r for r in rows["dr_full"] if r.perturbation in ("CD_AB", "TD_AB")]
    assert abbr
    for row in abbr:
        assert [c["name"] for c in parse_tool_calls(row.item.output)] == ["GW"]
        assert "1. Name: GW\n" in row.item.instruction
    typos = [r for r in rows["dr_full"] if r.perturbation == "realistic_typos"]
    assert typos and all("qeury" in r.item.input for r in typos)


def test_seed_changes_the_draws(config: TrainDataConfig) -> None:
    from dataclasses import replace

    first = build_rows(config, perturber=fake_perturb, progress=False)["dr_full"]
    again = build_rows(config, perturber=fake_perturb, progress=False)["dr_full"]
    other = build_rows(replace(config, seed=8), perturber=fake_perturb, progress=False)["dr_full"]
    assert first == again
    assert [r.perturbation for r in first] != [r.perturbation for r in other]


def test_written_dataset_loads_per_config(config: TrainDataConfig, tmp_path: Path) -> None:
    import datasets

    out = tmp_path / "out"
    manifest = make_train_data(config, out, perturber=fake_perturb, progress=False)
    assert manifest["counts"] == {"clean": 40, "dr_full": 40, "dr_mixed": 40, "validation": 6}
    assert sum(manifest["perturbations"]["dr_mixed"].values()) == 40
    assert manifest["perturbations"]["dr_mixed"]["clean"] == 20
    loaded = datasets.load_dataset(str(out), "dr_mixed", cache_dir=str(tmp_path / "cache"))
    assert set(loaded) == {"train", "validation"}
    train = loaded["train"]
    assert train.column_names == [
        "id",
        "base_id",
        "split",
        "perturbation",
        "component",
        "generator",
        "prompt",
        "ground_truth",
        "perturbation_metadata",
    ]
    assert [m["role"] for m in train[0]["prompt"]] == ["system", "user"]
    assert item_from_row(train[0]).output == train[0]["ground_truth"]
    default = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    assert default["train"]["perturbation"] == [CLEAN] * 40  # clean is the default config


def test_a_folder_rebuilt_in_place_loads_its_new_rows(config: TrainDataConfig, tmp_path: Path) -> None:
    """datasets keys its cache of a local folder by the folder's name: without ``load_train_data``
    a rebuild with another seed loaded the first build's rows (a CI failure, and a user's trap)."""
    import pyarrow.parquet as pq

    out = tmp_path / "toolrl-dr"
    seen = []
    for seed in (0, 8):
        make_train_data(replace(config, seed=seed), out, perturber=fake_perturb, progress=False)
        on_disk = pq.read_table(out / "data" / "dr_full-train.parquet").column("perturbation").to_pylist()
        loaded = load_train_data(out, "dr_full")["train"]["perturbation"]
        assert loaded == on_disk
        seen.append(loaded)
    assert seen[0] != seen[1]


def test_unknown_variant_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown training set"):
        TrainDataConfig(train="a", validation="b", variants=("dr_half",))
