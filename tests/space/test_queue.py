"""The evaluation queue: the same behaviour from the SQLite table and from a private Hub dataset
(against a local stand-in of the Hub API that refuses commits made on a stale head)."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from space.app import request_handler
from space.queue import HubQueue, RequestError, SqliteQueue, check_request
from space.store import Store
from tests.space.helpers import LocalHub


@pytest.fixture(params=["sqlite", "hub"])
def queue(request, tmp_path: Path):
    if request.param == "sqlite":
        return SqliteQueue(Store(tmp_path / "board.sqlite"))
    hub = LocalHub(tmp_path / "hub")
    q = HubQueue("org/requests", token="t", api_factory=hub.api)
    q.hub = hub  # for the assertions below
    return q


def test_a_request_goes_pending_running_finished(queue):
    first = queue.file("org/a", "main", "prompt", "ip:1", now=100.0)
    second = queue.file("org/b", "v1.0", "fc", "ip:2", now=101.0)
    assert (first.request_id, second.request_id) == (1, 2) and first.status == "pending"
    claimed = queue.claim("gpu-1", now=102.0)
    assert (claimed.request_id, claimed.status, claimed.worker, claimed.started_at) == (
        1,
        "running",
        "gpu-1",
        102.0,
    )
    assert queue.claim("gpu-2").request_id == 2  # another worker takes the next one
    assert queue.claim("gpu-3") is None  # nothing left
    done = queue.finish(1, 22, now=110.0)
    assert (done.status, done.run_id, done.finished_at) == ("finished", 22, 110.0)
    failed = queue.fail(2, "the harness exited with status 1")
    assert failed.status == "failed" and "status 1" in failed.error
    assert [(r.request_id, r.status) for r in queue.list()] == [(1, "finished"), (2, "failed")]


def test_a_restarted_worker_resumes_its_own_request_first(queue):
    queue.file("org/a", "main", "prompt", None, now=1.0)
    queue.file("org/b", "main", "prompt", None, now=2.0)
    assert queue.claim("gpu-1").request_id == 1
    assert queue.claim("gpu-1").request_id == 1  # interrupted and restarted: the same request again
    assert queue.claim("gpu-2").request_id == 2


@pytest.mark.parametrize(
    "again,refused",
    [
        (("org/a", "main", "prompt"), "already requested: #1 is pending"),
        (("org/a", "main", "fc"), None),  # another mode is another evaluation
        (("org/a", "abc123", "prompt"), None),  # another revision too
    ],
)
def test_the_same_model_revision_and_mode_is_evaluated_once(queue, again, refused):
    queue.file("org/a", "main", "prompt", "ip:1")
    if refused:
        with pytest.raises(RequestError, match=refused):
            queue.file(*again, "ip:9")
    else:
        assert queue.file(*again, "ip:9").request_id == 2


def test_a_failed_request_can_be_filed_again_and_flooding_is_limited(queue):
    queue.file("org/a", "main", "prompt", "ip:1", now=0.0)
    queue.claim("w")
    queue.fail(1, "out of memory")
    assert queue.file("org/a", "main", "prompt", "ip:1", now=10.0).request_id == 2
    queue.file("org/b", "main", "prompt", "ip:1", now=20.0)
    with pytest.raises(RequestError, match="request limit reached: 3 per hour"):
        queue.file("org/c", "main", "prompt", "ip:1", limit_per_hour=3, now=30.0)
    assert queue.file("org/c", "main", "prompt", "ip:1", limit_per_hour=3, now=4000.0).request_id == 4


def test_hub_requests_live_in_a_private_repo_one_file_each(tmp_path: Path):
    hub = LocalHub(tmp_path / "hub")
    queue = HubQueue("org/requests", api_factory=hub.api)
    queue.file("org/a", "main", "fc", "hf:alice")
    queue.claim("gpu-1")
    assert hub.repos["org/requests"]["private"] is True
    assert hub.list_repo_files("org/requests", repo_type="dataset") == ["requests/000001.json"]
    assert [message for _, _, message in hub.commits] == [
        "Request #1: org/a at main (fc)", "Request #1: running on gpu-1"
    ]  # fmt: skip
    again = HubQueue("org/requests", api_factory=hub.api)  # another process (the worker) reads the same state
    assert [(r.request_id, r.status, r.worker) for r in again.list()] == [(1, "running", "gpu-1")]


def test_two_hub_workers_never_claim_the_same_request(tmp_path: Path):
    """Each claim is a commit on the head it read; the Hub refuses the second on a stale head and
    that worker reads again and takes the next request."""
    hub = LocalHub(tmp_path / "hub")
    setup = HubQueue("org/requests", api_factory=hub.api)
    for i in range(6):
        setup.file(f"org/m{i}", "main", "prompt", None)
    claimed: list[int] = []
    workers = [HubQueue("org/requests", api_factory=hub.api, attempts=20) for _ in range(3)]

    def take(q: HubQueue, name: str) -> None:
        while (r := q.claim(name)) is not None and r.worker == name and r.status == "running":
            claimed.append(r.request_id)
            q.finish(r.request_id, 100 + r.request_id)

    threads = [threading.Thread(target=take, args=(q, f"w{i}")) for i, q in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(claimed) == [1, 2, 3, 4, 5, 6]  # each exactly once
    assert {r.status for r in setup.list()} == {"finished"}


@pytest.mark.parametrize(
    "fields,message",
    [
        (("", "main", "prompt"), "HF model id"),
        (("just-a-name", "main", "prompt"), "HF model id"),
        (("org/m", "../../etc", "prompt"), "revision"),
        (("org/m", "main; rm -rf /", "prompt"), "revision"),
        (("org/m", "main", "chat"), "mode must be one of prompt, fc"),
    ],
)
def test_bad_request_fields_are_refused_by_name(fields, message, tmp_path: Path):
    with pytest.raises(RequestError, match=message):
        check_request(*fields)
    board = SimpleNamespace(config=SimpleNamespace(on_space=False, rate_limit_per_hour=5),
                            queue=SqliteQueue(Store(tmp_path / "b.sqlite")))  # fmt: skip
    local = SimpleNamespace(client=SimpleNamespace(host="127.0.0.1"))
    status = request_handler(board, *fields, local, None)
    assert status.startswith("Refused:") and message in status
    assert board.queue.list() == []


def test_the_request_form_files_once(tmp_path: Path):
    board = SimpleNamespace(config=SimpleNamespace(on_space=False, rate_limit_per_hour=5),
                            queue=SqliteQueue(Store(tmp_path / "b.sqlite")))  # fmt: skip
    local = SimpleNamespace(client=SimpleNamespace(host="127.0.0.1"))
    assert request_handler(
        board, "HuggingFaceTB/SmolLM2-135M-Instruct", "", "prompt", local, None
    ).startswith("Filed as request #1")
    assert "already requested" in request_handler(board, "HuggingFaceTB/SmolLM2-135M-Instruct", "main", "prompt",
                                                  local, None)  # fmt: skip
    (request,) = board.queue.list()
    assert request.requester_key.startswith("ip:") and request.revision == "main"
