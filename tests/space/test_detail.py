"""Detail view, head-to-head, per-sample download, board downloads, metadata and data versions."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from robustbench_tc.predictions import parse_predictions
from robustbench_tc.scoring import ERROR_MODES, MISSING, SCORER_VERSION, score_predictions
from robustbench_tc.taxonomy import CODE_NAMES
from space.app import (
    Board,
    board_download_handler,
    compare_handler,
    detail_handler,
    per_sample_handler,
    served_data_version,
    submit_handler,
)
from space.board import HIDDEN_COLUMNS, PAPER_DATA, BoardFilter, board_frame
from space.submit import MetadataError, clean_meta
from tests.space.helpers import corrupt_records

LOCAL = SimpleNamespace(client=SimpleNamespace(host="127.0.0.1"))
OTHER = SimpleNamespace(client=SimpleNamespace(host="10.0.0.9"))


def _submit(board: Board, path: Path, name: str, request=LOCAL, **meta) -> int:
    status, *_ = submit_handler(board, str(path), name, "", "3", "", request, None, **meta)
    assert status.startswith("Accepted"), status
    return int(status.split("#")[1].split()[0])


@pytest.fixture
def two_runs(board: Board, oracle_file: Path, tmp_path: Path) -> tuple[int, int, Path]:
    broken = corrupt_records(oracle_file, tmp_path / "broken.jsonl", list(range(0, 4000, 40)))
    a = _submit(board, oracle_file, "<script>alert(1)</script>", revision="abc123", license="apache-2.0",
                trained_on_derived="yes")  # fmt: skip
    b = _submit(board, broken, "broken")
    return a, b, broken


def test_every_row_states_its_data_version_and_ranks_within_it(board: Board, two_runs):
    a, b, _ = two_runs
    frame = board_frame(
        board.store.runs(), board.store.paired_tests(), served_fingerprint=board.gold.fingerprint
    )
    served = served_data_version(board)
    assert frame["Data version"].tolist()[:2] == [served, served] and set(frame["Data version"][2:]) == {
        PAPER_DATA
    }
    assert frame["Rank"].tolist()[:3] == ["1", "2", "1–5"]  # the paper's best is 1st of its own data version
    assert frame["Scorer"].tolist()[:3] == [f"v{SCORER_VERSION}", f"v{SCORER_VERSION}", "paper's"]
    only_paper = board_frame(board.store.runs(), flt=BoardFilter(data_versions=(PAPER_DATA,)))
    assert len(only_paper) == 21
    derived = board_frame(board.store.runs(), flt=BoardFilter(trained=("yes",)))
    assert set(derived["Model"]) == {"<script>alert(1)</script>", "ToolRL-DR-Full", "ToolRL-DR-Mixed"}


def test_detail_view_shows_metadata_types_and_error_modes(board: Board, two_runs):
    a, b, _ = two_runs
    title, summary, types, modes, compare = detail_handler(board, str(b))
    assert title.startswith(f"#{b} broken · {served_data_version(board)}")
    fields = dict(zip(summary["Field"], summary["Value"], strict=True))
    assert (
        fields["Predictions header: engine"] == "oracle"
        and fields["Data fingerprint"] == board.gold.fingerprint
    )
    assert len(types) == 23 and types.iloc[0]["Type"] == "Clean"
    assert all("±" in v for v in types["Acc ± 95% CI"])
    assert {*ERROR_MODES[1:], MISSING, "ghost-tool calls"} <= set(
        types.columns
    )  # whatever the report carries
    counts = dict(zip(modes["Error mode (Appendix L)"], modes["Records"], strict=True))
    assert int(counts["omitted"]) == 100
    assert counts["ghost-tool calls (App. N (7), calls / all calls)"].startswith("0 / ")
    assert compare["choices"] == [(f"#{a} <script>alert(1)</script>", str(a))]
    meta = dict(zip(*detail_handler(board, str(a))[1].T.values, strict=True))
    assert meta["Model revision (declared)"] == "abc123" and meta["License (declared)"] == "apache-2.0"
    assert meta["Trained on RobustBench-TC-derived data (declared)"] == "yes"
    paper = next(r for r in board.store.runs() if r.origin == "paper")
    _, _, paper_types, paper_modes, paper_compare = detail_handler(board, str(paper.run_id))
    assert len(paper_types) == 23 and "not published" in paper_modes.iloc[0, 0]
    assert all(str(a) != v for _, v in paper_compare["choices"])  # never offered across data versions


def test_head_to_head_p_values_equal_the_scorers_paired_test(board: Board, two_runs, oracle_file: Path):
    a, b, broken = two_runs
    note, frame = compare_handler(board, str(b), str(a))
    assert "paired bootstrap" in note.lower()
    rows = frame.set_index("Metric")
    report = score_predictions(
        board.gold.samples, parse_predictions(broken.read_bytes()), reference=parse_predictions(oracle_file.read_bytes()),
        n_boot=board.config.n_boot, seed=0,
    )  # fmt: skip
    scorer = {t.metric: t for t in report.paired}
    assert rows.loc["Pert. Acc.", "p (paired bootstrap)"] == f"{scorer['pert_acc'].p_value:.4f}"
    assert rows.loc["Clean", "A − B"] == f"{scorer['clean'].diff:+.3f}"
    assert rows.loc["Acc Typo", "p (paired bootstrap)"] == f"{scorer['acc.realistic_typos'].p_value:.4f}"
    assert len(frame) == 2 + 4 + 22
    paper = next(r for r in board.store.runs() if r.origin == "paper")
    refused, empty = compare_handler(board, str(a), str(paper.run_id))
    assert refused.startswith("Not compared") and "not comparable" in refused and empty.empty


def test_per_sample_download_is_the_submitters_and_holds_no_gold(board: Board, two_runs):
    a, b, _ = two_runs
    status, path = per_sample_handler(board, str(b), LOCAL, None)
    records = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]
    assert len(records) == board.gold.n_records and status.startswith(f"{len(records):,} records")
    assert set(records[0]) == {"id", "perturbation", "correct", "error_mode", "calls"}
    wrong = [r for r in records if r["correct"] == 0.0]
    assert len(wrong) == 100 and all(r["error_mode"] == "omitted" and r["calls"] == [] for r in wrong)
    assert all(r["calls"] for r in records if r["correct"] == 1.0)
    text = Path(path).read_text(encoding="utf-8")
    assert "golden_answers" not in text and "gold" not in text
    refused, nothing = per_sample_handler(board, str(b), OTHER, None)
    assert nothing is None and "only to the submitter" in refused
    paper = next(r for r in board.store.runs() if r.origin == "paper")
    assert per_sample_handler(board, str(paper.run_id), LOCAL, None)[1] is None


def test_board_downloads_hold_shown_and_hidden_columns(board: Board, two_runs):
    a, _, _ = two_runs
    csv = pd.read_csv(board_download_handler(board, "csv", BoardFilter()), dtype=str, keep_default_na=False)
    parquet = pd.read_parquet(board_download_handler(board, "parquet", BoardFilter()))
    for frame in (csv, parquet):
        assert len(frame) == 23
        assert {
            "Data version",
            "Scorer",
            "data_fingerprint",
            "scorer_version",
            "license",
            "header_engine",
        } <= set(frame.columns)
        # every type's accuracy, CI half-width and drop (Clean − Acc) as numbers
        assert {f"{k}.{c}" for c in CODE_NAMES for k in ("acc", "drop")} | {
            f"acc.{c}_ci" for c in CODE_NAMES
        } <= set(frame.columns)
        assert list(frame.columns)[-len(HIDDEN_COLUMNS) :] == list(HIDDEN_COLUMNS)
    mine = parquet[parquet["run_id"] == a].iloc[0]
    assert mine["data_fingerprint"] == board.gold.fingerprint and mine["license"] == "apache-2.0"
    assert mine["Model"] == "<script>alert(1)</script>"  # kept verbatim (inert text)
    assert set(csv.loc[csv["origin"] == "paper", "Data version"]) == {PAPER_DATA}
    assert mine["acc.CD_AB"] == 1.0 and mine["drop.CD_AB"] == 0.0 and mine["status"] == "self-reported"
    assert bool(mine["matches_gold_everywhere"]) is True  # the oracle file is flagged
    qwen = parquet[parquet["Model"] == "Qwen3-14B"].iloc[0]
    assert qwen["drop.CD_AB"] == pytest.approx(qwen["clean"] - qwen["acc.CD_AB"]) and qwen["acc.CD_AB_ci"] > 0


@pytest.mark.parametrize(
    "fields,fragment",
    [
        ({"revision": "main; rm -rf /"}, "model revision"),
        ({"revision": "x" * 101}, "model revision"),
        ({"license": "<a href=x>MIT</a>"}, "license"),
        ({"license": "m" * 65}, "license"),
        ({"trained_on_derived": "maybe"}, "trained on RobustBench-TC-derived data"),
    ],
)
def test_bad_metadata_is_refused_with_a_clear_error(fields, fragment, board: Board, oracle_file: Path):
    with pytest.raises(MetadataError, match=fragment):
        clean_meta("m", None, None, None, **fields)
    status, *_ = submit_handler(board, str(oracle_file), "m", "", "", "", None, None, **fields)
    assert status.startswith("Refused") and fragment in status
    assert board.store.count_runs("submission") == 0
