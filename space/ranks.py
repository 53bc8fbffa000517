"""Rank ranges (LMArena-style): the ranks a row can hold given which differences are significant.

Within one ranked group (rows scored on the same data), row ``i`` is *significantly better* than
row ``j`` when

- a paired bootstrap test of Pert. Acc. between them is stored: its p-value is below ``alpha``
  and ``i``'s Pert. Acc. is higher;
- no paired test is stored (paper rows: no per-sample data; submissions further apart in Pert.
  Acc. than the ``paired_limit`` closest): their 95% intervals do not overlap
  (``|a − b| > half_a + half_b``, a conservative test) and ``i`` is higher.

Then ``best = 1 + #(rows significantly better)`` and ``worst = n − #(rows significantly worse)``:
the row's rank is ``best`` if every undecided comparison went its way and ``worst`` if none did.

>>> ranges = rank_ranges([0.60, 0.59, 0.30], [0.01, 0.01, 0.01], {})
>>> ranges.tolist()
[[1, 2], [1, 2], [3, 3]]
>>> rank_ranges([0.60, 0.59], [0.01, 0.01], {(0, 1): (0.01, 0.001)}).tolist()  # the paired test decides
[[1, 1], [2, 2]]
>>> show_range(1, 1), show_range(2, 5)
('1', '2–5')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def rank_ranges(
    values: Sequence[float],
    half_widths: Sequence[float],
    tests: Mapping[tuple[int, int], tuple[float, float]],
    alpha: float = 0.05,
) -> np.ndarray:
    """``(n, 2)`` array of ``(best, worst)`` ranks (1 = top) of rows with these values.

    ``tests`` maps row-index pairs ``(i, j)`` to ``(value_i − value_j, p)`` of a paired test;
    pairs without one fall back to non-overlapping intervals. Numpy throughout: 1,000 rows are a
    million comparisons."""
    v = np.asarray(values, dtype=np.float64)
    h = np.asarray(half_widths, dtype=np.float64)
    n = len(v)
    if n == 0:
        return np.zeros((0, 2), dtype=np.int64)
    gap = v[:, None] - v[None, :]
    better = gap > (h[:, None] + h[None, :])  # better[i, j]: i significantly above j
    for (i, j), (diff, p) in tests.items():
        if i == j:
            continue
        decided = p < alpha
        better[i, j] = decided and diff > 0
        better[j, i] = decided and diff < 0
    best = 1 + better.sum(axis=0)  # rows significantly above each row
    worst = n - better.sum(axis=1)  # minus the rows each row is significantly above
    return np.stack([best, worst], axis=1).astype(np.int64)


def show_range(best: int, worst: int) -> str:
    """``"3"`` or ``"2–5"`` (an en dash, as LMArena writes rank intervals)."""
    return str(best) if best == worst else f"{best}–{worst}"
