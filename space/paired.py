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
from typing import Any, NamedTuple

import numpy as np

from robustbench_tc.scoring.aggregate import aggregate
from robustbench_tc.stats import bootstrap_sums, paired_p_value
from robustbench_tc.taxonomy import CLEAN, is_runtime
from space.store import Comparator


def pert_acc_comparator(
    keys: Sequence[tuple[str, str]], new_scores: np.ndarray, *, n_boot: int, seed: int = 0
) -> Comparator:
    """A comparator for ``Store.add_submission``; ``keys`` are ``(config, sample id)`` in store order.

    The draws are those of ``score_predictions(..., reference=other)`` (same seed, same strata,
    same record order), so the p-value equals the scorer's paired ``pert_acc`` test.
    """
    configs = np.array([c for c, _ in keys])
    perturbed = sorted(
        {c for c in configs.tolist() if c != CLEAN and not is_runtime(c)}
    )  # Pert. Acc.'s configs
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


class HeadToHead(NamedTuple):
    """One metric of run A against run B on the same records (``diff`` = A − B)."""

    metric: str
    a: float
    b: float
    diff: float
    p_value: float


def head_to_head(
    keys: Sequence[tuple[str, str]], a: np.ndarray, b: np.ndarray, *, n_boot: int, seed: int = 0
) -> list[HeadToHead]:
    """Clean, Pert. Acc., each component's Δ and every type's accuracy of A vs B, each with the
    paired bootstrap p-value (records resampled within each config with shared indices, as the
    scorer's ``reference`` test does). ``keys`` are ``(config, sample id)`` in store order.

    >>> keys = [("CD", "a"), ("CD", "b"), ("clean", "a"), ("clean", "b")]
    >>> rows = head_to_head(keys, np.array([1.0, 1.0, 1.0, 1.0]), np.array([1.0, 1.0, 1.0, 1.0]), n_boot=50)
    >>> [(r.metric, r.diff, r.p_value) for r in rows][:2]
    [('clean', 0.0, 1.0), ('pert_acc', 0.0, 1.0)]
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or len(keys) != len(a):
        raise ValueError("head-to-head needs two runs scored on the same records")
    configs = np.array([c for c, _ in keys])
    names = sorted(set(configs.tolist()))
    masks = {c: configs == c for c in names}
    draws = bootstrap_sums({c: np.vstack([a[m], b[m]]) for c, m in masks.items()}, n_boot=n_boot, seed=seed)
    counts = {c: draws[c][1] for c in names}
    boot_a = aggregate({c: draws[c][0][0] for c in names}, counts)
    boot_b = aggregate({c: draws[c][0][1] for c in names}, counts)
    n = {c: float(m.sum()) for c, m in masks.items()}
    point_a = aggregate({c: float(a[m].sum()) for c, m in masks.items()}, n)
    point_b = aggregate({c: float(b[m].sum()) for c, m in masks.items()}, n)
    rows: list[tuple[str, Any, Any, Any, Any]] = [
        ("clean", point_a.clean, point_b.clean, boot_a.clean, boot_b.clean),
        ("pert_acc", point_a.pert_acc, point_b.pert_acc, boot_a.pert_acc, boot_b.pert_acc),
    ]
    rows += [
        (f"delta.{k}", v, point_b.delta[k], boot_a.delta[k], boot_b.delta[k])
        for k, v in point_a.delta.items()
    ]
    rows += [
        (f"acc.{c}", point_a.config_acc[c], point_b.config_acc[c], boot_a.config_acc[c], boot_b.config_acc[c])
        for c in names
        if c != CLEAN
    ]
    return [
        HeadToHead(
            name, float(pa), float(pb), float(pa) - float(pb), paired_p_value(np.asarray(ba) - np.asarray(bb))
        )
        for name, pa, pb, ba, bb in rows
        if pa is not None and pb is not None
    ]
