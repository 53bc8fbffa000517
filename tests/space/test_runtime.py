"""Runtime configs (beyond the paper) on the board: a submission with trajectories is replayed and
its axes fill the "Runtime (beyond the paper)" columns and plot; a forged tool message is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from robustbench_tc.taxonomy import RUNTIME_CONFIG_NAMES, RUNTIME_TYPES
from space import plots
from space.app import Board, submit_handler
from space.columns import RUNTIME_ACCURACY, RUNTIME_DROPS, picker_choices, shown_groups
from space.detail import types_frame
from space.table import render_board


@pytest.fixture(scope="module")
def runtime_file(built_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every config: the gold for the paper's, the scripted never-retry agent for the runtime ones."""
    from robustbench_tc.scoring.oracle import write_oracle

    return write_oracle(
        built_dataset, tmp_path_factory.mktemp("runtime") / "never_retry.jsonl", agent="never_retry"
    )


def forged(path: Path, out: Path) -> tuple[Path, str]:
    """``path`` with one tool message of one runtime record changed (an error turned into a success)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        record = json.loads(line)
        if record.get("perturbation") == "prerequisite_dependency":
            step = record["trajectory"][0]
            step["observations"][0] = json.dumps({"name": "x", "status": "success", "result": {}})
            lines[i] = json.dumps(record, ensure_ascii=False)
            out.write_text("\n".join(lines) + "\n", encoding="utf-8")
            return out, record["id"]
    raise AssertionError("no runtime record")


def test_runtime_submission_fills_the_runtime_columns_and_plot(board: Board, runtime_file: Path) -> None:
    status, *_ = submit_handler(board, str(runtime_file), "never retries", "", "", "", None, None)
    assert status.startswith("Accepted"), status
    run = next(r for r in board.store.runs() if r.model == "never retries")
    assert (
        run.clean == 1.0 and run.pert_acc == 1.0
    )  # the paper's columns: the gold, unchanged by runtime rows
    assert run.details["n_runtime_records"] == sum(run.per_type[c]["n"] for c in RUNTIME_CONFIG_NAMES)
    cells = {c: run.per_type[c] for c in RUNTIME_CONFIG_NAMES}
    assert (
        cells["prerequisite_dependency"]["acc"] == 0.0 and cells["prerequisite_dependency"]["recovery"] == 0.0
    )
    assert cells["prerequisite_dependency"]["drop"] == 1.0  # Clean-Ep − Acc: all lost
    assert cells["tool_result_injection"]["attack_success"] == 0.0
    assert cells["tool_result_injection"]["utility"] == 1.0
    assert (
        "Runtime (beyond the paper)" in picker_choices()
        and "Runtime drops (Clean-Ep − Acc)" in picker_choices()
    )
    from space.board import ranked_sections

    html = render_board(ranked_sections(board.store.board_runs(per_type=True)),
                        shown_groups(["Runtime (beyond the paper)", "Runtime drops (Clean-Ep − Acc)"]))  # fmt: skip
    for col in (*RUNTIME_ACCURACY.columns, *RUNTIME_DROPS.columns):
        assert f"data-col='{col.key}'" in html, col.key
    assert "+1.000" in html  # the prerequisite drop, shaded as every drop
    frame = types_frame(run)  # the detail tab: one row per runtime config, its drop from Clean-Ep
    runtime_rows = frame[frame["Component"] == "runtime"]
    assert len(runtime_rows) == len(RUNTIME_CONFIG_NAMES)
    prereq = runtime_rows[runtime_rows["Type"] == "Prereq"].iloc[0]
    assert prereq["Drop (Clean − Acc)"] == "+1.000 (from Clean-Ep)" and prereq["unrecovered"] != "0"
    figure = plots.runtime_figure(board.store.runs())
    (trace,) = figure.data
    assert (
        list(trace.x)
        and trace.y[[t.code_name for t in RUNTIME_TYPES][1:].index("prerequisite_dependency")] == 1.0
    )


def test_forged_tool_message_is_refused_and_nothing_is_stored(
    board: Board, runtime_file: Path, tmp_path: Path
) -> None:
    path, sample_id = forged(runtime_file, tmp_path / "forged.jsonl")
    before = board.store.count_runs()
    status, *_ = submit_handler(board, str(path), "forger", "", "", "", None, None)
    assert status.startswith("Refused") and "do not replay in the tool world" in status, status
    assert sample_id in status and "the tool messages differ" in status
    assert board.store.count_runs() == before


def test_a_partial_runtime_config_is_incomplete(board: Board, runtime_file: Path, tmp_path: Path) -> None:
    lines = runtime_file.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if '"perturbation": "silent_noop"' not in line] + [
        next(line for line in lines if '"perturbation": "silent_noop"' in line)
    ]
    path = tmp_path / "partial.jsonl"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    status, *_ = submit_handler(board, str(path), "partial", "", "", "", None, None)
    assert status.startswith("Refused") and "incomplete predictions" in status and "silent_noop" in status, (
        status
    )
