"""Clean, Pert. Acc. and the Δ columns, exactly as the paper computes them (sample-weighted).

- Clean = accuracy on the ``clean`` config;
- Pert. Acc. = sum of scores over every perturbed record / number of perturbed records (clean
  excluded), i.e. the per-type accuracies weighted by their sample counts; the runtime configs
  (beyond the paper) are never part of it, nor of any Δ (``scoring.runtime`` reports them);
- component accuracy = the same over one component's records; Δ_X = Clean − that accuracy
  (positive = worse), as in Table 2;
- per-type accuracy = sum / n of that config.

Inputs are per-config sums of scores and record counts, as floats or numpy arrays (bootstrap
draws), so the point estimates and every bootstrap draw go through this one function.

>>> sums = {"clean": 3, "realistic_typos": 1, "same_name_A": 2}
>>> a = aggregate(sums, {"clean": 4, "realistic_typos": 2, "same_name_A": 2})
>>> a.clean, a.pert_acc, a.delta["observation"], a.delta["action"]
(0.75, 0.75, 0.25, -0.25)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from robustbench_tc.taxonomy import CLEAN, COMPONENTS, component_of, is_runtime

Number = Any  # float or numpy array

DROP_DEFINITION = "drop = Clean − Acc (positive = worse)"
"""The project's one sign convention for an accuracy drop (every Δ and per-type drop: board, submit
result, detail view, plots, downloads, the ``score`` report and the docs quote it)."""


def drop(clean: Number, acc: Number) -> Number:
    """The accuracy lost under a perturbation: ``clean − acc`` (positive = worse).

    >>> round(drop(0.75, 0.5), 3), round(drop(0.5, 0.75), 3)
    (0.25, -0.25)
    """
    return clean - acc


@dataclass
class Aggregates:
    clean: Number | None
    pert_acc: Number | None
    component_acc: dict[str, Number] = field(default_factory=dict)
    delta: dict[str, Number] = field(default_factory=dict)
    config_acc: dict[str, Number] = field(default_factory=dict)


def _ratio(num: Number, den: Number) -> Number:
    if hasattr(num, "shape") or hasattr(den, "shape"):  # numpy arrays (bootstrap draws)
        import numpy as np

        den = np.asarray(den, dtype=np.float64)
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return num / den if den else None


def aggregate(sums: Mapping[str, Number], counts: Mapping[str, Number]) -> Aggregates:
    """Aggregates over whatever configs are given (missing configs are simply absent)."""
    config_acc = {c: _ratio(sums[c], counts[c]) for c in sums}
    clean = config_acc.get(CLEAN)
    perturbed = [c for c in sums if c != CLEAN and not is_runtime(c)]  # the runtime rows are beyond the paper
    pert_acc = (
        _ratio(sum(sums[c] for c in perturbed), sum(counts[c] for c in perturbed)) if perturbed else None
    )
    component_acc: dict[str, Number] = {}
    delta: dict[str, Number] = {}
    for component in COMPONENTS:
        members = [c for c in perturbed if component_of(c) == component]
        if not members:
            continue
        acc = _ratio(sum(sums[c] for c in members), sum(counts[c] for c in members))
        component_acc[component.value] = acc
        if clean is not None and acc is not None:
            delta[component.value] = drop(clean, acc)
    return Aggregates(
        clean=clean, pert_acc=pert_acc, component_acc=component_acc, delta=delta, config_acc=config_acc
    )
