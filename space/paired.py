"""Paired bootstrap tests of Pert. Acc. between a new submission and earlier ones.

Uses the core's stratified bootstrap (``robustbench_tc.stats``): records are resampled within
each perturbed config with indices shared by all runs, so the test is paired; the p-value is
``robustbench_tc.stats.paired_p_value`` of the draws of ``new − other``.

>>> keys = [("CD", "a"), ("CD", "b"), ("clean", "a"), ("clean", "b")]  # store order
>>> compare = pert_acc_comparator(keys, np.array([1.0, 1.0, 1.0, 0.0]), n_boot=200)
>>> result = compare({7: np.array([0.0, 0.0, 1.0, 1.0]), 8: np.array([1.0, 1.0, 0.0, 0.0])})
>>> result[7][0], result[8]
(1.0, (0.0, 1.0))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from robustbench_tc.stats import bootstrap_sums, paired_p_value
from robustbench_tc.taxonomy import CLEAN
from space.store import Comparator


def pert_acc_comparator(
    keys: Sequence[tuple[str, str]], new_scores: np.ndarray, *, n_boot: int, seed: int = 0
) -> Comparator:
    """A comparator for ``Store.add_submission``; ``keys`` are ``(config, sample id)`` in store order.

    The draws are those of ``score_predictions(..., reference=other)`` (same seed, same strata,
    same record order), so the p-value equals the scorer's paired ``pert_acc`` test.
    """
    configs = np.array([c for c, _ in keys])
    perturbed = sorted({c for c in configs.tolist() if c != CLEAN})
    masks = {c: configs == c for c in perturbed}
    new_scores = np.asarray(new_scores, dtype=np.float64)

    def compare(others: dict[int, np.ndarray]) -> dict[int, tuple[float, float]]:
        ids = [i for i, v in others.items() if len(v) == len(new_scores)]
        if not ids or not perturbed:
            return {}
        stacked = np.stack([new_scores, *(np.asarray(others[i], dtype=np.float64) for i in ids)])
        draws = bootstrap_sums({c: stacked[:, m] for c, m in masks.items()}, n_boot=n_boot, seed=seed)
        total = sum(draws[c][0] for c in perturbed)  # (k, n_boot)
        count = sum(draws[c][1] for c in perturbed)  # (n_boot,)
        acc = total / count
        pert = np.concatenate([masks[c].nonzero()[0] for c in perturbed])
        point = stacked[:, pert].mean(axis=1)
        return {
            other: (float(point[0] - point[j]), paired_p_value(acc[0] - acc[j]))
            for j, other in enumerate(ids, start=1)
        }

    return compare
