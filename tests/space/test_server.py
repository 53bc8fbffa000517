"""A real server on 127.0.0.1 driven through gradio_client: submit, concurrency, no gold leaks."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

from space.app import Board
from tests.space.helpers import corrupt_records

ENDPOINTS = {"/leaderboard", "/plots", "/submit", "/request_evaluation"}


def _gold_strings(board: Board) -> set[str]:
    """Distinctive pieces of the gold answers: call names and long argument values."""
    out: set[str] = set()
    for rows in board.gold.samples.values():
        for sample in rows:
            for answer in sample.golden_answers:
                for call in answer.calls:
                    if len(call.name) >= 8:
                        out.add(call.name)
                    for values in call.arguments.values():
                        out.update(v for v in values if isinstance(v, str) and len(v) >= 12)
    return out


def _client(url: str) -> Client:
    return Client(url, verbose=False, download_files=False)


def _board_rows(client: Client) -> list[dict]:
    return client.predict("", False, api_name="/leaderboard")


def test_only_the_four_endpoints_exist_and_none_returns_gold(server, oracle_file: Path, tmp_path: Path):
    board, url = server
    upload = corrupt_records(oracle_file, tmp_path / "leak.jsonl", [500])
    client = _client(url)
    api = client.view_api(print_info=False, return_format="dict")
    assert set(api["named_endpoints"]) == ENDPOINTS
    assert api["unnamed_endpoints"] == {}
    gold = _gold_strings(board)
    assert len(gold) > 100
    outputs = [
        client.predict("", False, api_name="/leaderboard"),
        client.predict("paper", api_name="/plots"),
        client.predict(handle_file(str(upload)), "leak-check", "", "", "", api_name="/submit"),
        client.predict(handle_file(str(upload)), "leak-check", "", "", "", api_name="/submit"),  # refused
        client.predict("org/leak-check", "main", "prompt", api_name="/request_evaluation"),
        httpx.get(f"{url}config", timeout=30).text,
        httpx.get(f"{url}gradio_api/info", timeout=30).text,
    ]
    assert outputs[2][0].startswith("Accepted") and outputs[3][0].startswith("Refused")
    assert outputs[4][0].startswith("Filed as request #1")
    text = json.dumps(outputs, default=str)
    leaked = [g for g in gold if g in text]
    assert leaked == []


@pytest.mark.parametrize("route", ["gradio_api/file={path}", "file={path}", "gradio_api/file/{path}"])
@pytest.mark.parametrize("config", ["clean", "CD_AB"])
def test_dataset_files_are_never_served(server, route, config):
    board, url = server
    path = Path(board.config.dataset_dir).resolve() / "data" / f"{config}.jsonl"
    assert path.is_file()
    response = httpx.get(url + route.format(path=path), timeout=30)
    assert response.status_code in (403, 404)
    assert "golden_answers" not in response.text


def test_submit_end_to_end(server, oracle_file: Path):
    board, url = server
    client = _client(url)
    before = len(_board_rows(client))
    status, components, modes, per_type = client.predict(
        handle_file(str(oracle_file)), "oracle <img src=x onerror=alert(1)>", "org/oracle", "3",
        "https://example.com", api_name="/submit",
    )  # fmt: skip
    assert status.startswith("Accepted as submission #"), status
    rows = _board_rows(client)
    assert len(rows) == before + 1
    mine = next(r for r in rows if r["model"] == "oracle <img src=x onerror=alert(1)>")
    assert (mine["clean"], mine["pert_acc"], mine["d_obs"]) == (1.0, 1.0, 0.0)
    assert (mine["rank_best"], mine["status"], mine["matches_gold_everywhere"]) == (1, "self-reported", True)
    assert components["data"][0] == ["Clean", "1.000 ± 0.000", "199"]
    # hostile uploads through the real server: refused, nothing added, server still answers
    bad = oracle_file.parent / "hostile.jsonl"
    bad.write_bytes(b"\x00\x01binary")
    status, *_ = client.predict(handle_file(str(bad)), "hostile", "", "", "", api_name="/submit")
    assert status.startswith("Refused") and "binary" in status
    assert len(_board_rows(client)) == before + 1


def test_twenty_concurrent_submissions_give_twenty_rows(server, oracle_file: Path, tmp_path: Path):
    board, url = server
    files = [corrupt_records(oracle_file, tmp_path / f"run{i}.jsonl", [i]) for i in range(20)]
    before = board.store.count_runs("submission")
    statuses: dict[int, str] = {}

    def submit(i: int) -> None:
        status, *_ = _client(url).predict(handle_file(str(files[i])), f"concurrent {i}", "", "", "",
                                          api_name="/submit")  # fmt: skip
        statuses[i] = status

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert sorted(statuses) == list(range(20)), statuses
    assert all(s.startswith("Accepted") for s in statuses.values()), statuses
    assert board.store.count_runs("submission") == before + 20
    names = [r.model for r in board.store.runs() if r.model.startswith("concurrent ")]
    assert sorted(names) == sorted(f"concurrent {i}" for i in range(20))
    n, limit = board.store.count_runs("submission"), board.config.paired_limit
    pairs = [(t.run_a, t.run_b) for t in board.store.paired_tests()]
    assert len(pairs) == len(set(pairs))  # no pair tested twice
    # each submission is tested against the closest earlier ones, at most `limit` (plus any that
    # committed while it was scored), at least min(earlier, limit)
    assert sum(min(k, limit) for k in range(n)) <= len(pairs) <= n * (n - 1) // 2
    assert board.store.integrity_ok()
