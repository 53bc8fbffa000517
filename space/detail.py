"""Per-row views of the board, independent of Gradio: a row's metadata, every type's accuracy
with its CI, the Appendix L error modes, a head-to-head against another row of the same data
version, the submitter's per-sample verdicts, and the board as a CSV / Parquet file.

Every cell is a plain string (the app renders them with ``datatype="str"``), so text from a
submitter is never interpreted. The per-sample file holds, per record, the id, perturbation,
verdict, error mode and the calls the parser read from the SUBMITTER'S OWN output; it never holds
a gold answer.

>>> metric_label("delta.observation"), metric_label("acc.realistic_typos"), metric_label("pert_acc")
('Δ Obs (Clean − Acc)', 'Acc Typo', 'Pert. Acc.')
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.parsing import parse_tool_calls
from robustbench_tc.predictions import PredictionsError, parse_predictions
from robustbench_tc.scoring import ERROR_MODES, MISSING
from robustbench_tc.scoring import drop as drop_of
from robustbench_tc.stats import significance_stars
from robustbench_tc.taxonomy import (
    CLEAN,
    CODE_NAMES,
    RUNTIME_CONFIG_NAMES,
    component_of,
    get_type,
    is_runtime,
)
from space.board import (
    PAPER_DATA,
    board_frame,
    data_version,
    fmt_ci,
    fmt_size,
    matches_gold_everywhere,
    mode_of,
    ranked,
    scorer_of,
    spreadsheet_safe,
    status_of,
    trained_of,
)
from space.paired import head_to_head
from space.store import Run, Store

_SHORT = {"observation": "Obs", "action": "Act", "reward": "Rew", "transition": "Trn"}
NO_PER_SAMPLE = "n/a (paper row: no per-sample data)"


class DetailError(RobustBenchError):
    """A detail-view request that cannot be served (shown to the user as is)."""


def _f3(x: float) -> str:
    """Three decimals without a "-0.000".

    >>> _f3(-0.0003), _f3(0.25)
    ('0.000', '0.250')
    """
    text = f"{x:.3f}"
    return "0.000" if text == "-0.000" else text


def fmt_signed(x: float) -> str:
    """A drop with its sign and no "-0.000" (``+`` = worse).

    >>> fmt_signed(0.05), fmt_signed(-0.0001), fmt_signed(-0.2)
    ('+0.050', '+0.000', '-0.200')
    """
    text = f"{x:+.3f}"
    return "+0.000" if text == "-0.000" else text


def metric_label(metric: str) -> str:
    if metric == "clean":
        return "Clean"
    if metric == "pert_acc":
        return "Pert. Acc."
    kind, _, name = metric.partition(".")
    if kind == "delta":
        return f"Δ {_SHORT.get(name, name)} (Clean − Acc)"
    return f"Acc {get_type(name).display_name}" if name in CODE_NAMES else f"Acc {name}"


def run_title(run: Run) -> str:
    """How the views name a row: ``#22 name`` for submissions, ``name (paper)`` for paper rows."""
    return f"{run.model} (paper)" if run.origin == "paper" else f"#{run.run_id} {run.model}"


def run_choices(runs: Iterable[Run], served_fingerprint: str | None = None) -> list[tuple[str, str]]:
    """Dropdown choices ``(label, run id)`` in board order, each label naming the data version."""
    return [
        (f"{run_title(r)} · {data_version(r)}", str(r.run_id)) for _, r in ranked(runs, served_fingerprint)
    ]


def compare_choices(runs: Iterable[Run], run: Run | None) -> list[tuple[str, str]]:
    """Rows that ``run`` can be compared with: the others of the same data version."""
    if run is None:
        return []
    same = [r for r in runs if r.run_id != run.run_id and data_version(r) == data_version(run)]
    return [(run_title(r), str(r.run_id)) for _, r in ranked(same)]


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def summary_frame(run: Run, history: Iterable[Any] = ()) -> pd.DataFrame:
    """Field / value rows: identity, data version, scorer version, every metadata field as read."""
    md, header = run.metadata, run.metadata.get("header") or {}
    verified = md.get("verified") or {}
    rows: list[tuple[str, Any]] = [
        ("Row", run_title(run)),
        ("Status", _status_text(run)),
        ("Data version", data_version(run)),
        ("Data fingerprint", run.dataset_fingerprint or ("paper release" if run.origin == "paper" else None)),
        ("Scorer version", scorer_of(run)),
        ("Group", run.group),
        ("Size (B)", fmt_size(run.params_b)),
        ("HF model id", run.hf_id),
        ("Link", run.link),
        ("Submitter", run.submitter),
        ("Model revision (declared)", md.get("revision")),
        ("License (declared)", md.get("license")),
        ("Trained on RobustBench-TC-derived data (declared)", trained_of(run)),
        ("Prompt / FC mode", mode_of(run)),
    ]
    if verified:
        rows += [
            ("Verified: request", f"#{verified.get('request_id')}"),
            ("Verified: requested revision", verified.get("requested_revision")),
            ("Verified: evaluated revision", verified.get("revision")),
            (
                "Verified: engine",
                " ".join(str(x) for x in (verified.get("engine"), verified.get("engine_version")) if x),
            ),
            ("Verified: sampling", verified.get("sampling")),
            ("Verified: worker", verified.get("worker")),
        ]
    rows += [(f"Predictions header: {k}", header.get(k)) for k in
             ("model", "model_revision", "engine", "engine_version", "mode", "sampling", "project_version",
              "created_at")]  # fmt: skip
    if run.origin == "submission":
        rows.append(
            ("Submitted (UTC)", dt.datetime.fromtimestamp(run.created_at, dt.UTC).strftime("%Y-%m-%d %H:%M"))
        )
        rows.append(("Records scored", run.details.get("n_records")))
        rows.append(("Bootstrap draws (CIs)", run.details.get("n_boot")))
    else:
        rows.append(("Provenance", run.details.get("provenance")))
        rows.append(("Metadata source", md.get("source")))
    for h in history:
        rows.append((f"Earlier score (scorer v{h.scorer_version})",
                     f"Pert. Acc. {h.scores.get('pert_acc', float('nan')):.3f}, Clean "
                     f"{h.scores.get('clean', float('nan')):.3f}; replaced "
                     f"{dt.datetime.fromtimestamp(h.superseded_at, dt.UTC).strftime('%Y-%m-%d %H:%M')} UTC"))  # fmt: skip
    return pd.DataFrame([(k, _text(v)) for k, v in rows], columns=["Field", "Value"])


def _status_text(run: Run) -> str:
    status = status_of(run)
    if status == "verified":
        return "verified: the maintainers ran this model themselves (board worker)"
    if status == "self-reported":
        text = "self-reported: scored from the predictions file the submitter uploaded"
        return text + (
            "; it matches the gold answers on every record" if matches_gold_everywhere(run) else ""
        )
    return "paper: values as printed in the paper"


def _modes_in(run: Run) -> list[str]:
    """Error-mode names the row carries (whatever the scoring report had), in a stable order."""
    seen: dict[str, None] = {}
    for name in (*ERROR_MODES[1:], MISSING):
        seen[name] = None
    for cell in run.per_type.values():
        for name in cell.get("error_modes") or {}:
            seen.setdefault(name, None)
    for name in run.details.get("error_modes") or {}:
        seen.setdefault(name, None)
    return [m for m in seen if m != "correct"]


def types_frame(run: Run) -> pd.DataFrame:
    """Clean and each type: n, accuracy ± 95% CI half-width, drop from clean, error-mode counts."""
    modes = _modes_in(run) if run.origin == "submission" else []
    ghost = run.origin == "submission" and "n_ghost_calls" in run.details
    rows = [["Clean", CLEAN, "clean", str(run.details.get("n_clean", 199)), fmt_ci(run.clean, run.clean_ci), "",
             *(str((run.details.get("clean_error_modes") or {}).get(m, "—")) for m in modes),
             *([_rate(run.details.get("clean_ghost") or {})] if ghost else [])]]  # fmt: skip
    for code in (*CODE_NAMES, *RUNTIME_CONFIG_NAMES):
        cell = run.per_type.get(code)
        if cell is None:
            continue
        acc, ci = cell.get("acc"), cell.get("acc_ci")
        shown = "—" if acc is None else (f"{acc:.3f} ± {ci:.3f}" if ci is not None else f"{acc:.3f}")
        drop = "" if acc is None else fmt_signed(drop_of(run.clean, acc))
        if is_runtime(code):  # beyond the paper: the drop from the clean episode, paired
            drop = "" if cell.get("drop") is None else f"{fmt_signed(cell['drop'])} (from Clean-Ep)"
        counts = cell.get("error_modes") or {}
        rows.append([get_type(code).display_name, code, component_of(code).value, str(cell.get("n") or "—"),
                     shown, drop, *(str(counts.get(m, 0)) for m in modes), *([_rate(cell)] if ghost else [])])  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=["Type", "Config", "Component", "n", "Acc ± 95% CI", "Drop (Clean − Acc)", *modes,
                 *(["ghost-tool calls"] if ghost else [])],
    )  # fmt: skip


def _rate(counts: dict[str, Any]) -> str:
    """``ghost calls / calls (rate)`` of a stored ghost-tool count (App. N (7)).

    >>> _rate({"n_calls": 40, "n_ghost_calls": 2, "ghost_rate": 0.05}), _rate({})
    ('2 / 40 (5.0%)', '—')
    """
    if not counts.get("n_calls"):
        return "—"
    return f"{counts.get('n_ghost_calls', 0)} / {counts['n_calls']} ({counts['n_ghost_calls'] / counts['n_calls']:.1%})"


def modes_frame(run: Run) -> pd.DataFrame:
    """Appendix L error modes over every record (submissions; the paper published none per model)."""
    counts = run.details.get("error_modes") or {}
    if run.origin == "paper" or not counts:
        return pd.DataFrame([("not published for paper rows", "—", "—")],
                            columns=["Error mode (Appendix L)", "Records", "Share of incorrect"])  # fmt: skip
    wrong = sum(v for k, v in counts.items() if k != "correct")
    rows = [(m, str(counts.get(m, 0)), f"{counts.get(m, 0) / wrong:.1%}" if wrong and m != "correct" else "—")
            for m in ("correct", *_modes_in(run)) if m in counts]  # fmt: skip
    if "n_ghost_calls" in run.details:
        rows.append(("ghost-tool calls (App. N (7), calls / all calls)", _rate(run.details), "—"))
    return pd.DataFrame(rows, columns=["Error mode (Appendix L)", "Records", "Share of incorrect"])


COMPARE_COLUMNS = ["Metric", "A", "B", "A − B", "p (paired bootstrap)", "sig."]


def compare_frame(store: Store, a: Run, b: Run, *, n_boot: int) -> tuple[str, pd.DataFrame]:
    """Head-to-head of two rows of the same data version: every metric and type, A − B, and the
    paired bootstrap p-value when both rows have per-sample results (submissions)."""
    if data_version(a) != data_version(b):
        raise DetailError(
            f"{run_title(a)} ({data_version(a)}) and {run_title(b)} ({data_version(b)}) were scored on "
            "different data; they are not comparable"
        )
    if a.run_id == b.run_id:
        raise DetailError("choose another row to compare with")
    if a.origin == "paper" or b.origin == "paper":
        rows = [("clean", a.clean, b.clean), ("pert_acc", a.pert_acc, b.pert_acc)]
        rows += [
            (f"delta.{c}", getattr(a, f"d_{s.lower()}"), getattr(b, f"d_{s.lower()}"))
            for c, s in _SHORT.items()
        ]
        rows += [(f"acc.{c}", a.per_type[c]["acc"], b.per_type[c]["acc"]) for c in CODE_NAMES
                 if c in a.per_type and c in b.per_type]  # fmt: skip
        frame = pd.DataFrame(
            [(metric_label(m), _f3(x), _f3(y), f"{x - y:+.3f}", NO_PER_SAMPLE, "") for m, x, y in rows],
            columns=COMPARE_COLUMNS,
        )
        return (f"A = {run_title(a)}, B = {run_title(b)} ({PAPER_DATA}): differences of the printed "
                "values; no paired test (the paper published no per-sample results)."), frame  # fmt: skip
    ra, rb = store.sample_results(a.run_id or -1), store.sample_results(b.run_id or -1)
    keys = [(r[0], r[2]) for r in ra]
    if keys != [(r[0], r[2]) for r in rb]:
        raise DetailError(f"{run_title(a)} and {run_title(b)} do not cover the same records")
    tests = head_to_head(keys, np.array([r[3] for r in ra]), np.array([r[3] for r in rb]), n_boot=n_boot)
    frame = pd.DataFrame(
        [(metric_label(t.metric), _f3(t.a), _f3(t.b), f"{t.diff:+.3f}", f"{t.p_value:.4f}",
          significance_stars(t.p_value)) for t in tests],
        columns=COMPARE_COLUMNS,
    )  # fmt: skip
    note = (f"A = {run_title(a)}, B = {run_title(b)}, both on {data_version(a)}. Paired bootstrap "
            f"(B = {n_boot:,}, records resampled within each type with shared indices); two-sided p of "
            "'no difference'; * p < .05, ** p < .01, *** p < .001. Δ rows: smaller is better.")  # fmt: skip
    return note, frame


def per_sample_records(
    store: Store, run: Run, sources: dict[tuple[str, str], str] | None = None
) -> list[dict]:
    """The submitter's per-sample verdicts: id, perturbation, correct, error mode, parsed calls.
    Never a gold answer: calls are re-read from the submitter's own stored outputs."""
    if run.origin != "submission" or run.run_id is None:
        raise DetailError("paper rows have no per-sample results (the paper did not publish them)")
    raw = store.raw_predictions(run.run_id)
    outputs: dict[tuple[str, str], str] = {}
    if raw is not None:
        try:
            outputs = {k: r.raw_output for k, r in parse_predictions(raw).by_key().items()}
        except PredictionsError:  # a file stored by an older reader: verdicts without calls
            outputs = {}
    out = []
    for config, _, sample_id, score, mode in store.sample_results(run.run_id):
        key = (sample_id, config)
        record: dict[str, Any] = {"id": sample_id, "perturbation": config, "correct": score,
                                  "error_mode": mode}  # fmt: skip
        if key in outputs:
            source = (sources or {}).get(key) or sample_id.split("__", 1)[0]
            record["calls"] = [c.to_json() for c in parse_tool_calls(outputs[key], source)]
        else:
            record["calls"] = None
        out.append(record)
    return out


def write_per_sample(records: list[dict], run: Run, folder: str | Path | None = None) -> Path:
    out = (
        Path(folder or tempfile.mkdtemp(prefix="rbtc-")) / f"robustbench-tc-run{run.run_id}-per-sample.jsonl"
    )
    with out.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    return out


def write_board(frame: pd.DataFrame, fmt: str, folder: str | Path | None = None) -> Path:
    """The board (shown and hidden columns) as ``csv`` (UTF-8, formula-safe text) or ``parquet``."""
    folder = Path(folder or tempfile.mkdtemp(prefix="rbtc-"))
    if fmt == "csv":
        out = folder / "robustbench-tc-board.csv"
        spreadsheet_safe(frame).to_csv(out, index=False, encoding="utf-8")
    elif fmt == "parquet":
        out = folder / "robustbench-tc-board.parquet"
        frame.to_parquet(out, index=False)
    else:
        raise DetailError(f"unknown download format {fmt!r}; choose csv or parquet")
    return out


def download_frame(
    runs: list[Run], tests: list[Any], flt: Any, alpha: float, served: str | None
) -> pd.DataFrame:
    """The rows of the current view with every shown and hidden column; JSON-valued fields as text."""
    frame = board_frame(runs, tests, flt, alpha, served, hidden=True)
    frame["header_sampling"] = [None if v is None else str(v) for v in frame["header_sampling"]]
    return frame
