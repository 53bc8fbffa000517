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


# ----------------------------------------------------------------- equality in distribution
# bootstrap_sums draws each stratum's group counts from a multinomial instead of gathering an
# (n_boot, n) index matrix.  These tests compare it with the gather (the previous implementation,
# kept here as the reference) by chi-square tests of homogeneity on the bootstrap distributions.
# Seeds are fixed (data 11-13, draws 0 and 1), so the outcome is reproducible; the negative control
# shows the same test rejects a subtly wrong sampler, so it can fail.
N_DRAWS = 20_000
P_FLOOR = 1e-3


def _gather_sums(x: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """The reference: resample record indices with replacement and add up each run's values."""
    idx = np.random.default_rng(seed).integers(0, x.shape[1], size=(n_boot, x.shape[1]))
    return np.stack([row[idx].sum(axis=1) for row in x])


def _fast_sums(x: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    return bootstrap_sums({"s": x}, n_boot=n_boot, seed=seed)["s"][0]


def _homogeneity_p(a: np.ndarray, b: np.ndarray, unit: float) -> float:
    """Chi-square test that two samples of a discrete statistic (multiples of ``unit``) come from
    one distribution; sparse categories (expected < 5) are pooled into their neighbours."""
    from scipy.stats import chi2_contingency

    ka, kb = np.rint(a / unit).astype(int), np.rint(b / unit).astype(int)
    lo = min(ka.min(), kb.min())
    ca = np.bincount(ka - lo)
    cb = np.bincount(kb - lo, minlength=len(ca))
    ca = np.pad(ca, (0, len(cb) - len(ca)))
    table, cell = [], np.zeros(2, dtype=int)
    for pair in zip(ca, cb):
        cell += pair
        if cell.sum() * min(len(a), len(b)) / (len(a) + len(b)) >= 5:
            table.append(cell.copy())
            cell[:] = 0
    if cell.sum():
        table[-1] += cell
    return float(chi2_contingency(np.array(table).T)[1])


def _paired_runs(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    run = (rng.random(n) < 0.62).astype(float)
    flip = rng.random(n) < 0.2  # the reference agrees on 80% of the records
    return np.vstack([run, np.where(flip, 1 - run, run)])


def _tooleyes_fractions(seed: int, n: int) -> np.ndarray:
    return np.random.default_rng(seed).choice([0.0, 1 / 3, 0.5, 2 / 3, 1.0], size=n)[None]


CASES = {
    "binary one run (binomial)": (lambda: _values(11, 199, 0.64)[None], 1.0),
    "paired 0/1 runs (four cells)": (lambda: _paired_runs(12, 300), 1.0),
    "ToolEyes partial credit": (lambda: _tooleyes_fractions(13, 51), 1 / 6),
}


@pytest.mark.parametrize("case", list(CASES))
def test_grouped_draws_equal_the_index_gather_in_distribution(case):
    make, unit = CASES[case]
    x = make()
    fast, slow = _fast_sums(x, N_DRAWS, seed=0), _gather_sums(x, N_DRAWS, seed=1)
    for run in range(x.shape[0]):
        assert _homogeneity_p(fast[run], slow[run], unit) > P_FLOOR
    if x.shape[0] == 2:  # the paired statistic: run − reference on shared draws
        assert _homogeneity_p(fast[0] - fast[1], slow[0] - slow[1], unit) > P_FLOOR
        assert np.corrcoef(fast)[0, 1] == pytest.approx(np.corrcoef(slow)[0, 1], abs=0.03)


def test_the_homogeneity_test_rejects_unpaired_draws():
    """Negative control: drawing the reference independently of the run keeps both marginals
    right but widens the difference; the same test must catch it."""
    x = _paired_runs(12, 300)
    fast = _fast_sums(x, N_DRAWS, seed=0)
    unpaired = np.vstack([_gather_sums(x[:1], N_DRAWS, seed=1)[0], _gather_sums(x[1:], N_DRAWS, seed=2)[0]])
    assert _homogeneity_p(fast[1], unpaired[1], 1.0) > P_FLOOR
    assert _homogeneity_p(fast[0] - fast[1], unpaired[0] - unpaired[1], 1.0) < 1e-6


def test_grouped_draws_keep_exact_sums_for_constant_runs():
    sums = _fast_sums(np.ones((2, 37)), 100, seed=0)
    assert (sums == 37).all()
