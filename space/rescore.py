"""``robustbench-tc board rescore``: score every stored submission again with the current scorer.

Each submission keeps its raw predictions file, the scorer version that scored it and the data
fingerprint. Rescoring re-reads each stored file, scores it with ``score_predictions`` exactly as
a new upload would be scored, recomputes every paired test, and writes all of it in ONE store
transaction (``Store.rescore``), keeping the replaced scores (and per-sample verdicts) in the
score history. A submission that cannot be rescored is left as it is and reported: one stored
before schema version 2 has no raw file; one made on another dataset build cannot be scored on
the served one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.predictions import PredictionsError, parse_predictions
from robustbench_tc.scoring import (
    SCORER_VERSION,
    TrajectoryReplayError,
    TransitionProtocolError,
    score_predictions,
)
from space.gold import GoldSet
from space.paired import pert_acc_comparator
from space.store import PairedResult, Run, SampleResult, Store
from space.submit import SubmissionMeta, _run_from_report, results_of


class RescoreError(RobustBenchError):
    """The store cannot be rescored (nothing was written)."""


@dataclass
class RescoreSummary:
    """What a rescore did: rescored run ids, per-run changed verdicts, and runs left alone (why)."""

    scorer_version: int
    rescored: list[int] = field(default_factory=list)
    changed_records: dict[int, int] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out = [
            f"rescored {len(self.rescored)} submission(s) with scorer version {self.scorer_version} "
            f"in {self.seconds:.1f} s (previous scores kept as history)"
        ]
        for run_id in self.rescored:
            out.append(f"  #{run_id}: {self.changed_records.get(run_id, 0)} per-sample verdict(s) changed")
        for run_id, why in sorted(self.skipped.items()):
            out.append(f"  #{run_id}: left as it is ({why})")
        return out


def _meta_of(run: Run) -> SubmissionMeta:
    md = run.metadata
    return SubmissionMeta(
        model=run.model,
        hf_id=run.hf_id,
        params_b=run.params_b,
        link=run.link,
        revision=md.get("revision"),
        license=md.get("license"),
        trained_on_derived=md.get("trained_on_derived") or "not declared",
    )


def rescore_run(run: Run, raw: bytes, gold: GoldSet, *, n_boot: int) -> tuple[Run, list[SampleResult]]:
    """One stored submission scored again (same path as an upload); identity fields are kept."""
    try:
        predictions = parse_predictions(raw, known_keys=gold.keys)
    except PredictionsError as exc:
        raise RescoreError(f"submission #{run.run_id}: its stored file no longer reads: {exc}") from None
    try:
        report = score_predictions(gold.samples, predictions, n_boot=n_boot, seed=0)
    except (TransitionProtocolError, TrajectoryReplayError) as exc:
        raise RescoreError(f"submission #{run.run_id}: {exc}") from None
    fresh = _run_from_report(
        report, _meta_of(run), run.file_sha256 or "", gold.fingerprint, run.submitter or ""
    )
    fresh = fresh.model_copy(
        update={"run_id": run.run_id, "metadata": run.metadata, "scorer_version": SCORER_VERSION}
    )
    return fresh, results_of(report)  # type: ignore[return-value]


def paired_tests(
    scores: dict[int, np.ndarray],
    keys: dict[int, list[tuple[str, str]]],
    fingerprints: dict[int, Any],
    pert_acc: dict[int, float],
    *,
    n_boot: int,
    limit: int | None = None,
) -> list[PairedResult]:
    """Pert. Acc. paired tests as at submission: each submission against the earlier ones on the
    same data, all of them or the ``limit`` closest in Pert. Acc."""
    out = []
    for b in sorted(scores):
        earlier = [a for a in sorted(scores) if a < b and fingerprints[a] == fingerprints[b]
                   and len(scores[a]) == len(scores[b])]  # fmt: skip
        earlier.sort(key=lambda a: (abs(pert_acc[a] - pert_acc[b]), a))
        chosen = earlier if limit is None else earlier[:limit]
        if not chosen:
            continue
        tested = pert_acc_comparator(keys[b], scores[b], n_boot=n_boot)({a: scores[a] for a in chosen})
        out += [PairedResult(run_a=a, run_b=b, metric="pert_acc", diff=-d, p_value=p)
                for a, (d, p) in sorted(tested.items())]  # fmt: skip
    return out


def rescore_store(
    store: Store,
    gold: GoldSet,
    *,
    n_boot: int,
    paired_limit: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> RescoreSummary:
    """Rescore every submission of ``store`` on ``gold``; all writes in one transaction."""
    start = time.monotonic()
    summary = RescoreSummary(scorer_version=SCORER_VERSION)
    runs = {r.run_id: r for r in store.runs() if r.origin == "submission" and r.run_id is not None}
    expected = {i: r.file_sha256 for i, r in runs.items()}
    rescored: dict[int, tuple[Run, list[SampleResult]]] = {}
    results: dict[int, list[SampleResult]] = {}
    for run_id, run in sorted(runs.items()):
        stored = store.sample_results(run_id)
        results[run_id] = stored
        raw = store.raw_predictions(run_id)
        if raw is None:
            summary.skipped[run_id] = "no raw predictions stored (submitted before schema version 2)"
            continue
        if run.dataset_fingerprint != gold.fingerprint:
            summary.skipped[run_id] = (
                f"scored on dataset build {str(run.dataset_fingerprint)[:12]}, this dataset is "
                f"{gold.fingerprint[:12]}"
            )
            continue
        if progress:
            progress(f"rescoring #{run_id} {run.model}")
        fresh, new_results = rescore_run(run, raw, gold, n_boot=n_boot)
        rescored[run_id] = (fresh, new_results)
        results[run_id] = new_results
        before = {(c, sid): (s, m) for c, _, sid, s, m in stored}
        summary.changed_records[run_id] = sum(
            before.get((c, sid), (None, None))[0] != s for c, _, sid, s, _ in new_results
        )
    scores = {i: np.array([r[3] for r in rows], dtype=np.float64) for i, rows in results.items()}
    keys = {i: [(r[0], r[2]) for r in rows] for i, rows in results.items()}
    pert = {i: (rescored[i][0] if i in rescored else r).pert_acc for i, r in runs.items()}
    fingerprints = {i: r.dataset_fingerprint for i, r in runs.items()}
    tests = paired_tests(scores, keys, fingerprints, pert, n_boot=n_boot, limit=paired_limit)
    try:
        summary.rescored = store.rescore(rescored, tests, expected=expected)
    except Exception as exc:  # noqa: BLE001 - reported as one line; the store rolled back
        raise RescoreError(f"rescoring {store.path} failed, nothing was written: {exc}") from None
    summary.seconds = time.monotonic() - start
    return summary


def stale_submissions(store: Store, gold: GoldSet) -> list[int]:
    """Submissions on ``gold``'s build with a stored file that another scorer version scored."""
    return [
        r.run_id
        for r in store.runs()
        if r.origin == "submission" and r.run_id is not None and r.scorer_version != SCORER_VERSION
        and r.dataset_fingerprint == gold.fingerprint and store.raw_predictions(r.run_id) is not None
    ]  # fmt: skip


def rescore_when_stale(
    store: Store, gold: GoldSet, *, n_boot: int, paired_limit: int | None, attempts: int = 3
) -> RescoreSummary | None:
    """``rescore_store`` if some submission is stale (a Space restarted with a new scorer); a
    submission arriving meanwhile aborts the transaction, so it is retried. None if nothing to do."""
    for attempt in range(attempts):
        if not stale_submissions(store, gold):
            return None
        try:
            return rescore_store(store, gold, n_boot=n_boot, paired_limit=paired_limit)
        except RescoreError:
            if attempt == attempts - 1:
                raise
    return None
