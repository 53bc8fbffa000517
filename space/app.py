"""The RobustBench-TC leaderboard: a Gradio 6 app (a Hugging Face Space, or `robustbench-tc serve`).

Tabs: Leaderboard (sorted by Pert. Acc., search and filters), Plots (paper Figs. 2-4 with
submissions), Submit (upload a predictions file; scored server-side against the gold held in
memory), About. Everything a submitter typed is shown as plain text (Textbox / Dataframe cells
of type ``str``), never as Markdown or HTML.

On a Space: ``python space/app.py`` with ``RBTC_DATASET`` (a dataset folder or
``hf://datasets/owner/name``), optional ``RBTC_DB``, ``RBTC_RATE_LIMIT``, ``RBTC_MAX_UPLOAD_MB``,
``RBTC_N_BOOT``, ``RBTC_SYNC_REPO`` (+ ``HF_TOKEN``), and the abuse limits ``RBTC_REFUSAL_LIMIT``,
``RBTC_TIME_BUDGET_S``, ``RBTC_QUEUE_SIZE``, ``RBTC_PAIRED_LIMIT``, ``RBTC_TRUSTED_PROXIES``,
``RBTC_MONITORING`` (see ``space.config.BoardConfig``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if not __package__:  # run as a script (a Space's `app_file`): make `space` and the core importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402

from robustbench_tc.scoring import ERROR_MODES, MISSING, ScoreReport  # noqa: E402
from robustbench_tc.taxonomy import CLEAN  # noqa: E402
from space import (
    detail,  # noqa: E402
    plots,  # noqa: E402
)
from space.board import (  # noqa: E402
    COLUMNS,
    MODE_CHOICES,
    PAPER_DATA,
    TRAINED_CHOICES,
    BoardFilter,
    board_frame,
    data_versions_in,
    groups_in,
)
from space.config import BoardConfig, show_mb  # noqa: E402
from space.gold import GoldSet, resolve_dataset_dir  # noqa: E402
from space.seed import load_seed  # noqa: E402
from space.store import Store  # noqa: E402
from space.submit import (  # noqa: E402
    TRAINED_ON_DERIVED,
    SubmissionError,
    SubmissionOutcome,
    Submitter,
    clean_meta,
)
from space.sync import HubSync  # noqa: E402

log = logging.getLogger(__name__)

DEFAULT_MAX_SIZE_B = 1000
"""The size filter's initial upper bound (every known size)."""

HEADER = """
# RobustBench-TC leaderboard

Tool-calling robustness under 22 perturbation types along the four parts of the tool-use POMDP
(Observation, Action, Reward, Transition), from *When Simulation Lies* (arXiv:2605.11928).
Seeded with the paper's 21 models (Table 2); community runs are scored here with the same
deterministic scorer.

**Rows are comparable only within one data version** (the *Data* column and filter). Paper rows
were scored by the authors on their release (**{paper}**: gpt-5-mini/gpt-4o-mini rewrites,
per-type subsets); submissions are scored here on **this build ({served})**, made by this
project's generators. Each data version is ranked on its own (*#*), this build first; a paper row
is never ranked against a submission. *Scorer* is the scorer version that produced a row.

**Columns.** **Clean**: accuracy on the 199 unperturbed samples. **Pert. Acc.**: accuracy over every
perturbed sample (clean excluded; the 22 types weighted by their sample counts); the table is
sorted by it. **Δ Obs / Act / Rew / Trn** = Clean − accuracy on that component's perturbed samples
(sample-weighted; positive = worse, smaller is better). Every value is *mean ± half-width of the
95% percentile-bootstrap CI* (B = 10,000 for the paper rows). **Not sig. different from**: other
submissions whose paired bootstrap test of Pert. Acc. against this one gives p ≥ 0.05. Paired
tests need per-sample results, which the paper did not publish, so paper rows have none.
"""

SUBMIT_HELP = """
Run inference locally (`robustbench-tc run ...`), then upload the predictions file (`.jsonl`, or
`.json`): one record per `(id, perturbation)` for **every** record of every config. The server
re-parses each `raw_output` and scores it against the gold answers it holds; nothing of the gold
is ever sent back. Limits: files up to **{mb}**; **{limit}** accepted submissions and **{refusals}**
refused uploads per user per hour{login}; reading and scoring one file may take **{budget:g} s**; at
most {queue} submissions wait in the queue. Resubmitting the same predictions (same records and
outputs, whatever the formatting) is refused. Uploaded files are deleted after scoring.
"""

UPLOAD_CACHE_SWEEP = (300, 900)
"""Gradio's ``delete_cache`` (every 5 min, files older than 15 min): uploads never submitted."""

ABOUT = """
**Data versions.** The paper's numbers come from the authors' data release: 3,721 rows whose
LLM-made types were written by gpt-5-mini/gpt-4o-mini, with per-type subsets (102–144 samples for
the Dup/Reward types). This board scores submissions on the dataset build it serves (named by the
sha256 fingerprint of its data files): every Dup/Reward type covers all 147 one-gold-tool samples
(4,005 rows) and the LLM-made types come from this project's generators. The same model scores
differently on the two, so each row states its data version, the board groups and ranks rows per
data version (the served build first), paired tests and head-to-head comparisons are only made
within one data version, and the *Data* filter narrows the view to one of them. Use the paper rows
as the published reference, not as competitors of a submission.

**Scorer versions.** Each submission stores its raw predictions file, the scorer version that
scored it and the data fingerprint. When the scorer changes, the operator runs
`robustbench-tc board rescore --db PATH --dataset DIR`, which re-scores every stored submission in
one transaction and keeps the previous scores as history (shown in the row's detail view).

**Provenance.** Paper rows come from Table 2 (headline columns) and Tables 7–14 (per-type
accuracies) of arXiv:2605.11928, via `leaderboard_seed/build_seed.py`. Sizes follow the model
names, except TL-CodeLLaMA-2 (assumed 7B) and ToolRL-DR-Full/-Mixed (3B backbone, §5.2);
o4-mini has no public size. **Scoring.** Strict per-source rule-based scorers (no LLM judge)
after a format-tolerant parser; Δ and Pert. Acc. are sample-weighted; CIs are percentile
bootstrap over records within each config; paired tests reuse the same draws for both runs.
"""


@dataclass
class Board:
    """Everything the handlers share."""

    config: BoardConfig
    store: Store
    gold: GoldSet
    submitter: Submitter
    sync: HubSync | None
    background: list[threading.Thread] = field(default_factory=list)
    """Start-up work still running (the rescore of stale submissions)."""


def create_board(config: BoardConfig, *, gold: GoldSet | None = None, sync_api_factory: Any = None) -> Board:
    """Open the store, load the gold (unless given) and the seed (paper rows are re-seeded when
    seed.json changes); with a sync repo, restore the mirrored submissions the store lacks."""
    store = Store(config.db_path)
    seed_runs, digest = load_seed(config.seed_path)
    store.sync_seed(seed_runs, digest)
    gold = gold if gold is not None else GoldSet.load(resolve_dataset_dir(config.dataset_dir))
    sync = None
    if config.sync_repo:
        sync = HubSync(
            store, config.sync_repo, token=os.environ.get("HF_TOKEN"), api_factory=sync_api_factory
        )
        sync.restore()
    submitter = Submitter(config, gold, store, on_stored=sync.on_stored if sync else None)
    board = Board(config=config, store=store, gold=gold, submitter=submitter, sync=sync)
    if config.rescore_on_start:
        thread = threading.Thread(target=_rescore_stale, args=(board,), name="rbtc-rescore", daemon=True)
        board.background.append(thread)
        thread.start()
    return board


def _rescore_stale(board: Board) -> None:
    """Background start-up rescore; the board serves the old scores (with their version) meanwhile."""
    from space.rescore import rescore_when_stale

    cfg = board.config
    try:
        summary = rescore_when_stale(
            board.store,
            board.gold,
            n_boot=cfg.n_boot,
            paired_limit=cfg.paired_limit if cfg.paired_limit > 0 else None,
        )
    except Exception:  # noqa: BLE001 - the board keeps serving the stored scores
        log.exception("rescoring stale submissions failed; the stored scores stay")
        return
    if summary is not None:
        log.info("\n".join(summary.lines()))
        if board.sync is not None and summary.rescored:
            board.sync.refresh(summary.rescored, f"Rescore with scorer version {summary.scorer_version}")


# -- handlers (module-level functions of plain values, so they are testable without a server) --
def leaderboard_frame(board: Board, flt: BoardFilter) -> pd.DataFrame:
    alpha = board.config.alpha
    return board_frame(
        board.store.board_runs(), board.store.pairs_with_p_at_least(alpha), flt, alpha, board.gold.fingerprint
    )


def served_data_version(board: Board) -> str:
    """The label of the build this board serves (what new submissions are scored on)."""
    return f"build {board.gold.fingerprint[:12]} ({board.gold.n_records:,} rows)"


def data_version_choices(board: Board) -> list[str]:
    versions = data_versions_in(board.store.runs(), board.gold.fingerprint)
    served = served_data_version(board)
    return versions if served in versions else [served, *versions]


def _filter(
    search: str | None,
    groups: list[str] | None,
    min_size: Any,
    max_size: Any,
    unknown: bool,
    versions: list[str] | None = None,
    trained: list[str] | None = None,
    modes: list[str] | None = None,
) -> BoardFilter:
    def num(x: Any) -> float | None:
        try:
            return None if x in (None, "") else float(x)
        except (TypeError, ValueError):
            return None

    return BoardFilter(
        search=str(search or "")[:200],
        groups=tuple(groups) if groups is not None else None,
        min_size_b=num(min_size),
        max_size_b=num(max_size),
        include_unknown_size=bool(unknown),
        data_versions=tuple(versions) if versions is not None else None,
        trained=tuple(trained) if trained is not None else None,
        modes=tuple(modes) if modes is not None else None,
    )


def client_identity(
    config: BoardConfig, request: gr.Request | None, profile: gr.OAuthProfile | None
) -> tuple[str, str]:
    """(rate-limit key, submitter shown in the export). HF login on a Space; hashed client IP locally."""
    if config.on_space:
        if profile is None:
            raise SubmissionError("sign in with Hugging Face (button above) to submit")
        username = str(profile.username)
        return f"hf:{username}", username
    host = getattr(getattr(request, "client", None), "host", None) or "unknown"
    return "ip:" + hashlib.sha256(host.encode()).hexdigest()[:16], "anonymous"


def component_frame(report: ScoreReport) -> pd.DataFrame:
    """Headline and per-component results of one submission."""
    rows = [
        (label, est.show() if est else "-", str(est.n if est else 0))
        for label, est in (("Clean", report.clean), ("Pert. Acc.", report.pert_acc))
    ]
    for comp, est in report.component_acc.items():
        rows.append((f"Acc {comp}", est.show(), str(est.n)))
        if comp in report.delta:
            rows.append((f"Δ {comp} (Clean − Acc)", report.delta[comp].show(), str(est.n)))
    return pd.DataFrame(rows, columns=["Metric", "Value ± 95% half-width", "n"])


def per_type_frame(report: ScoreReport) -> pd.DataFrame:
    modes = (*ERROR_MODES[1:], MISSING)
    rows = []
    for c in report.configs:
        rows.append(
            [c.display_name, c.config, c.component, str(c.n), c.acc.show(), c.drop.show() if c.drop else "",
             *(str(c.error_modes.get(m, 0)) for m in modes), _ghost_rate(c.n_ghost_calls, c.n_calls)]
        )  # fmt: skip
    return pd.DataFrame(
        rows, columns=["Type", "Config", "Component", "n", "Acc", "Drop (acc − clean)", *modes, "ghost tool"]
    )


def _ghost_rate(n_ghost: int, n_calls: int) -> str:
    """Calls to tools outside the sample's registry (App. N (7)), as "rate (k/n)"."""
    return f"{100 * n_ghost / n_calls:.1f}% ({n_ghost}/{n_calls})" if n_calls else "-"


def error_mode_frame(report: ScoreReport) -> pd.DataFrame:
    perturbed_wrong = sum(
        v for c in report.configs if c.config != CLEAN for m, v in c.error_modes.items() if m != "correct"
    )
    rows = [(m, str(report.error_modes.get(m, 0))) for m in (*ERROR_MODES, MISSING)]
    rows.append(("incorrect on perturbed configs", str(perturbed_wrong)))
    rows.append(("ghost-tool calls (App. N (7))", _ghost_rate(report.n_ghost_calls, report.n_calls)))
    return pd.DataFrame(rows, columns=["Error mode (Appendix L)", "Records"])


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([], columns=columns)


def submit_handler(
    board: Board,
    upload: Any,
    model: Any,
    hf_id: Any,
    params_b: Any,
    link: Any,
    request: gr.Request | None,
    profile: gr.OAuthProfile | None,
    *,
    revision: Any = None,
    license: Any = None,
    trained_on_derived: Any = None,
) -> tuple[str, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Returns (status text, components, per-type results, error modes); never raises."""
    empty = (
        _empty(["Metric", "Value ± 95% half-width", "n"]),
        _empty(["Type", "Config", "Component", "n", "Acc", "Drop (acc − clean)"]),
        _empty(["Error mode (Appendix L)", "Records"]),
    )
    path = (
        upload
        if isinstance(upload, (str, os.PathLike)) or upload is None
        else getattr(upload, "path", upload)
    )
    try:
        key, who = client_identity(board.config, request, profile)
        meta = clean_meta(model, hf_id, params_b, link, revision, license, trained_on_derived)
        outcome: SubmissionOutcome = board.submitter.submit(path, meta, client_key=key, submitter=who)
    except SubmissionError as exc:
        return f"Refused: {exc}", *empty
    except Exception:  # noqa: BLE001 - never crash the worker; log for the operator
        log.exception("submission failed")
        return "Refused: internal error while scoring this file (logged); nothing was stored.", *empty
    finally:
        remove_upload(path)
    run = outcome.run
    status = (
        f"Accepted as submission #{run.run_id} ({run.model}) in {outcome.seconds:.1f} s. "
        f"Clean {run.clean:.3f} ± {run.clean_ci:.3f}, Pert. Acc. {run.pert_acc:.3f} ± {run.pert_acc_ci:.3f}. "
        "The row is now on the Leaderboard tab; its detail view, head-to-head and your per-sample "
        "verdicts are on the Submission detail tab."
    )
    report = outcome.report
    return status, component_frame(report), per_type_frame(report), error_mode_frame(report)


def remove_upload(path: Any) -> bool:
    """Delete a file from Gradio's upload folder (and its folder, once empty); files elsewhere are
    never touched. True if a file was removed."""
    if not isinstance(path, (str, os.PathLike)):
        return False
    from gradio.utils import get_upload_folder

    root = Path(get_upload_folder()).resolve()
    file = Path(path).resolve()
    if root not in file.parents or not file.is_file():
        return False
    file.unlink(missing_ok=True)
    if file.parent != root:
        with contextlib.suppress(OSError):
            file.parent.rmdir()
    return True


_ACCEPTED = re.compile(r"^Accepted as submission #(\d+) ")


def accepted_run_id(status: str) -> int | None:
    """The run id in an "Accepted as submission #N" status line.

    >>> accepted_run_id("Accepted as submission #22 (m) in 1.0 s."), accepted_run_id("Refused: x")
    (22, None)
    """
    match = _ACCEPTED.match(status or "")
    return int(match.group(1)) if match else None


# -- detail view handlers --------------------------------------------------------------------
DETAIL_EMPTY = "Choose a row above."


def _run_of(board: Board, run_id: Any) -> Any:
    try:
        return board.store.get_run(int(run_id))
    except (TypeError, ValueError):
        return None


def detail_handler(board: Board, run_id: Any) -> tuple[str, pd.DataFrame, pd.DataFrame, pd.DataFrame, Any]:
    """(title, summary, per-type, error modes, compare-with dropdown update) of one row."""
    run = _run_of(board, run_id)
    if run is None:
        empty = pd.DataFrame([], columns=["Field", "Value"])
        return DETAIL_EMPTY, empty, empty, empty, gr.update(choices=[], value=None)
    choices = detail.compare_choices(board.store.runs(), run)
    title = f"{detail.run_title(run)} · {detail.data_version(run)} · scorer {detail.scorer_of(run)}"
    history = board.store.history(run.run_id) if run.origin == "submission" else []
    return (
        title,
        detail.summary_frame(run, history),
        detail.types_frame(run),
        detail.modes_frame(run),
        gr.update(choices=choices, value=choices[0][1] if choices else None),
    )


def compare_handler(board: Board, run_a: Any, run_b: Any) -> tuple[str, pd.DataFrame]:
    a, b = _run_of(board, run_a), _run_of(board, run_b)
    empty = pd.DataFrame([], columns=detail.COMPARE_COLUMNS)
    if a is None or b is None:
        return "Choose a row and another row of the same data version to compare with.", empty
    try:
        return detail.compare_frame(board.store, a, b, n_boot=board.config.n_boot)
    except detail.DetailError as exc:
        return f"Not compared: {exc}", empty


def per_sample_handler(
    board: Board, run_id: Any, request: gr.Request | None, profile: gr.OAuthProfile | None
) -> tuple[str, str | None]:
    """(status, path of the per-sample JSONL) for the row's own submitter only."""
    run = _run_of(board, run_id)
    if run is None:
        return "Choose a row first.", None
    if run.origin == "paper":
        return "Paper rows have no per-sample results (the paper did not publish them).", None
    try:
        key, _ = client_identity(board.config, request, profile)
    except SubmissionError as exc:
        return f"Not available: {exc}", None
    if board.store.client_key(run.run_id) != key:
        return ("Not available: per-sample verdicts are given only to the submitter of this row "
                "(the same Hugging Face login, or the same machine when run locally)."), None  # fmt: skip
    sources = {s.key: str(s.source) for rows in board.gold.samples.values() for s in rows}
    records = detail.per_sample_records(board.store, run, sources)
    path = detail.write_per_sample(records, run)
    return (
        f"{len(records):,} records of {detail.run_title(run)}: id, perturbation, correct, error_mode, calls.",
        str(path),
    )


def board_download_handler(board: Board, fmt: str, flt: BoardFilter) -> str:
    frame = detail.download_frame(
        board.store.runs(), board.store.paired_tests(), flt, board.config.alpha, board.gold.fingerprint
    )
    return str(detail.write_board(frame, fmt))


def build_app(board: Board) -> gr.Blocks:
    config = board.config
    runs = board.store.runs()
    group_choices = groups_in(runs)
    version_choices = data_version_choices(board)
    served = served_data_version(board)
    with gr.Blocks(
        title="RobustBench-TC leaderboard", fill_width=True, delete_cache=UPLOAD_CACHE_SWEEP
    ) as demo:
        gr.Markdown(HEADER.format(paper=PAPER_DATA, served=served))
        with gr.Tabs():
            with gr.Tab("Leaderboard", id="leaderboard"):
                with gr.Row():
                    search = gr.Textbox(label="Search model / HF id", placeholder="e.g. Qwen3", scale=2)
                    min_size = gr.Number(label="Min size (B)", value=0, minimum=0)
                    max_size = gr.Number(label="Max size (B)", value=DEFAULT_MAX_SIZE_B, minimum=0)
                    unknown = gr.Checkbox(label="Include unknown size", value=True)
                with gr.Row():
                    versions = gr.CheckboxGroup(
                        choices=version_choices, value=version_choices, elem_id="data-filter",
                        label="Data version (rows are comparable only within one; each is ranked on its own)",
                        scale=2,
                    )  # fmt: skip
                    trained = gr.CheckboxGroup(
                        choices=list(TRAINED_CHOICES), value=list(TRAINED_CHOICES),
                        label="Trained on RobustBench-TC-derived data", elem_id="trained-filter",
                    )  # fmt: skip
                    modes_filter = gr.CheckboxGroup(
                        choices=list(MODE_CHOICES), value=list(MODE_CHOICES), label="Prompt / FC mode"
                    )
                groups = gr.CheckboxGroup(choices=group_choices, value=group_choices, label="Groups")
                table = gr.Dataframe(
                    value=leaderboard_frame(board, BoardFilter(min_size_b=0, max_size_b=DEFAULT_MAX_SIZE_B)),
                    headers=list(COLUMNS),
                    datatype="str",
                    interactive=False,
                    wrap=True,
                    max_height=900,
                    elem_id="leaderboard-table",
                    label="Grouped by data version, each sorted by Pert. Acc. (descending); # = rank within it",
                )
                gr.Markdown(
                    "Paper rows: values as printed in Table 2, on the paper's data release; no per-sample "
                    "results were published, so they take no part in paired tests. Submitted rows: scored "
                    "here on the served build; paired tests against the closest earlier submissions in "
                    "Pert. Acc. (at most 20, same build). Downloads hold the rows shown, with every column "
                    "plus the hidden ones (data fingerprint, scorer version, metadata)."
                )
                with gr.Row():
                    refresh = gr.Button("Refresh", variant="secondary")
                    csv_button = gr.Button("Download CSV", elem_id="download-csv")
                    parquet_button = gr.Button("Download Parquet", elem_id="download-parquet")
                board_file = gr.File(label="Board download", interactive=False, elem_id="board-download")
            with gr.Tab("Submission detail", id="detail"):
                gr.Markdown(
                    "Any row of the board: its metadata (as declared and as read from the predictions "
                    "header), every type's accuracy with its 95% CI, the Appendix L error modes, and a "
                    "head-to-head against another row of the **same data version**."
                )
                run_pick = gr.Dropdown(
                    choices=detail.run_choices(runs, board.gold.fingerprint), value=None,
                    label="Row", elem_id="detail-run", filterable=True,
                )  # fmt: skip
                detail_title = gr.Textbox(label="Selected", value=DETAIL_EMPTY, interactive=False,
                                          elem_id="detail-title")  # fmt: skip
                with gr.Row():
                    detail_summary = gr.Dataframe(label="Row and metadata", datatype="str",
                                                  interactive=False, wrap=True, elem_id="detail-summary")  # fmt: skip
                    detail_modes = gr.Dataframe(label="Error modes (Appendix L, all records)", datatype="str",
                                                interactive=False, elem_id="detail-modes")  # fmt: skip
                detail_types = gr.Dataframe(label="Per type: accuracy ± 95% CI half-width, error modes",
                                            datatype="str", interactive=False, wrap=True,
                                            elem_id="detail-types")  # fmt: skip
                with gr.Row():
                    per_sample_button = gr.Button("Download my per-sample verdicts (JSONL)",
                                                  elem_id="per-sample-button")  # fmt: skip
                    per_sample_status = gr.Textbox(label="Per-sample download", interactive=False,
                                                   elem_id="per-sample-status", scale=2)  # fmt: skip
                per_sample_file = gr.File(
                    label="Per-sample verdicts", interactive=False, elem_id="per-sample-file"
                )
                gr.Markdown("### Head-to-head")
                with gr.Row():
                    compare_pick = gr.Dropdown(choices=[], value=None, label="Compare with (same data version)",
                                               elem_id="compare-run", scale=2)  # fmt: skip
                    compare_button = gr.Button("Compare", elem_id="compare-button")
                compare_note = gr.Textbox(
                    label="Comparison", interactive=False, lines=2, elem_id="compare-note"
                )
                compare_table = gr.Dataframe(label="A vs B per metric and type", datatype="str",
                                             interactive=False, wrap=True, elem_id="compare-table")  # fmt: skip
            with gr.Tab("Plots", id="plots"):
                kind = gr.Radio(
                    choices=[("1 − mean(ΔObs, ΔAct, ΔRew) / Clean (paper Fig. 2)", "paper"),
                             ("Pert. Acc. / Clean", "pert")],
                    value="paper", label="Retention",
                )  # fmt: skip
                retention_plot = gr.Plot(label="Robustness retention vs. size", format="png")
                retention_caption = gr.Markdown(plots.RETENTION_CAPTION["paper"])
                delta_plot = gr.Plot(label="Δ per component vs. size by family", format="png")
                gr.Markdown(plots.DELTA_CAPTION)
                heatmap_plot = gr.Plot(label="Per-perturbation drop heatmap", format="png")
                gr.Markdown(plots.HEATMAP_CAPTION)
            with gr.Tab("Submit", id="submit"):
                login = " (sign in with Hugging Face first)" if config.on_space else ""
                gr.Markdown(
                    SUBMIT_HELP.format(
                        mb=show_mb(config.max_upload_bytes),
                        limit=config.rate_limit_per_hour if config.rate_limit_per_hour > 0 else "unlimited",
                        refusals=config.refusal_limit_per_hour
                        if config.refusal_limit_per_hour > 0
                        else "unlimited",
                        budget=config.time_budget_s,
                        queue=config.queue_size,
                        login=login,
                    )
                )
                if config.on_space:
                    gr.LoginButton()
                upload = gr.File(
                    label="Predictions file (.jsonl / .json)",
                    file_types=[".jsonl", ".json"],
                    type="filepath",
                    elem_id="predictions-upload",
                )
                with gr.Row():
                    model = gr.Textbox(label="Model name (required)", max_length=200)
                    hf_id = gr.Textbox(label="HF model id (optional)", placeholder="org/model")
                    params_b = gr.Textbox(label="Size in billions (optional)", placeholder="e.g. 3")
                    link = gr.Textbox(label="Link (optional)", placeholder="https://...")
                with gr.Row():
                    revision = gr.Textbox(label="Model revision (optional)", placeholder="commit hash or tag")
                    license_box = gr.Textbox(label="License (optional)", placeholder="e.g. apache-2.0")
                    trained_box = gr.Radio(
                        choices=list(TRAINED_ON_DERIVED), value="not declared", elem_id="trained-declaration",
                        label="Trained on RobustBench-TC-derived data? (e.g. ToolRL-DR: yes)",
                    )  # fmt: skip
                gr.Markdown(
                    "Prompt/FC mode, engine and sampling are read from the predictions file's header "
                    "(`robustbench-tc run` writes it) and shown as read."
                )
                submit = gr.Button("Submit", variant="primary")
                status = gr.Textbox(label="Result", interactive=False, lines=3, elem_id="submit-status")
                # hidden until a first result: empty tables would show only placeholder headers
                components = gr.Dataframe(label="Per-component results", datatype="str", interactive=False,
                                          visible=False, elem_id="submit-components")  # fmt: skip
                modes = gr.Dataframe(label="Error modes (all records)", datatype="str", interactive=False,
                                     visible=False, elem_id="submit-modes")  # fmt: skip
                per_type = gr.Dataframe(label="Per-type results", datatype="str", interactive=False, wrap=True,
                                        visible=False, elem_id="submit-per-type")  # fmt: skip
            with gr.Tab("About", id="about"):
                gr.Markdown(ABOUT)

        filters = [search, groups, min_size, max_size, unknown, versions, trained, modes_filter]

        def show_board(s: str, g: list[str], lo: Any, hi: Any, u: bool, v: list[str] | None = None,
                       t: list[str] | None = None, md: list[str] | None = None) -> pd.DataFrame:  # fmt: skip
            return leaderboard_frame(board, _filter(s, g, lo, hi, u, v, t, md))

        def download(fmt: str) -> Any:
            def handler(*values: Any) -> str:
                return board_download_handler(board, fmt, _filter(*values))

            return handler

        def show_plots(k: str) -> tuple[Any, Any, Any, str]:
            all_runs = board.store.runs()
            k = k if k in plots.RETENTION_CAPTION else "paper"
            return (plots.retention_figure(all_runs, k), plots.delta_figure(all_runs),
                    plots.heatmap_figure(all_runs), plots.RETENTION_CAPTION[k])  # fmt: skip

        def do_submit(
            f: Any, m: Any, h: Any, p: Any, lk: Any, rev: Any = None, lic: Any = None, tr: Any = None,
            request: gr.Request = None, profile: gr.OAuthProfile | None = None,
        ) -> tuple[str, pd.DataFrame, pd.DataFrame, pd.DataFrame]:  # fmt: skip
            text, comp, per, err = submit_handler(
                board, f, m, h, p, lk, request, profile, revision=rev, license=lic, trained_on_derived=tr
            )
            return text, comp, err, per

        def show_results(text: str) -> tuple[Any, Any, Any]:
            shown = accepted_run_id(text) is not None
            return gr.update(visible=shown), gr.update(visible=shown), gr.update(visible=shown)

        def after_submit(text: str, current: Any) -> Any:
            run_id = accepted_run_id(text)
            choices = detail.run_choices(board.store.runs(), board.gold.fingerprint)
            return gr.update(choices=choices, value=str(run_id) if run_id else current)

        def show_detail(run_id: Any) -> tuple[Any, ...]:
            return detail_handler(board, run_id)

        def do_compare(a: Any, b: Any) -> tuple[str, pd.DataFrame]:
            return compare_handler(board, a, b)

        def do_per_sample(
            run_id: Any, request: gr.Request, profile: gr.OAuthProfile | None
        ) -> tuple[str, str | None]:
            return per_sample_handler(board, run_id, request, profile)

        for trigger in (
            search.submit,
            refresh.click,
            groups.change,
            min_size.submit,
            max_size.submit,
            unknown.change,
            versions.change,
            trained.change,
            modes_filter.change,
        ):
            trigger(show_board, filters, table, api_visibility="private", queue=False)
        gr.on([search.change], show_board, filters, table, api_visibility="private", queue=False)
        demo.load(show_board, filters, table, api_name="leaderboard", queue=False)
        csv_button.click(download("csv"), filters, board_file, api_visibility="private")
        parquet_button.click(download("parquet"), filters, board_file, api_visibility="private")
        detail_outputs = [detail_title, detail_summary, detail_types, detail_modes, compare_pick]
        run_pick.change(show_detail, run_pick, detail_outputs, api_visibility="private")
        compare_button.click(do_compare, [run_pick, compare_pick], [compare_note, compare_table],
                             api_visibility="private")  # fmt: skip
        per_sample_button.click(do_per_sample, run_pick, [per_sample_status, per_sample_file],
                                api_visibility="private")  # fmt: skip
        plot_outputs = [retention_plot, delta_plot, heatmap_plot, retention_caption]
        demo.load(show_plots, kind, plot_outputs, api_visibility="private")
        kind.change(show_plots, kind, plot_outputs, api_name="plots")
        submit.click(
            do_submit, [upload, model, hf_id, params_b, link, revision, license_box, trained_box],
            [status, components, modes, per_type], api_name="submit", concurrency_limit=2,
        ).then(show_results, status, [components, modes, per_type], api_visibility="private", queue=False).then(
            show_board, filters, table, api_visibility="private"
        ).then(
            show_plots, kind, plot_outputs, api_visibility="private"
        ).then(after_submit, [status, run_pick], run_pick, api_visibility="private")  # fmt: skip
    return demo


def serve(board: Board, host: str = "127.0.0.1", port: int = 7860, **kwargs: Any) -> gr.Blocks:
    """Launch the app for ``board``; blocks unless ``prevent_thread_lock=True`` is passed."""
    config = board.config
    demo = build_app(board)
    db = Path(config.db_path).resolve()
    dataset = Path(resolve_dataset_dir(config.dataset_dir)).resolve()
    # uvicorn believes X-Forwarded-For only from these addresses (its default trusts 127.0.0.1, so
    # anything on the same host could reset the per-IP limits); it reads them when the server starts.
    os.environ["FORWARDED_ALLOW_IPS"] = config.trusted_proxies
    demo.queue(default_concurrency_limit=2, max_size=config.queue_size).launch(
        server_name=host,
        server_port=port,
        max_file_size=config.max_upload_bytes,  # the limit the Submit tab states; bigger bodies are cut off
        enable_monitoring=config.monitoring,
        blocked_paths=[str(dataset), *(f"{db}{suffix}" for suffix in ("", "-wal", "-shm"))],
        allowed_paths=[],
        ssr_mode=False,
        show_error=False,
        theme=gr.themes.Soft(),
        **kwargs,
    )
    return demo


def launch(config: BoardConfig, host: str = "127.0.0.1", port: int = 7860, **kwargs: Any) -> gr.Blocks:
    """Open the board for ``config`` and serve it."""
    return serve(create_board(config), host, port, **kwargs)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    default_host = "0.0.0.0" if os.environ.get("SPACE_ID") else "127.0.0.1"  # a Space proxies to 0.0.0.0
    launch(
        BoardConfig.from_env(),
        host=os.environ.get("GRADIO_SERVER_NAME", default_host),
        port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
    )
