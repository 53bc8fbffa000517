"""Seeding: same seed -> same bytes; another seed -> other choices; rows are independent."""

from __future__ import annotations

import json

import pytest

from robustbench_tc.perturbations import GeneratorConfig, build_static_configs, perturb, static_codes

L1_101 = "apibank__level1_101"


def _bytes(configs):
    return {
        code: "\n".join(json.dumps(r.to_row(), sort_keys=True) for r in rows)
        for code, rows in configs.items()
    }


@pytest.fixture(scope="module")
def subset(clean_samples):
    # a few samples of every source, in manifest order
    by_source = {}
    for s in clean_samples:
        by_source.setdefault(s.source, []).append(s)
    return [s for group in by_source.values() for s in group[:3]]


def test_same_seed_same_bytes(subset):
    a = build_static_configs(subset, seed=7, generator=GeneratorConfig(), progress=False)
    b = build_static_configs(subset, seed=7, generator=GeneratorConfig(), progress=False)
    assert _bytes(a.configs) == _bytes(b.configs)
    assert a.card_notes == b.card_notes


@pytest.mark.parametrize("code", static_codes())
def test_another_seed_changes_the_rows(by_id, code):
    sample = by_id["bfcl_v3__BFCL_v3_multiple__multiple_110"]
    rows = {seed: perturb(sample, code, seed=seed) for seed in range(6)}
    if rows[0] is None:
        pytest.skip("not eligible")
    distinct = {json.dumps(r.to_row(), sort_keys=True) for r in rows.values()}
    assert len(distinct) > 1, f"{code}: six seeds gave identical rows"


def test_reward_shuffles_differ_across_seeds(by_id):
    orders = {tuple(perturb(by_id[L1_101], "CD", seed=s).tool_names) for s in range(8)}
    assert len(orders) >= 4


def test_adding_a_sample_changes_no_other_row(clean_samples, subset):
    extra = next(s for s in clean_samples if s not in subset)
    before = build_static_configs(subset, seed=3, generator=GeneratorConfig(), progress=False)
    after = build_static_configs([extra, *subset], seed=3, generator=GeneratorConfig(), progress=False)
    for code in static_codes():
        kept = [r for r in after.configs[code] if r.id != extra.id]
        assert _bytes({code: kept}) == _bytes({code: before.configs[code]}), code


def test_configs_are_in_taxonomy_and_clean_order(static_build, clean_samples):
    assert list(static_build.configs) == static_codes()
    order = {s.id: i for i, s in enumerate(clean_samples)}
    for code, rows in static_build.configs.items():
        positions = [order[r.id] for r in rows]
        assert positions == sorted(positions), code
        assert all(r.perturbation == code and r.id == r.base_id for r in rows)
