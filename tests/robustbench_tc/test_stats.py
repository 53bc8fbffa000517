"""Bootstrap determinism, interval sanity and the paired test."""

from __future__ import annotations

import numpy as np
import pytest

from robustbench_tc.stats import bootstrap_sums, paired_p_value, percentile_interval


def _values(seed: int, n: int, p: float) -> np.ndarray:
    return (np.random.default_rng(seed).random(n) < p).astype(float)


def test_same_seed_same_draws_whatever_other_strata():
    a = {"clean": _values(0, 199, 0.6)[None], "CD": _values(1, 102, 0.3)[None]}
    one = bootstrap_sums(a, n_boot=500, seed=7)
    two = bootstrap_sums({"clean": a["clean"]}, n_boot=500, seed=7)
    assert np.array_equal(one["clean"][0], two["clean"][0])
    assert not np.array_equal(one["clean"][0], bootstrap_sums(a, n_boot=500, seed=8)["clean"][0])


@pytest.mark.parametrize("cluster", [False, True])
def test_runs_share_indices(cluster):
    x = _values(0, 199, 0.5)
    clusters = {"clean": [f"b{i // 2}" for i in range(199)]} if cluster else None
    sums, counts = bootstrap_sums({"clean": np.vstack([x, x])}, n_boot=300, seed=0, clusters=clusters)[
        "clean"
    ]
    assert np.array_equal(sums[0], sums[1])
    assert (counts > 0).all()


def test_interval_covers_the_binomial_width():
    x = _values(3, 199, 0.64)
    sums, counts = bootstrap_sums({"clean": x[None]}, n_boot=10_000, seed=0)["clean"]
    interval = percentile_interval(sums[0] / counts)
    p = x.mean()
    normal = 1.96 * np.sqrt(p * (1 - p) / 199)  # about the paper's ±0.065 at n=199
    assert interval.lo < p < interval.hi
    assert abs(interval.half_width - normal) < 0.01


def test_cluster_bootstrap_widens_intervals_for_correlated_records():
    base = _values(5, 100, 0.5)
    x = np.repeat(base, 4)  # four identical records per base sample
    labels = {"clean": [f"b{i // 4}" for i in range(400)]}
    plain = bootstrap_sums({"clean": x[None]}, n_boot=4000, seed=0)["clean"]
    clustered = bootstrap_sums({"clean": x[None]}, n_boot=4000, seed=0, clusters=labels)["clean"]
    width = lambda d: percentile_interval(d[0][0] / d[1]).half_width  # noqa: E731
    assert width(clustered) > 1.6 * width(plain)


def test_paired_p_values():
    assert paired_p_value(np.zeros(10_000)) == 1.0
    assert paired_p_value(np.full(10_000, 0.1)) < 0.001
    assert paired_p_value(np.random.default_rng(0).normal(0, 1, 10_000)) > 0.5


def test_bad_n_boot():
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_sums({"clean": np.ones((1, 3))}, n_boot=0)
