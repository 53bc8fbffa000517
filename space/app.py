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
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if not __package__:  # run as a script (a Space's `app_file`): make `space` and the core importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402

from robustbench_tc.scoring import ERROR_MODES, MISSING, ScoreReport  # noqa: E402
from robustbench_tc.taxonomy import CLEAN  # noqa: E402
from space import plots  # noqa: E402
from space.board import COLUMNS, BoardFilter, board_frame, groups_in  # noqa: E402
from space.config import BoardConfig, show_mb  # noqa: E402
from space.gold import GoldSet, resolve_dataset_dir  # noqa: E402
from space.seed import load_seed  # noqa: E402
from space.store import Store  # noqa: E402
from space.submit import SubmissionError, SubmissionOutcome, Submitter, clean_meta  # noqa: E402
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


def create_board(config: BoardConfig, *, gold: GoldSet | None = None, sync_api_factory: Any = None) -> Board:
    """Open the store, load the gold (unless given) and the seed (paper rows are re-seeded when
    seed.json changes)."""
    store = Store(config.db_path)
    seed_runs, digest = load_seed(config.seed_path)
    store.sync_seed(seed_runs, digest)
    gold = gold if gold is not None else GoldSet.load(resolve_dataset_dir(config.dataset_dir))
    sync = None
    if config.sync_repo:
        sync = HubSync(
            store, config.sync_repo, token=os.environ.get("HF_TOKEN"), api_factory=sync_api_factory
        )
    submitter = Submitter(config, gold, store, on_stored=sync.on_stored if sync else None)
    return Board(config=config, store=store, gold=gold, submitter=submitter, sync=sync)


# -- handlers (module-level functions of plain values, so they are testable without a server) --
def leaderboard_frame(board: Board, flt: BoardFilter) -> pd.DataFrame:
    alpha = board.config.alpha
    return board_frame(board.store.board_runs(), board.store.pairs_with_p_at_least(alpha), flt, alpha)


def _filter(
    search: str | None, groups: list[str] | None, min_size: Any, max_size: Any, unknown: bool
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
        meta = clean_meta(model, hf_id, params_b, link)
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
        "The row is now on the Leaderboard tab."
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


def build_app(board: Board) -> gr.Blocks:
    config = board.config
    runs = board.store.runs()
    group_choices = groups_in(runs)
    with gr.Blocks(
        title="RobustBench-TC leaderboard", fill_width=True, delete_cache=UPLOAD_CACHE_SWEEP
    ) as demo:
        gr.Markdown(HEADER)
        with gr.Tabs():
            with gr.Tab("Leaderboard", id="leaderboard"):
                with gr.Row():
                    search = gr.Textbox(label="Search model / HF id", placeholder="e.g. Qwen3", scale=2)
                    min_size = gr.Number(label="Min size (B)", value=0, minimum=0)
                    max_size = gr.Number(label="Max size (B)", value=DEFAULT_MAX_SIZE_B, minimum=0)
                    unknown = gr.Checkbox(label="Include unknown size", value=True)
                groups = gr.CheckboxGroup(choices=group_choices, value=group_choices, label="Groups")
                table = gr.Dataframe(
                    value=leaderboard_frame(board, BoardFilter(min_size_b=0, max_size_b=DEFAULT_MAX_SIZE_B)),
                    headers=list(COLUMNS),
                    datatype="str",
                    interactive=False,
                    wrap=True,
                    max_height=900,
                    elem_id="leaderboard-table",
                    label="Sorted by Pert. Acc. (descending)",
                )
                gr.Markdown(
                    "Paper rows: values as printed in Table 2; no per-sample results were published, so "
                    "they take no part in paired tests. Submitted rows: scored here; paired tests against the "
                    "closest earlier submissions in Pert. Acc. (at most 20, same dataset build)."
                )
                refresh = gr.Button("Refresh", variant="secondary")
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
                submit = gr.Button("Submit", variant="primary")
                status = gr.Textbox(label="Result", interactive=False, lines=3, elem_id="submit-status")
                components = gr.Dataframe(label="Per-component results", datatype="str", interactive=False)
                modes = gr.Dataframe(label="Error modes (all records)", datatype="str", interactive=False)
                per_type = gr.Dataframe(
                    label="Per-type results", datatype="str", interactive=False, wrap=True
                )
            with gr.Tab("About", id="about"):
                gr.Markdown(ABOUT)

        filters = [search, groups, min_size, max_size, unknown]

        def show_board(s: str, g: list[str], lo: Any, hi: Any, u: bool) -> pd.DataFrame:
            return leaderboard_frame(board, _filter(s, g, lo, hi, u))

        def show_plots(k: str) -> tuple[Any, Any, Any, str]:
            all_runs = board.store.runs()
            k = k if k in plots.RETENTION_CAPTION else "paper"
            return (plots.retention_figure(all_runs, k), plots.delta_figure(all_runs),
                    plots.heatmap_figure(all_runs), plots.RETENTION_CAPTION[k])  # fmt: skip

        def do_submit(
            f: Any, m: Any, h: Any, p: Any, lk: Any, request: gr.Request, profile: gr.OAuthProfile | None
        ) -> tuple[str, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
            text, comp, per, err = submit_handler(board, f, m, h, p, lk, request, profile)
            return text, comp, err, per

        for trigger in (
            search.submit,
            refresh.click,
            groups.change,
            min_size.submit,
            max_size.submit,
            unknown.change,
        ):
            trigger(show_board, filters, table, api_visibility="private", queue=False)
        gr.on([search.change], show_board, filters, table, api_visibility="private", queue=False)
        demo.load(show_board, filters, table, api_name="leaderboard", queue=False)
        plot_outputs = [retention_plot, delta_plot, heatmap_plot, retention_caption]
        demo.load(show_plots, kind, plot_outputs, api_visibility="private")
        kind.change(show_plots, kind, plot_outputs, api_name="plots")
        submit.click(
            do_submit, [upload, model, hf_id, params_b, link], [status, components, modes, per_type],
            api_name="submit", concurrency_limit=2,
        ).then(show_board, filters, table, api_visibility="private").then(
            show_plots, kind, plot_outputs, api_visibility="private"
        )  # fmt: skip
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
