"""Percentile-bootstrap confidence intervals and the paired bootstrap test, vectorised with numpy.

Records are resampled with replacement **within each stratum** (a dataset config), from a
generator seeded by ``(seed, stratum)``: the same seed gives the same draws whatever other strata
are present, and every run scored against the same strata (a model and its reference) is
resampled with the *same* draws, which is what makes the paired test paired.  Strata are drawn
independently, so a difference between two strata (a drop from Clean) gets an unpaired interval,
as the paper's appear to be.

A resample's sum depends only on how many times each record is drawn, and records with the same
values (the same ``(run, reference)`` scores) are interchangeable, so the draw is made on the
groups of equal records: the group counts of ``n`` uniform draws with replacement are
``Multinomial(n, group sizes / n)`` (drawn as a chain of binomials) (a binomial for one run of 0/1 scores; four cells for a paired
test; a few more for ToolEyes' fractions).  This is the same distribution as gathering an
``(n_boot, n)`` index matrix, exactly, at ``O(n_boot × groups)`` cost instead of
``O(n_boot × n)`` (tests/robustbench_tc/test_stats.py compares the two with chi-square tests).

With ``clusters`` the unit of resampling is the base sample instead: one draw of base ids is
shared by all strata, and each stratum's resampled sum adds up the drawn bases' records (the
number of records then varies from draw to draw).

>>> import numpy as np
>>> values = {"clean": np.array([[1.0, 0.0, 1.0, 1.0]])}
>>> draws = bootstrap_sums(values, n_boot=1000, seed=0)
>>> sums, counts = draws["clean"]
>>> sums.shape, float(counts[0])
((1, 1000), 4.0)
>>> np.array_equal(sums, bootstrap_sums(values, n_boot=1000, seed=0)["clean"][0])
True
>>> percentile_interval(np.array([0.0, 1.0, 2.0, 3.0, 4.0]), level=0.5)
Interval(lo=1.0, hi=3.0)
>>> paired_p_value(np.zeros(100)), paired_p_value(np.ones(100)) < 0.05
(1.0, True)
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_N_BOOT = 10_000
DEFAULT_LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A two-sided interval; ``half_width`` is how the paper prints it (``mean ± half_width``)."""

    lo: float
    hi: float

    @property
    def half_width(self) -> float:
        return (self.hi - self.lo) / 2


def stratum_seed(seed: int, stratum: str) -> list[int]:
    """A generator seed that depends on the run seed and the stratum's name only.

    >>> stratum_seed(0, "clean") == stratum_seed(0, "clean") != stratum_seed(1, "clean")
    True
    """
    digest = hashlib.sha256(stratum.encode("utf-8")).digest()
    return [int(seed), int.from_bytes(digest[:8], "little")]


def bootstrap_sums(
    values: Mapping[str, np.ndarray],
    *,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    clusters: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Resampled sums per stratum: ``{stratum: (sums (k, n_boot), counts (n_boot,))}``.

    ``values[stratum]`` is a ``(k, n)`` array: ``k`` runs (e.g. a model and its reference) scored
    on the same ``n`` records; each run is resampled with the same indices.  ``clusters[stratum]``
    gives each record's cluster label (base sample id) for the clustered bootstrap.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    arrays = {s: np.atleast_2d(np.asarray(v, dtype=np.float64)) for s, v in values.items()}
    if clusters is not None:
        return _cluster_sums(arrays, clusters, n_boot, seed)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for stratum, x in arrays.items():
        n = x.shape[1]
        if n == 0:
            out[stratum] = (np.zeros((x.shape[0], n_boot)), np.zeros(n_boot))
            continue
        rng = np.random.default_rng(stratum_seed(seed, stratum))
        out[stratum] = (_grouped_sums(x, n_boot, rng), np.full(n_boot, float(n)))
    return out


def _grouped_sums(x: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``(k, n_boot)`` resampled sums of the ``n`` columns of ``x``, drawn per group of equal columns.

    >>> x = np.array([[1.0, 0.0, 1.0, 0.5]])
    >>> sums = _grouped_sums(x, 2000, np.random.default_rng(0))
    >>> sums.shape, float(sums.min()) >= 0.0, float(sums.max()) <= 4.0
    ((1, 2000), True, True)
    """
    values, inverse = np.unique(x.T, axis=0, return_inverse=True)  # values: (groups, k)
    sizes = np.bincount(inverse.ravel(), minlength=len(values))
    return (_multinomial(rng, sizes, n_boot) @ values).T


def _multinomial(rng: np.random.Generator, sizes: np.ndarray, n_boot: int) -> np.ndarray:
    """``(n_boot, groups)`` draws of ``Multinomial(sum(sizes), sizes / sum(sizes))``, built as the
    usual chain of binomials (group g gets ``Binomial(left, sizes[g] / sum(sizes[g:]))`` of the draws
    still unassigned), each step vectorised over the resamples: the same distribution as
    ``rng.multinomial``, several times faster for many resamples of few groups.

    >>> d = _multinomial(np.random.default_rng(0), np.array([3, 1]), 5)
    >>> d.shape, bool((d.sum(axis=1) == 4).all())
    ((5, 2), True)
    """
    counts = np.empty((n_boot, len(sizes)), dtype=np.int64)
    left = np.full(n_boot, int(sizes.sum()), dtype=np.int64)
    for g in range(len(sizes) - 1):
        counts[:, g] = rng.binomial(left, sizes[g] / sizes[g:].sum())
        left -= counts[:, g]
    counts[:, -1] = left
    return counts


def _cluster_sums(
    arrays: Mapping[str, np.ndarray],
    clusters: Mapping[str, Sequence[str]],
    n_boot: int,
    seed: int,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    labels = sorted({c for s in arrays for c in clusters[s]})
    position = {c: i for i, c in enumerate(labels)}
    m = len(labels)
    rng = np.random.default_rng(stratum_seed(seed, "\0clusters"))
    idx = rng.integers(0, m, size=(n_boot, m))
    flat = (idx + np.arange(n_boot)[:, None] * m).ravel()
    weights = np.bincount(flat, minlength=n_boot * m).reshape(n_boot, m).astype(np.float64)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for stratum, x in arrays.items():
        where = np.array([position[c] for c in clusters[stratum]], dtype=np.int64)
        if len(where) != x.shape[1]:
            raise ValueError(f"stratum {stratum!r}: {x.shape[1]} values but {len(where)} cluster labels")
        per_cluster = np.zeros((m, x.shape[0]))
        np.add.at(per_cluster, where, x.T)
        counts = np.bincount(where, minlength=m).astype(np.float64)
        out[stratum] = ((weights @ per_cluster).T, weights @ counts)
    return out


def percentile_interval(draws: np.ndarray, level: float = DEFAULT_LEVEL) -> Interval:
    """The percentile-bootstrap interval of the draws (NaN draws ignored)."""
    alpha = (1 - level) / 2
    d = np.asarray(draws, dtype=np.float64)
    pick = np.nanpercentile if np.isnan(d).any() else np.percentile
    lo, hi = pick(d, [100 * alpha, 100 * (1 - alpha)])
    return Interval(float(lo), float(hi))


def paired_p_value(diff_draws: np.ndarray) -> float:
    """Two-sided p-value of "no difference" from bootstrap draws of ``run − reference``.

    ``p = min(1, 2 * min(P(d <= 0), P(d >= 0)))`` with the add-one correction
    ``(count + 1) / (B + 1)``, so identical runs give exactly 1 and a p-value is never 0.
    """
    d = np.asarray(diff_draws, dtype=np.float64)
    d = d[~np.isnan(d)]
    b = len(d)
    if b == 0:
        return 1.0
    below = (np.count_nonzero(d <= 0) + 1) / (b + 1)
    above = (np.count_nonzero(d >= 0) + 1) / (b + 1)
    return float(min(1.0, 2 * min(below, above)))


def significance_stars(p: float) -> str:
    """The paper's markers: ``*`` p<.05, ``**`` p<.01, ``***`` p<.001.

    >>> significance_stars(0.0004), significance_stars(0.2)
    ('***', '')
    """
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""
