"""The Space under abuse: refusals cost little and count, names and sizes cannot mislead, duplicates
are found by content, uploads are deleted, limits are the stated ones, forwarded headers and
monitoring are off unless configured. Real SQLite files and real servers on 127.0.0.1."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

from space.app import Board, create_board, remove_upload, submit_handler
from space.budget import BudgetExceeded, run_with_budget
from space.config import BoardConfig, show_mb
from space.names import ReservedNames, skeleton
from space.store import Store
from space.submit import SubmissionError, clean_meta
from tests.space.helpers import N_BOOT_FAST, corrupt_records, launch_board


class Req:
    def __init__(self, host: str) -> None:
        self.client = type("C", (), {"host": host})()


def _submit(board: Board, path: Path, name: str = "m", host: str = "10.0.0.1", size: str = "") -> str:
    return submit_handler(board, str(path), name, "", size, "", Req(host), None)[0]


def _reformatted(oracle: Path, out: Path) -> Path:
    """The same records as a pretty-printed JSON document, in reverse order, with other meta."""
    lines = oracle.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])["header"]
    records = [json.loads(ln) for ln in lines[1:]][::-1]
    for r in records:
        r["meta"] = {"latency_s": 1.25}
    out.write_text(json.dumps({"header": header, "predictions": records}, indent=2), encoding="utf-8")
    return out


def test_duplicates_are_found_by_content_not_bytes(board: Board, oracle_file: Path, tmp_path: Path):
    assert _submit(board, oracle_file).startswith("Accepted")
    plus_newline = tmp_path / "plus_newline.jsonl"
    plus_newline.write_bytes(oracle_file.read_bytes() + b"\n")
    for variant in (plus_newline, _reformatted(oracle_file, tmp_path / "doc.json")):
        status = _submit(board, variant, "again")
        assert status.startswith("Refused") and "already submitted" in status, status
    different = corrupt_records(oracle_file, tmp_path / "one_wrong.jsonl", [3])
    assert _submit(board, different, "one wrong").startswith("Accepted")
    assert board.store.count_runs("submission") == 2


@pytest.mark.parametrize(
    "name, clash",
    [
        ("o4-mini", "o4-mini"),
        ("O4 mini", "o4-mini"),
        ("Qwen3-8B", "Qwen3-8B"),
        ("Qw\u0435n3-8B", "Qwen3-8B"),  # Cyrillic е
        ("\uff31wen3-8B", "Qwen3-8B"),  # full-width Q
        ("qwen3_8b", "Qwen3-8B"),
        ("MUA-RL-l4B", "MUA-RL-14B"),  # lower-case L for the digit 1
    ],
)
def test_names_a_paper_model_could_be_mistaken_for_are_refused(board: Board, oracle_file: Path, name, clash):
    status = _submit(board, oracle_file, name)
    assert status.startswith("Refused") and "paper names are reserved" in status and clash in status, status
    assert board.store.count_runs("submission") == 0


def test_distinct_names_are_accepted_and_skeletons_are_stable(board: Board, oracle_file: Path):
    assert skeleton("GPT-4\u043e") == skeleton("GPT-4o")  # the issue's Cyrillic о
    assert ReservedNames(["GPT-4o"]).clash("GPT-4\u043e") == "GPT-4o"
    assert _submit(board, oracle_file, "Qwen3-8B (my org, vLLM)").startswith("Accepted")


@pytest.mark.parametrize("size, ok", [("1e-300", False), ("0.0001", False), ("20000", False), ("0.135", True),
                                      ("7", True), ("1e3", True)])  # fmt: skip
def test_sizes_outside_a_sane_range_are_refused(size, ok):
    if ok:
        assert clean_meta("m", None, size, None).params_b == float(size)
    else:
        with pytest.raises(SubmissionError, match="between 0.001 and 10000"):
            clean_meta("m", None, size, None)


def test_refusals_count_against_their_own_limit(board_config, gold, oracle_file: Path, tmp_path: Path):
    board = create_board(replace(board_config, refusal_limit_per_hour=3, rate_limit_per_hour=0), gold=gold)
    junk = tmp_path / "junk.jsonl"
    junk.write_bytes(b"{}\n" * 100_000)
    statuses = [_submit(board, junk) for _ in range(3)]
    assert all(s.startswith("Refused") and "Field required" in s for s in statuses), statuses
    blocked = _submit(board, oracle_file)  # even a good file: this user is over the refusal limit
    assert blocked.startswith("Refused") and "refusal limit reached: 3 refused uploads per hour" in blocked
    other = _submit(board, oracle_file, host="10.0.0.2")
    assert other.startswith("Accepted"), other
    assert board.store.count_runs("submission") == 1


def test_time_budget_stops_scoring_with_a_clear_refusal(board_config, gold, oracle_file: Path):
    board = create_board(replace(board_config, time_budget_s=0.001), gold=gold)
    status = _submit(board, oracle_file)
    assert status.startswith("Refused: stopped") and "0.001 s allowed per submission" in status, status
    assert board.store.count_runs("submission") == 0 and board.store.count_sample_results() == 0
    assert board.store.refusals_since(_key(board, "10.0.0.1"), 0) == 1


def _key(board: Board, host: str) -> str:
    from space.app import client_identity

    return client_identity(board.config, Req(host), None)[0]


def test_budget_runs_in_a_child_and_passes_errors_back():
    assert run_with_budget(os.getpid, seconds=30) != os.getpid()
    with pytest.raises(SubmissionError, match="bad"):
        run_with_budget(_raise_submission_error, seconds=30)
    with pytest.raises(BudgetExceeded):
        run_with_budget(_spin, seconds=0.2)


def _raise_submission_error() -> None:
    raise SubmissionError("bad file")


def _spin() -> None:
    while True:
        pass


def test_paired_tests_are_bounded_and_same_dataset_only(tmp_path: Path):
    import numpy as np

    from tests.space.test_store import RESULTS, make_run

    store = Store(tmp_path / "b.sqlite")
    calls: list[list[int]] = []

    def compare(others):
        calls.append(sorted(others))
        return {i: (0.0, 0.5) for i in others}

    ids = []
    for i, pert in enumerate([0.1, 0.2, 0.3, 0.9, 0.31]):
        run = make_run(f"r{i}", sha=f"{i}" * 64, pert=pert)
        ids.append(store.add_submission(run, RESULTS, client_key="k", rate_limit_per_hour=0, compare=compare,
                                        paired_limit=2))  # fmt: skip
    other_data = make_run("other", sha="f" * 64, pert=0.3).model_copy(update={"dataset_fingerprint": "fp2"})
    store.add_submission(other_data, RESULTS, client_key="k", rate_limit_per_hour=0, compare=compare,
                         paired_limit=2)  # fmt: skip
    tested = {run_b: sorted(t.run_a for t in store.paired_tests() if t.run_b == run_b) for run_b in ids}
    assert max(len(v) for v in tested.values()) == 2
    assert tested[ids[4]] == [ids[1], ids[2]]  # 0.31 is closest to 0.3 and 0.2, not 0.9
    assert tested[ids[3]] == [ids[1], ids[2]]
    assert not [t for t in store.paired_tests() if t.run_b == ids[-1] + 1]  # other dataset: no tests
    assert np.all(store.scores(ids[0]) == np.array([1.0, 0.0, 1.0]))


def test_board_render_reads_no_blobs(board: Board, oracle_file: Path):
    assert _submit(board, oracle_file, "with header").startswith("Accepted")
    light = board.store.board_runs()
    full = board.store.runs()
    assert [r.model for r in light] == [r.model for r in full]
    # only the scalars the table shows come out of the JSON columns (extracted by SQLite)
    assert all(r.per_type == {} and set(r.details) <= {"n_records"} for r in light)
    assert all(set(r.metadata) <= {"mode", "trained_on_derived", "verified"} for r in light)
    assert any(r.details for r in full)
    from space.app import leaderboard_frame
    from space.board import BoardFilter, board_frame

    assert leaderboard_frame(board, BoardFilter()).equals(
        board_frame(full, board.store.paired_tests(), served_fingerprint=board.gold.fingerprint)
    )


def test_remove_upload_only_touches_gradio_uploads(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    inside = tmp_path / "gradio" / "abc123" / "p.jsonl"
    inside.parent.mkdir(parents=True)
    inside.write_text("x")
    outside = tmp_path / "mine.jsonl"
    outside.write_text("x")
    assert remove_upload(str(outside)) is False and outside.exists()
    assert remove_upload(str(tmp_path / "gradio" / ".." / "mine.jsonl")) is False and outside.exists()
    assert remove_upload(str(inside)) is True
    assert not inside.exists() and not inside.parent.exists() and (tmp_path / "gradio").is_dir()


# -- a real server ---------------------------------------------------------------------------------
@pytest.fixture
def limited_server(built_dataset: Path, tmp_path: Path, monkeypatch):
    """A server with 1 submission per hour per IP, a 2 MB upload cap and its own upload folder."""
    uploads = tmp_path / "gradio-uploads"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(uploads))
    cap = 2 * 2**20

    def start(**overrides):
        settings = {"n_boot": N_BOOT_FAST, "rate_limit_per_hour": 1, "max_upload_bytes": cap, **overrides}
        config = BoardConfig(
            dataset_dir=built_dataset, db_path=tmp_path / f"b{len(started)}.sqlite", **settings
        )
        board, demo, url = launch_board(config)
        started.append(demo)
        return board, demo, url

    started: list = []
    yield start, uploads
    for demo in started:
        demo.close()


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_forwarded_for_is_ignored_unless_trusted(limited_server, oracle_file: Path, tmp_path: Path):
    start, _ = limited_server
    files = [corrupt_records(oracle_file, tmp_path / f"f{i}.jsonl", [i]) for i in range(4)]
    _, _, url = start()
    first = Client(url, verbose=False).predict(
        handle_file(str(files[0])), "a", "", "", "", api_name="/submit"
    )
    assert first[0].startswith("Accepted"), first[0]
    spoofing = Client(url, verbose=False, headers={"X-Forwarded-For": "203.0.113.7"})
    second = spoofing.predict(handle_file(str(files[1])), "b", "", "", "", api_name="/submit")
    assert second[0].startswith("Refused") and "submission limit reached" in second[0], second[0]
    # an operator who runs it behind a proxy on 127.0.0.1 says so; then the header is believed
    _, _, trusted_url = start(trusted_proxies="127.0.0.1")
    for i, ip in ((2, "203.0.113.7"), (3, "203.0.113.8")):
        client = Client(trusted_url, verbose=False, headers={"X-Forwarded-For": ip})
        status = client.predict(handle_file(str(files[i])), f"via {ip}", "", "", "", api_name="/submit")[0]
        assert status.startswith("Accepted"), status


def test_uploads_are_deleted_and_limits_are_the_stated_ones(
    limited_server, oracle_file: Path, tmp_path: Path
):
    start, uploads = limited_server
    board, demo, url = start(rate_limit_per_hour=0)
    client = Client(url, verbose=False)
    junk = tmp_path / "junk.jsonl"
    junk.write_bytes(b"{}\n" * 300_000)
    refused = client.predict(handle_file(str(junk)), "junk", "", "", "", api_name="/submit")[0]
    accepted = client.predict(handle_file(str(oracle_file)), "ok", "", "", "", api_name="/submit")[0]
    assert refused.startswith("Refused") and accepted.startswith("Accepted"), (refused, accepted)
    assert [p for p in _files_under(uploads) if p.suffix in (".jsonl", ".json")] == []
    # Gradio's own cut-off is the stated limit: one byte more is turned away at upload
    cap = board.config.max_upload_bytes
    over = tmp_path / "over.jsonl"
    over.write_bytes(b" " * (cap + 1))
    at_cap = tmp_path / "at_cap.jsonl"
    at_cap.write_bytes(b" " * cap)

    def post(p: Path) -> httpx.Response:
        return httpx.post(f"{url}gradio_api/upload", files={"files": (p.name, p.read_bytes())}, timeout=60)

    assert post(over).status_code == 413
    assert post(at_cap).status_code == 200
    page = httpx.get(f"{url}config", timeout=30).text
    assert f"files up to **{show_mb(cap)}**" in page and show_mb(cap) == "2 MB"
    assert demo._queue.max_size == board.config.queue_size == 16
    for path in ("monitoring/summary", "gradio_api/monitoring/summary", "monitoring"):
        assert httpx.get(url + path, timeout=30).status_code in (403, 404), path
