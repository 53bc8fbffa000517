"""The submission pipeline, independent of Gradio: validate, score with the core scorer, store.

Order of checks (cheapest first; every refusal leaves the store's results untouched):
metadata (a name a paper model could be mistaken for is refused) -> refusal limit -> rate limit
-> size cap (before reading) -> in a forked child with a time budget (``space.budget``): parse
and validate (``parse_predictions`` with the dataset's keys, streaming, stops at the first
problems) -> completeness -> score -> back in the server: duplicate content (``content_digest``)
-> one transaction (duplicate and rate limit re-checked inside it). Every refusal after the limits counts against the
submitter's refusal limit.

>>> clean_meta("  my-model ", "org/my-model", "7", "https://hf.co/org/my-model").params_b
7.0
>>> clean_meta("x\\u0000", None, None, None)
Traceback (most recent call last):
...
space.submit.SubmissionError: model name contains control characters
>>> clean_meta("m", None, None, "javascript:alert(1)")
Traceback (most recent call last):
...
space.submit.SubmissionError: link must be an http(s) URL, e.g. https://huggingface.co/org/model
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from pydantic import BaseModel

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.predictions import PredictionsError, parse_predictions
from robustbench_tc.scoring import (
    SCORER_VERSION,
    ScoreReport,
    TrajectoryReplayError,
    TransitionProtocolError,
    score_predictions,
)
from robustbench_tc.taxonomy import CLEAN, COMPONENT_INFO, is_runtime
from space.board import SUBMISSION_GROUP, VERIFIED_GROUP
from space.budget import BudgetExceeded, ChildFailed, run_with_budget
from space.config import BoardConfig, show_mb
from space.gold import GoldSet
from space.names import ReservedNames
from space.paired import pert_acc_comparator
from space.queue import EvalRequest
from space.store import DuplicateSubmission, RateLimited, Run, Store, store_order

MAX_NAME = 80
MIN_PARAMS_B = 0.001
"""Smallest size accepted (1M parameters); 1e-300 would squash Fig. 2's log axis."""
MAX_PARAMS_B = 10_000.0
"""Largest size accepted (10T parameters)."""
_HF_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}(/[A-Za-z0-9][A-Za-z0-9_.\-]{0,95})?$")
_COMPONENT_KEYS = {c.value: info.metric for c, info in COMPONENT_INFO.items()}


class SubmissionError(RobustBenchError, ValueError):
    """A refused submission; the message is shown to the submitter as is."""


class MetadataError(SubmissionError):
    """A metadata field of a submission is invalid; the message names the field."""


TRAINED_ON_DERIVED = ("no", "yes", "not declared")
"""Answers to "was the model trained on RobustBench-TC-derived data?" (ToolRL-DR: yes)."""
MAX_LICENSE = 64
MAX_REVISION = 100
MAX_HEADER_TEXT = 300
"""Header values are shown as read, cut to this many characters."""
_LICENSE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+\-_ ()]*$")
_REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$")


@dataclass(frozen=True)
class SubmissionMeta:
    """What the submitter tells us about the model (all shown as plain text)."""

    model: str
    hf_id: str | None = None
    params_b: float | None = None
    link: str | None = None
    revision: str | None = None
    license: str | None = None
    trained_on_derived: str = "not declared"


class SubmissionOutcome(BaseModel):
    """What the submitter sees after a successful submission."""

    run: Run
    report: ScoreReport
    seconds: float


def _control_chars(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in text)


def clean_meta(
    model: Any,
    hf_id: Any,
    params_b: Any,
    link: Any,
    revision: Any = None,
    license: Any = None,
    trained_on_derived: Any = None,
) -> SubmissionMeta:
    """Validate the form fields; raise ``SubmissionError`` (``MetadataError``) naming the bad field.

    >>> clean_meta("m", None, None, None, "v1.0", "apache-2.0", "yes").trained_on_derived
    'yes'
    >>> clean_meta("m", None, None, None, license="<b>")
    Traceback (most recent call last):
    ...
    space.submit.MetadataError: license must be a short licence name or SPDX id (letters, digits, '.', '-', '+'), e.g. apache-2.0
    """
    extra = _clean_extra(revision, license, trained_on_derived)
    name = str(model or "").strip()
    if not name:
        raise SubmissionError("model name is required")
    if len(name) > MAX_NAME:
        raise SubmissionError(f"model name is {len(name)} characters; the limit is {MAX_NAME}")
    if _control_chars(name):
        raise SubmissionError("model name contains control characters")
    hf = str(hf_id or "").strip() or None
    if hf is not None and not _HF_ID.match(hf):
        raise SubmissionError("HF id must look like 'org/model' (letters, digits, '-', '_', '.')")
    size: float | None = None
    if params_b not in (None, ""):
        try:
            size = float(params_b)
        except (TypeError, ValueError):
            raise SubmissionError(
                f"size must be a number of billions of parameters, got {str(params_b)[:20]!r}"
            ) from None
        if not math.isfinite(size) or not MIN_PARAMS_B <= size <= MAX_PARAMS_B:
            raise SubmissionError(
                f"size must be a positive number of billions of parameters between {MIN_PARAMS_B:g} "
                f"and {MAX_PARAMS_B:g}, got {str(params_b)[:20]!r}"
            )
    url = str(link or "").strip() or None
    if url is not None:
        parts = urlsplit(url)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or len(url) > 300
            or _control_chars(url)
            or " " in url
        ):
            raise SubmissionError("link must be an http(s) URL, e.g. https://huggingface.co/org/model")
    return SubmissionMeta(model=name, hf_id=hf, params_b=size, link=url, **extra)


def _clean_extra(revision: Any, license: Any, trained: Any) -> dict[str, Any]:
    rev = str(revision or "").strip() or None
    if rev is not None and (len(rev) > MAX_REVISION or not _REVISION.match(rev)):
        raise MetadataError(
            f"model revision must be a commit hash, tag or branch (at most {MAX_REVISION} characters of "
            "letters, digits, '.', '-', '_', '/'), e.g. main or 3f2a1b0"
        )
    lic = str(license or "").strip() or None
    if lic is not None and (len(lic) > MAX_LICENSE or not _LICENSE.match(lic) or _control_chars(lic)):
        raise MetadataError(
            "license must be a short licence name or SPDX id (letters, digits, '.', '-', '+'), e.g. apache-2.0"
        )
    answer = str(trained or "").strip().lower() or "not declared"
    if answer not in TRAINED_ON_DERIVED:
        raise MetadataError(
            f"'trained on RobustBench-TC-derived data' must be one of {', '.join(TRAINED_ON_DERIVED)}; "
            f"got {answer[:20]!r}"
        )
    return {"revision": rev, "license": lic, "trained_on_derived": answer}


def _shown_as_read(value: Any) -> str | None:
    """A header value as one line of plain text (JSON for structures), cut to ``MAX_HEADER_TEXT``.

    >>> _shown_as_read({"temperature": 0.0}), _shown_as_read(None), len(_shown_as_read("x" * 999))
    ('{"temperature": 0.0}', None, 300)
    """
    if value is None or value == {} or value == "":
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" and ch != " " else ch for ch in text)
    return text if len(text) <= MAX_HEADER_TEXT else text[: MAX_HEADER_TEXT - 1] + "…"


def submission_metadata(meta: SubmissionMeta, header: Any) -> dict[str, Any]:
    """What a row shows about how it was made: the declared fields, then the predictions header's
    fields as read (never interpreted; ``None`` = not stated)."""
    h = header.model_dump(mode="json") if header is not None else {}
    mode = str(h.get("mode") or "").strip().lower()
    return {
        "revision": meta.revision,
        "license": meta.license,
        "params_b": meta.params_b,
        "trained_on_derived": meta.trained_on_derived,
        "mode": {"prompt": "prompt", "fc": "fc", "function calling": "fc"}.get(mode, "not stated" if not mode else "other"),
        "header": {
            k: _shown_as_read(h.get(k))
            for k in ("model", "model_revision", "engine", "engine_version", "mode", "sampling", "project_version",
                      "created_at")
        },
    }  # fmt: skip


def read_upload(upload: str | os.PathLike[str] | bytes | None, max_bytes: int) -> bytes:
    """The uploaded file's bytes; the size is checked before anything is read."""
    if upload is None:
        raise SubmissionError("choose a predictions file (.jsonl or .json) to upload")
    if isinstance(upload, bytes):
        data = upload
    else:
        path = Path(upload)
        if not path.is_file():
            raise SubmissionError("the uploaded file could not be found on the server; upload it again")
        size = path.stat().st_size
        if size > max_bytes:
            raise SubmissionError(
                f"file is {size:,} bytes; the limit is {max_bytes:,} bytes ({show_mb(max_bytes)})"
            )
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SubmissionError(f"file is over the limit of {max_bytes:,} bytes ({show_mb(max_bytes)})")
    if not data.strip():
        raise SubmissionError("the file is empty")
    return data


class Submitter:
    """Scores uploads against the gold set and stores them; shared by all request threads."""

    def __init__(
        self,
        config: BoardConfig,
        gold: GoldSet,
        store: Store,
        on_stored: Callable[[Run], None] | None = None,
    ) -> None:
        self.config = config
        self.gold = gold
        self.store = store
        self.on_stored = on_stored
        self.reserved = ReservedNames(_reserved_variants(store.paper_names()))

    def submit(
        self,
        upload: str | os.PathLike[str] | bytes | None,
        meta: SubmissionMeta,
        *,
        client_key: str,
        submitter: str,
    ) -> SubmissionOutcome:
        start = time.monotonic()
        cfg = self.config
        clash = self.reserved.clash(meta.model)
        if clash is not None:
            raise SubmissionError(
                f"model name {meta.model!r} {'is' if clash == meta.model else 'could be mistaken for'} the "
                f"paper's {clash!r}; paper names are reserved. Name your run distinctly, e.g. "
                f"'{clash} (your org)'"
            )
        now = time.time()
        refusals = cfg.refusal_limit_per_hour
        if refusals > 0 and self.store.refusals_since(client_key, now - 3600) >= refusals:
            raise SubmissionError(
                f"refusal limit reached: {refusals} refused uploads per hour per user; check your file with "
                "`robustbench-tc score` locally and try again later"
            )
        limit = cfg.rate_limit_per_hour
        if limit > 0 and self.store.submissions_since(client_key, now - 3600) >= limit:
            raise SubmissionError(f"submission limit reached: {limit} per hour per user; try again later")
        try:
            data = read_upload(upload, cfg.max_upload_bytes)
            try:
                sha, report = run_with_budget(self._parse_and_score, data, seconds=cfg.time_budget_s)
            except BudgetExceeded:
                raise SubmissionError(
                    f"stopped: reading and scoring this file took longer than the {cfg.time_budget_s:g} s allowed "
                    "per submission; nothing was stored. Very long or deeply nested outputs make parsing slow"
                ) from None
            except ChildFailed:
                raise SubmissionError(
                    "the scoring process for this file died (out of memory?); nothing was stored"
                ) from None
            if self.store.has_file(sha):  # checked here: the child never opens the database
                raise SubmissionError(
                    "these predictions were already submitted (same records and outputs, whatever the "
                    "formatting); identical resubmissions are refused"
                )
        except SubmissionError as exc:
            self.store.add_refusal(client_key, str(exc))
            raise
        run = _run_from_report(report, meta, sha, self.gold.fingerprint, submitter)
        results = results_of(report)
        compare = pert_acc_comparator(
            [(r[0], r[2]) for r in results], np.array([r[3] for r in results]), n_boot=cfg.n_boot
        )
        try:
            run_id = self.store.add_submission(
                run, results, client_key=client_key, rate_limit_per_hour=limit, compare=compare,
                paired_limit=cfg.paired_limit if cfg.paired_limit > 0 else None, raw_predictions=data,
            )  # fmt: skip
        except (DuplicateSubmission, RateLimited) as exc:
            self.store.add_refusal(client_key, str(exc))
            raise SubmissionError(str(exc)) from None
        stored = run.model_copy(update={"run_id": run_id})
        if self.on_stored is not None:
            self.on_stored(stored)
        return SubmissionOutcome(run=stored, report=report.model_copy(update={"rows": []}),
                                 seconds=time.monotonic() - start)  # fmt: skip

    def add_verified(self, data: bytes, request: EvalRequest, *, worker: str) -> SubmissionOutcome:
        """Store the predictions the maintainers' worker made for ``request`` as a VERIFIED row:
        scored like an upload (same parser, scorer, completeness and dataset checks, same paired
        tests), named by the request's model id, with the requested and the evaluated revision,
        the engine and the sampling. No rate limit, no reserved-name check (a maintainer may
        re-evaluate a paper model), and no duplicate refusal: a verified run that reproduces an
        uploaded file verifies it."""
        start = time.monotonic()
        try:
            sha, report = self._parse_and_score(data)
        except SubmissionError as exc:
            raise SubmissionError(f"the worker's predictions were refused: {exc}") from None
        header = report.header
        h = header.model_dump(mode="json") if header is not None else {}
        meta = SubmissionMeta(
            model=request.model_id, hf_id=request.model_id, link=f"https://huggingface.co/{request.model_id}",
            revision=request.revision,
        )  # fmt: skip
        run = _run_from_report(report, meta, f"verified:{request.request_id}:{sha}", self.gold.fingerprint,
                               "maintainers (board worker)", group=VERIFIED_GROUP)  # fmt: skip
        run.metadata["verified"] = {
            "request_id": request.request_id,
            "model_id": request.model_id,
            "requested_revision": request.revision,
            "revision": _shown_as_read(h.get("model_revision")),
            "mode": request.mode,
            "engine": _shown_as_read(h.get("engine")),
            "engine_version": _shown_as_read(h.get("engine_version")),
            "sampling": h.get("sampling") or {},
            "worker": worker,
            "evaluated_at": time.time(),
        }
        results = results_of(report)
        compare = pert_acc_comparator(
            [(r[0], r[2]) for r in results], np.array([r[3] for r in results]), n_boot=self.config.n_boot
        )
        paired = self.config.paired_limit if self.config.paired_limit > 0 else None
        run_id = self.store.add_submission(
            run, results, client_key=f"worker:{worker}", rate_limit_per_hour=0, compare=compare,
            paired_limit=paired, raw_predictions=data,
        )  # fmt: skip
        stored = run.model_copy(update={"run_id": run_id})
        if self.on_stored is not None:
            self.on_stored(stored)
        return SubmissionOutcome(run=stored, report=report.model_copy(update={"rows": []}),
                                 seconds=time.monotonic() - start)  # fmt: skip

    def _parse_and_score(self, data: bytes) -> tuple[str, ScoreReport]:
        """(content digest, score report) of an upload; runs in the budgeted child process, which
        touches nothing shared with the server's threads (no database, no logging)."""
        cfg = self.config
        try:
            predictions = parse_predictions(data, max_bytes=cfg.max_upload_bytes, known_keys=self.gold.keys)
        except PredictionsError as exc:
            raise SubmissionError(str(exc)) from None
        del data
        digest = predictions.content_digest()
        theirs = predictions.header.dataset_fingerprint if predictions.header is not None else None
        if theirs and theirs != self.gold.fingerprint:
            raise SubmissionError(
                f"this file was made on a different dataset build (its header's dataset_fingerprint is "
                f"{theirs[:16]}..., this board serves {self.gold.fingerprint[:16]}...); run inference on the "
                "served dataset and submit that file"
            )
        n_missing, per_config, examples = self.gold.missing_from(set(predictions.by_key()))
        if n_missing:
            worst = ", ".join(f"{c}: {n}" for c, n in per_config.most_common(5))
            shown = ", ".join(f"{i}/{p}" for i, p in examples)
            raise SubmissionError(
                f"incomplete predictions: {n_missing} of {self.gold.n_records} dataset records are missing "
                f"(by config: {worst}{', ...' if len(per_config) > 5 else ''}; e.g. {shown}). "
                "Submit one record per (id, perturbation) of every config."
            )
        try:
            return digest, score_predictions(self.gold.samples, predictions, n_boot=cfg.n_boot, seed=0)
        except (TransitionProtocolError, TrajectoryReplayError) as exc:
            raise SubmissionError(str(exc)) from None


def _reserved_variants(names: list[str]) -> list[str]:
    """Paper names, also without a trailing "(...)" ("o4-mini (OpenAI)" -> "o4-mini"), and the
    model part of HF ids ("Qwen/Qwen3-8B" -> "Qwen3-8B").

    >>> _reserved_variants(["o4-mini (OpenAI)", "Qwen/Qwen3-8B"])
    ['o4-mini (OpenAI)', 'o4-mini', 'Qwen/Qwen3-8B', 'Qwen3-8B']
    """
    out: list[str] = []
    for name in names:
        out.append(name)
        bare = re.sub(r"\s*\([^()]*\)\s*$", "", name)
        if bare and bare != name:
            out.append(bare)
        if "/" in name:
            out.append(name.rsplit("/", 1)[1])
    return out


def results_of(report: ScoreReport) -> list[tuple[Any, ...]]:
    """The report's per-sample rows as the store keeps them (with each record's error mode)."""
    return store_order((r.perturbation, r.id, r.correct, r.error_mode) for r in report.rows)


def _ghost(score: Any) -> dict[str, Any]:
    """The ghost-tool counts (App. N (7)) of a report or config score, as the store keeps them."""
    return {k: getattr(score, k) for k in ("n_calls", "n_ghost_calls", "ghost_rate") if hasattr(score, k)}


RUNTIME_METRICS = ("drop", "utility", "attack_success", "recovery", "requeried", "flagged", "repeated")
"""What a runtime config stores beyond its accuracy (``scoring.runtime.AxisScore``): the drop from
the clean episode paired by base sample, and the axis's own rates, each with ``<name>_ci`` and ``<name>_n``."""


def runtime_fields(report: ScoreReport) -> dict[str, dict[str, Any]]:
    """config -> the runtime axis's stored figures (beyond the paper; empty without runtime records)."""
    out: dict[str, dict[str, Any]] = {}
    for axis in report.runtime.axes if report.runtime is not None else []:
        fields: dict[str, Any] = {"mean_steps": axis.mean_steps}
        for name in RUNTIME_METRICS:
            rate = getattr(axis, name)
            if rate is not None and rate.value is not None:
                fields.update({name: rate.value, f"{name}_ci": rate.half_width, f"{name}_n": rate.n})
        out[axis.config] = fields
    return out


def _half(estimate: Any) -> float:
    return float(estimate.half_width) if estimate is not None and estimate.half_width is not None else 0.0


def _run_from_report(
    report: ScoreReport,
    meta: SubmissionMeta,
    sha: str,
    fingerprint: str,
    submitter: str,
    group: str = SUBMISSION_GROUP,
) -> Run:
    if report.clean is None or report.pert_acc is None or set(report.delta) != set(_COMPONENT_KEYS):
        raise SubmissionError("the scorer could not compute every column (is the dataset complete?)")
    deltas: dict[str, float] = {}
    for component, key in _COMPONENT_KEYS.items():
        deltas[key] = float(report.delta[component].value or 0.0)
        deltas[f"{key}_ci"] = _half(report.delta[component])
    per_type = {
        c.config: {"acc": c.acc.value, "acc_ci": c.acc.half_width, "n": c.n, "error_modes": c.error_modes,
                   **_ghost(c)}
        for c in report.configs
        if c.config != CLEAN
    }  # fmt: skip
    for code, fields in runtime_fields(report).items():
        per_type[code].update(fields)
    header = report.header
    return Run(
        origin="submission",
        model=meta.model,
        group=group,
        family=None,
        params_b=meta.params_b,
        hf_id=meta.hf_id,
        link=meta.link,
        submitter=submitter,
        file_sha256=sha,
        dataset_fingerprint=fingerprint,
        clean=float(report.clean.value or 0.0),
        clean_ci=_half(report.clean),
        pert_acc=float(report.pert_acc.value or 0.0),
        pert_acc_ci=_half(report.pert_acc),
        **deltas,
        per_type=per_type,
        scorer_version=SCORER_VERSION,
        metadata=submission_metadata(meta, header),
        details={
            "error_modes": report.error_modes,
            "clean_error_modes": next((c.error_modes for c in report.configs if c.config == CLEAN), {}),
            "n_clean": next((c.n for c in report.configs if c.config == CLEAN), 0),
            "clean_ghost": next((_ghost(c) for c in report.configs if c.config == CLEAN), {}),
            **_ghost(report),
            # the paper's configs (the data version's row count); runtime records are counted apart
            "n_records": sum(c.n for c in report.configs if not is_runtime(c.config)),
            "n_runtime_records": sum(c.n for c in report.configs if is_runtime(c.config)),
            "n_boot": report.n_boot,
            "component_acc": {k: v.value for k, v in report.component_acc.items()},
            "header": header.model_dump(mode="json") if header is not None else None,
        },
    )
