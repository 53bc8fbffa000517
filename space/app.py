"""The RobustBench-TC leaderboard: a Gradio 6 app (a Hugging Face Space, or `robustbench-tc serve`).

Tabs: Leaderboard (one section per data version, ranked by Pert. Acc. with rank ranges; search,
filters, a column picker; sortable in the browser), Detail (any row; ``?row=<id>`` opens it),
Plots (paper Figs. 2-4 with submissions, interactive), Submit (upload a predictions file; scored
server-side against the gold held in memory), About. Everything a submitter typed is shown as
text: escaped in the HTML views, plain in Textbox / Dataframe cells of type ``str``.

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
import time
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

if not __package__:  # run as a script (a Space's `app_file`): make `space` and the core importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402

from robustbench_tc.scoring import DROP_DEFINITION, ERROR_MODES, MISSING, ScoreReport  # noqa: E402
from robustbench_tc.taxonomy import CLEAN  # noqa: E402
from space import (
    detail,  # noqa: E402
    plots,  # noqa: E402
)
from space.board import (  # noqa: E402
    MODE_CHOICES,
    TRAINED_CHOICES,
    BoardFilter,
    Section,
    board_frame,
    data_versions_in,
    groups_in,
    ranked_sections,
)
from space.columns import picker_choices, picker_defaults, shown_groups  # noqa: E402
from space.config import BoardConfig, show_mb  # noqa: E402
from space.gold import HF_PREFIX, GoldSet, resolve_dataset_dir  # noqa: E402
from space.html import APP_CSS, APP_HEAD, HEADER_LABELS, frame_html  # noqa: E402
from space.queue import EvalRequest, RequestError, RequestQueue, check_request, open_queue  # noqa: E402
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
from space.table import BOARD_CSS, SORT_JS, render_board, render_rows_json  # noqa: E402
from space.texts import ABOUT, GLOSSARY, HEADER_HTML, REQUEST_HELP, SUBMIT_HELP, whole_path  # noqa: E402

log = logging.getLogger(__name__)

DEFAULT_MAX_SIZE_B = 1000
"""The size filter's initial upper bound (every known size)."""

UPLOAD_CACHE_SWEEP = (300, 900)
"""Gradio's ``delete_cache`` (every 5 min, files older than 15 min): uploads never submitted."""


@dataclass
class Board:
    """Everything the handlers share."""

    config: BoardConfig
    store: Store
    gold: GoldSet
    submitter: Submitter
    sync: HubSync | None
    queue: RequestQueue
    background: list[threading.Thread] = field(default_factory=list)
    """Start-up work still running (the rescore of stale submissions)."""
    pulled_at: float = 0.0
    """When rows stored elsewhere (a worker's, through the sync repo) were last pulled."""
    pull_lock: threading.Lock = field(default_factory=threading.Lock)


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
    queue = open_queue(
        store, config.queue_repo, token=os.environ.get("HF_TOKEN"), api_factory=sync_api_factory
    )
    board = Board(config=config, store=store, gold=gold, submitter=submitter, sync=sync, queue=queue)
    board.pulled_at = time.monotonic()
    if config.rescore_on_start:
        thread = threading.Thread(target=_rescore_stale, args=(board,), name="rbtc-rescore", daemon=True)
        board.background.append(thread)
        thread.start()
    return board


def pull_from_hub(board: Board, *, wait: bool = False) -> threading.Thread | None:
    """With a sync repo, restore (in the background) the rows stored elsewhere since the last pull,
    e.g. the verified rows a worker on another machine mirrored; at most every ``hub_pull_s``."""
    if board.sync is None or time.monotonic() - board.pulled_at < board.config.hub_pull_s:
        return None
    if not board.pull_lock.acquire(blocking=False):
        return None
    board.pulled_at = time.monotonic()

    def pull() -> None:
        try:
            assert board.sync is not None
            board.sync.restore()
        finally:
            board.pull_lock.release()

    thread = threading.Thread(target=pull, name="rbtc-hub-pull", daemon=True)
    thread.start()
    if wait:
        thread.join()
    return thread


def request_handler(
    board: Board, model: Any, revision: Any, mode: Any, request: gr.Request | None,
    profile: gr.OAuthProfile | None,
) -> str:  # fmt: skip
    """File an evaluation request; the status line (never raises)."""
    try:
        key, _ = client_identity(board.config, request, profile)
        model_id, rev, md = check_request(model, revision, mode)
        filed = board.queue.file(model_id, rev, md, key, limit_per_hour=board.config.rate_limit_per_hour)
    except (RequestError, SubmissionError) as exc:
        return f"Refused: {exc}"
    except Exception:  # noqa: BLE001 - a queue outage; logged for the operator
        log.exception("filing an evaluation request failed")
        return "Refused: the request queue could not be reached (logged); nothing was filed. Try again later."
    return (
        f"Filed as request #{filed.request_id}: {model_id} at {rev} ({md}). The maintainers' worker evaluates "
        "pending requests in order; the row then appears on the Leaderboard marked ✓ verified."
    )


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
    """The board as one flat table of display strings (what the downloads start from)."""
    alpha = board.config.alpha
    return board_frame(
        board.store.board_runs(), board.store.pairs_with_p_at_least(0.0), flt, alpha, board.gold.fingerprint
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
    verified_only: Any = False,
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
        verified_only=bool(verified_only),
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
            rows.append((f"Δ {comp} (Clean − Acc)", report.delta[comp].show(signed=True), str(est.n)))
    return pd.DataFrame(rows, columns=["Metric", "Value ± 95% half-width", "n"])


DROP_COLUMN = "Drop (Clean − Acc)"


def per_type_frame(report: ScoreReport) -> pd.DataFrame:
    modes = (*ERROR_MODES[1:], MISSING)
    rows = []
    for c in report.configs:
        rows.append(
            [c.display_name, c.config, c.component, str(c.n), c.acc.show(), c.drop.show(signed=True) if c.drop else "",
             *(str(c.error_modes.get(m, 0)) for m in modes), _ghost_rate(c.n_ghost_calls, c.n_calls)]
        )  # fmt: skip
    return pd.DataFrame(
        rows, columns=["Type", "Config", "Component", "n", "Acc", DROP_COLUMN, *modes, "ghost tool"]
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
        _empty(["Type", "Config", "Component", "n", "Acc", DROP_COLUMN]),
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
    return board_downloads(board, flt, (fmt,))[0]


def board_downloads(
    board: Board, flt: BoardFilter, formats: tuple[str, ...] = ("csv", "parquet")
) -> list[str]:
    """The current view as one file per format, from one frame. The rank ranges read the Pert. Acc.
    tests as plain tuples (``pairs_with_p_at_least``), as the table does: at 1,000 rows building
    40,000 pydantic records took 0.6 s of every filter change."""
    frame = detail.download_frame(
        board.store.runs(), board.store.pairs_with_p_at_least(0.0), flt, board.config.alpha,
        board.gold.fingerprint,
    )  # fmt: skip
    return [str(detail.write_board(frame, fmt)) for fmt in formats]


# -- page views (HTML strings from the handlers above) ----------------------------------------
DETAIL_HINT = (
    "<p class='rbtc-notes'>Choose a row above, or click a model's name on the Leaderboard. Each row has its "
    "own link (<code>?row=&lt;id&gt;</code>) that opens it here directly.</p>"
)


def leaderboard_sections(board: Board, flt: BoardFilter, per_type: bool = False) -> list[Section]:
    """The board's ranked sections (one per data version), filtered."""
    return ranked_sections(
        board.store.board_runs(per_type=per_type),
        board.store.pairs_with_p_at_least(0.0),
        flt,
        board.config.alpha,
        board.gold.fingerprint,
        served_data_version(board),
    )


def leaderboard_html(board: Board, flt: BoardFilter, picked: list[str] | None = None) -> str:
    """The Leaderboard tab's table: the fixed columns plus the picked groups."""
    groups = shown_groups(picked)
    per_type = any("per_type" in g.reads for g in groups)
    return render_board(leaderboard_sections(board, flt, per_type), groups, board.config.page_rows)


def share_url(request: gr.Request | None, run_id: int) -> str:
    """The page's own address with ``?row=<id>`` (relative when the page address is unknown)."""
    page = ""
    headers = getattr(request, "headers", None)
    if headers is not None:
        page = str(headers.get("referer") or "")
    base = page.split("?", 1)[0].split("#", 1)[0]
    return f"{base}?row={run_id}"


def detail_page(board: Board, run_id: Any, request: gr.Request | None = None) -> str:
    """The whole detail view of one row as HTML: title and link, metadata, error modes, per type."""
    run = _run_of(board, run_id)
    if run is None:
        return DETAIL_HINT
    title, summary, types, modes, _ = detail_handler(board, run_id)
    link = share_url(request, run.run_id)
    types = types.drop(columns=["Config"])  # the display name says it; the downloads keep the code
    modes = modes.assign(**{modes.columns[0]: [HEADER_LABELS.get(m, m) for m in modes.iloc[:, 0]]})
    numeric = frozenset(c for c in types.columns if c not in ("Type", "Component"))
    return (
        f"<div class='rbtc-detail'><h3 id='detail-heading'>{escape(title)}</h3>"
        f"<p class='share'>Link to this view: <a href='{escape(link)}'>{escape(link)}</a></p>"
        "<div class='grid'>"
        f"<section><h4>Row and metadata</h4>{frame_html(summary, wide=frozenset({'Value'}))}</section>"
        f"<section><h4>Error modes over all records (Appendix L)</h4>"
        f"{frame_html(modes, numeric=frozenset({'Records', 'Share of incorrect'}))}</section></div>"
        f"<h4>Per type: accuracy ± 95% CI half-width, {escape(DROP_DEFINITION)}, error-mode counts</h4>"
        f"<div class='rbtc-scroll-x'>{frame_html(types, numeric=numeric)}</div></div>"
    )


def request_table_html(requests: list[EvalRequest]) -> str:
    """The evaluation queue as the Request tab shows it (newest first)."""
    if not requests:
        return "<p class='rbtc-notes'>No evaluation requests yet.</p>"
    frame = pd.DataFrame(
        [(f"#{r.request_id}", r.model_id, r.revision, r.mode, r.status, r.filed_at_text(),
          f"row #{r.run_id}" if r.run_id else (r.error or "")[:200]) for r in requests],
        columns=["Request", "HF model id", "Revision", "Mode", "Status", "Filed (UTC)", "Result"],
    )  # fmt: skip
    return frame_html(frame, wide=frozenset({"Result"}))


def dataset_ref(config: BoardConfig) -> str:
    """How the Submit and About tabs name the served dataset (its Hub repo, or a placeholder)."""
    text = str(config.dataset_dir)
    return text.removeprefix(HF_PREFIX).strip("/") if text.startswith(HF_PREFIX) else "OWNER/robustbench-tc"


def _note(text: str) -> str:
    """A status line (it may name a submitted model) as escaped HTML."""
    return f"<p class='rbtc-notes'>{escape(text)}</p>" if text else ""


def _picked(values: Any) -> list[str]:
    return [str(v) for v in values] if isinstance(values, (list, tuple)) else picker_defaults()


def build_app(board: Board) -> gr.Blocks:
    config = board.config
    runs = board.store.runs()
    group_choices = groups_in(runs)
    version_choices = data_version_choices(board)
    initial = BoardFilter(min_size_b=0, max_size_b=DEFAULT_MAX_SIZE_B)
    with gr.Blocks(
        title="RobustBench-TC leaderboard", fill_width=True, delete_cache=UPLOAD_CACHE_SWEEP
    ) as demo:
        gr.HTML(HEADER_HTML, js_on_load=None, elem_id="rbtc-header")
        with gr.Tabs(selected="leaderboard") as tabs:
            with gr.Tab("Leaderboard", id="leaderboard"):
                with gr.Row(equal_height=True):
                    search = gr.Textbox(show_label=False, placeholder="Search model, HF id or group",
                                        scale=4, min_width=150, elem_id="search", container=False)  # fmt: skip
                    verified_only = gr.Checkbox(label="Verified only", value=False, scale=1, min_width=110,
                                                elem_id="verified-only", container=False)  # fmt: skip
                with gr.Accordion("Filters and columns", open=False, elem_id="filters"):
                    columns_pick = gr.CheckboxGroup(
                        choices=picker_choices(), value=picker_defaults(), elem_id="column-picker",
                        label="Column groups (Rank, Model, Clean, Pert. Acc. and the Δ columns are always shown)",
                    )  # fmt: skip
                    with gr.Row():
                        min_size = gr.Number(label="Min size (B)", value=0, minimum=0, elem_id="min-size")
                        max_size = gr.Number(label="Max size (B)", value=DEFAULT_MAX_SIZE_B, minimum=0,
                                             elem_id="max-size")  # fmt: skip
                        unknown = gr.Checkbox(label="Include unknown size", value=True)
                    versions = gr.CheckboxGroup(
                        choices=version_choices, value=version_choices, elem_id="data-filter",
                        label="Data version (rows are comparable only within one; each is ranked on its own)",
                    )  # fmt: skip
                    with gr.Row():
                        trained = gr.CheckboxGroup(
                            choices=list(TRAINED_CHOICES), value=list(TRAINED_CHOICES),
                            label="Trained on RobustBench-TC-derived data", elem_id="trained-filter",
                        )  # fmt: skip
                        modes_filter = gr.CheckboxGroup(
                            choices=list(MODE_CHOICES), value=list(MODE_CHOICES), label="Prompt / FC mode"
                        )
                    groups = gr.CheckboxGroup(choices=group_choices, value=group_choices, label="Groups")
                table = gr.HTML(
                    value=leaderboard_html(board, initial),
                    js_on_load=SORT_JS,
                    elem_id="leaderboard-table",
                    padding=False,
                    apply_default_css=False,
                )
                with gr.Row():
                    refresh = gr.Button("Refresh", variant="secondary", size="sm", elem_id="refresh")
                    csv_button = gr.DownloadButton("Download CSV", size="sm", elem_id="download-csv")
                    parquet_button = gr.DownloadButton(
                        "Download Parquet", size="sm", elem_id="download-parquet"
                    )
                gr.Markdown(
                    "Downloads hold the rows shown, with every column: every type's accuracy and CI, ranks, "
                    "status, data fingerprint, scorer version and metadata.", elem_classes="rbtc-notes",
                )  # fmt: skip
            with gr.Tab("Detail", id="detail"):
                with gr.Row():
                    run_pick = gr.Dropdown(
                        choices=detail.run_choices(runs, board.gold.fingerprint), value=None, scale=5,
                        label="Row (any row of the board)", elem_id="detail-run", filterable=True,
                    )  # fmt: skip
                    detail_refresh = gr.Button("Refresh the row list", size="sm", scale=1, min_width=120,
                                               elem_id="detail-refresh")  # fmt: skip
                detail_view = gr.HTML(DETAIL_HINT, js_on_load=None, elem_id="detail-view")
                with gr.Row():
                    per_sample_button = gr.DownloadButton(
                        "Download my per-sample verdicts (JSONL)", visible=False, size="sm",
                        elem_id="per-sample-button",
                    )  # fmt: skip
                per_sample_note = gr.HTML("", js_on_load=None, elem_id="per-sample-note")
                gr.Markdown("### Head-to-head (same data version)")
                with gr.Row():
                    compare_pick = gr.Dropdown(choices=[], value=None, label="Compare with", elem_id="compare-run",
                                               scale=5)  # fmt: skip
                    compare_button = gr.Button("Compare", elem_id="compare-button", scale=1, min_width=120)
                compare_note = gr.HTML("", js_on_load=None, elem_id="compare-note")
                compare_table = gr.HTML("", js_on_load=None, elem_id="compare-table")
                gr.Markdown(GLOSSARY, elem_classes="rbtc-notes")
            with gr.Tab("Plots", id="plots"):
                kind = gr.Radio(
                    choices=[("1 − mean(ΔObs, ΔAct, ΔRew) / Clean (paper Fig. 2)", "paper"),
                             ("Pert. Acc. / Clean", "pert")],
                    value="paper", label="Retention",
                )  # fmt: skip
                gr.Markdown("#### Robustness retention vs. size (paper Fig. 2)")
                retention_plot = gr.Plot(show_label=False, elem_id="retention-plot")
                retention_caption = gr.Markdown(plots.RETENTION_CAPTION["paper"])
                gr.Markdown("#### Δ per component vs. size by family (paper Fig. 3)")
                delta_plot = gr.Plot(show_label=False, elem_id="delta-plot")
                delta_caption = gr.Markdown(plots.DELTA_CAPTION)
                gr.Markdown("#### Per-perturbation drop heatmap (paper Fig. 4)")
                heatmap_plot = gr.Plot(show_label=False, elem_id="heatmap-plot")
                gr.Markdown(plots.HEATMAP_CAPTION)
                gr.Markdown("#### Runtime axes (beyond the paper): drop from the clean episode")
                runtime_plot = gr.Plot(show_label=False, elem_id="runtime-plot")
                gr.Markdown(plots.RUNTIME_CAPTION)
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
                with gr.Accordion("How to make a predictions file: install, dataset, run, score, upload",
                                  open=False):  # fmt: skip
                    gr.Markdown(whole_path(dataset_ref(config)))
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
                components = gr.Dataframe(label=f"Per-component results ({DROP_DEFINITION})", datatype="str",
                                          interactive=False, visible=False, elem_id="submit-components")  # fmt: skip
                modes = gr.Dataframe(label="Error modes (all records)", datatype="str", interactive=False,
                                     visible=False, elem_id="submit-modes")  # fmt: skip
                per_type = gr.Dataframe(label=f"Per-type results ({DROP_DEFINITION})", datatype="str",
                                        interactive=False, wrap=True, visible=False,
                                        elem_id="submit-per-type")  # fmt: skip
            with gr.Tab("Request evaluation", id="request"):
                gr.Markdown(REQUEST_HELP)
                if config.on_space:
                    gr.LoginButton()
                with gr.Row():
                    req_model = gr.Textbox(
                        label="HF model id", placeholder="org/model", elem_id="request-model"
                    )
                    req_revision = gr.Textbox(label="Revision", value="main", elem_id="request-revision")
                    req_mode = gr.Radio(choices=["prompt", "fc"], value="prompt", label="Mode",
                                        elem_id="request-mode")  # fmt: skip
                req_button = gr.Button("Request evaluation", variant="primary", elem_id="request-button")
                req_status = gr.Textbox(label="Request", interactive=False, elem_id="request-status")
                gr.Markdown("#### The queue")
                req_table = gr.HTML(request_table_html(board.queue.list()), js_on_load=None,
                                    elem_id="request-queue")  # fmt: skip
            with gr.Tab("About", id="about"):
                gr.Markdown(ABOUT + whole_path(dataset_ref(config)))

        filters = [
            search,
            verified_only,
            groups,
            min_size,
            max_size,
            unknown,
            versions,
            trained,
            modes_filter,
        ]
        board_inputs = [*filters, columns_pick]

        def show_board(s: Any, vo: Any, g: Any, lo: Any, hi: Any, u: Any, v: Any, t: Any, md: Any,
                       cols: Any = None) -> str:  # fmt: skip
            pull_from_hub(board)
            return leaderboard_html(board, _filter(s, g, lo, hi, u, v, t, md, vo), _picked(cols))

        def prepare_downloads(s: Any, vo: Any, g: Any, lo: Any, hi: Any, u: Any, v: Any, t: Any,
                              md: Any) -> tuple[str, str]:  # fmt: skip
            csv, parquet = board_downloads(board, _filter(s, g, lo, hi, u, v, t, md, vo))
            return csv, parquet

        def show_plots(k: str) -> tuple[Any, ...]:
            all_runs = board.store.runs()
            k = k if k in plots.RETENTION_CAPTION else "paper"
            return (plots.retention_figure(all_runs, k), plots.delta_figure(all_runs),
                    plots.heatmap_figure(all_runs), plots.retention_caption(all_runs, k),
                    plots.delta_caption(all_runs), plots.runtime_figure(all_runs))  # fmt: skip

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

        def row_choices(current: Any = None) -> Any:
            choices = detail.run_choices(board.store.runs(), board.gold.fingerprint)
            valid = {v for _, v in choices}
            return gr.update(choices=choices, value=current if str(current) in valid else None)

        def after_submit(text: str, current: Any) -> Any:
            run_id = accepted_run_id(text)
            return row_choices(str(run_id) if run_id else current)

        def show_detail(
            run_id: Any, request: gr.Request, profile: gr.OAuthProfile | None
        ) -> tuple[str, Any, Any, str]:
            page = detail_page(board, run_id, request)
            run = _run_of(board, run_id)
            choices = detail.compare_choices(board.store.runs(), run) if run is not None else []
            compare = gr.update(choices=choices, value=choices[0][1] if choices else None)
            if run is None:
                return page, compare, gr.update(visible=False, value=None), ""
            note, path = per_sample_handler(board, run_id, request, profile)
            return page, compare, gr.update(visible=path is not None, value=path), _note(note)

        def on_load(request: gr.Request) -> tuple[Any, Any]:
            """Page load: the row list from the store, and ``?row=<id>`` opens that row's detail."""
            wanted = None
            params = getattr(request, "query_params", None) or {}
            raw = params.get("row") if hasattr(params, "get") else None
            if raw and _run_of(board, raw) is not None:
                wanted = str(int(raw))
            return row_choices(wanted), gr.Tabs(selected="detail") if wanted else gr.Tabs()

        def do_compare(a: Any, b: Any) -> tuple[str, str]:
            note, frame = compare_handler(board, a, b)
            numeric = frozenset(c for c in frame.columns if c not in ("Metric", "sig."))
            return _note(note), frame_html(frame, numeric=numeric) if len(frame) else ""

        def do_request(
            m: Any, rev: Any, md: Any, request: gr.Request = None, profile: gr.OAuthProfile | None = None
        ) -> tuple[str, str]:
            text = request_handler(board, m, rev, md, request, profile)
            return text, request_table_html(board.queue.list())

        def show_queue() -> str:
            return request_table_html(board.queue.list())

        for trigger in (
            search.change,
            verified_only.change,
            groups.change,
            min_size.change,
            max_size.change,
            unknown.change,
            versions.change,
            trained.change,
            modes_filter.change,
            columns_pick.change,
            refresh.click,
        ):
            trigger(show_board, board_inputs, table, api_visibility="private", queue=False).then(
                prepare_downloads, filters, [csv_button, parquet_button], api_visibility="private"
            )
        demo.load(show_board, board_inputs, table, api_visibility="private", queue=False).then(
            prepare_downloads, filters, [csv_button, parquet_button], api_visibility="private"
        )

        def leaderboard_api(search: str = "", verified_only: bool = False) -> list[dict[str, Any]]:
            """The board's rows (every data version, ranked within it) as records; Δ = Clean − Acc."""
            flt = BoardFilter(search=str(search or "")[:200], verified_only=bool(verified_only))
            return render_rows_json(leaderboard_sections(board, flt), shown_groups(None))

        gr.api(leaderboard_api, api_name="leaderboard", queue=False)
        detail_outputs = [detail_view, compare_pick, per_sample_button, per_sample_note]
        demo.load(on_load, None, [run_pick, tabs], api_visibility="private", queue=False)
        detail_refresh.click(row_choices, run_pick, run_pick, api_visibility="private", queue=False).then(
            show_detail, run_pick, detail_outputs, api_visibility="private"
        )
        run_pick.change(show_detail, run_pick, detail_outputs, api_visibility="private")
        compare_button.click(do_compare, [run_pick, compare_pick], [compare_note, compare_table],
                             api_visibility="private")  # fmt: skip
        plot_outputs = [
            retention_plot,
            delta_plot,
            heatmap_plot,
            retention_caption,
            delta_caption,
            runtime_plot,
        ]
        demo.load(show_plots, kind, plot_outputs, api_visibility="private")
        kind.change(show_plots, kind, plot_outputs, api_name="plots")
        demo.load(show_queue, None, req_table, api_visibility="private", queue=False)
        req_button.click(do_request, [req_model, req_revision, req_mode], [req_status, req_table],
                         api_name="request_evaluation")  # fmt: skip
        submit.click(
            do_submit, [upload, model, hf_id, params_b, link, revision, license_box, trained_box],
            [status, components, modes, per_type], api_name="submit", concurrency_limit=2,
        ).then(show_results, status, [components, modes, per_type], api_visibility="private", queue=False).then(
            show_board, board_inputs, table, api_visibility="private"
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
        css=APP_CSS + BOARD_CSS,
        head=APP_HEAD,
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
