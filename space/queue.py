"""The maintainers' evaluation queue (as on the Open LLM Leaderboard): a request names a Hub model,
a revision and the prompt/FC mode; ``robustbench-tc board worker`` evaluates pending requests with
the project's harness and stores each result as a *verified* row.

Two stores of requests, one interface (``RequestQueue``):

- ``SqliteQueue``: the ``eval_requests`` table in the board's own SQLite file (local boards, and a
  Space with persistent storage);
- ``HubQueue``: a PRIVATE Hub dataset repo with one JSON file per request
  (``requests/<id>.json``), for a Space whose worker runs on another machine. Every change is one
  commit made against the head it read (``parent_commit``), so two workers cannot claim the same
  request: the second commit is refused and that worker reads again.

A request moves ``pending -> running -> finished`` (with the stored run id) or ``failed`` (with
the error). The same (model, revision, mode) is evaluated once: filing it again while it is
pending, running or finished is refused; after a failure it may be filed again.

>>> check_request(" Qwen/Qwen2.5-3B-Instruct ", "", "FC")
('Qwen/Qwen2.5-3B-Instruct', 'main', 'fc')
>>> check_request("not a model id!", "main", "prompt")
Traceback (most recent call last):
...
space.queue.RequestError: HF model id must look like 'org/model' (letters, digits, '-', '_', '.'), e.g. Qwen/Qwen2.5-3B-Instruct
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from collections.abc import Callable
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from robustbench_tc.errors import RobustBenchError
from space.store import Store

Status = Literal["pending", "running", "finished", "failed"]
Mode = Literal["prompt", "fc"]
MODES: tuple[Mode, ...] = ("prompt", "fc")
REQUESTS_DIR = "requests"
_MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}$")
_REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,99}$")


class RequestError(RobustBenchError, ValueError):
    """A request that cannot be filed (shown to the requester as is)."""


class EvalRequest(BaseModel):
    """One evaluation request and where it stands."""

    request_id: int
    model_id: str
    revision: str
    mode: Mode
    status: Status
    requester_key: str | None = None
    """Who asked (hashed client key or ``hf:<user>``; never shown, used for the rate limit)."""
    filed_at: float
    started_at: float | None = None
    finished_at: float | None = None
    worker: str | None = None
    run_id: int | None = None
    error: str | None = None

    def filed_at_text(self) -> str:
        return dt.datetime.fromtimestamp(self.filed_at, dt.UTC).strftime("%Y-%m-%d %H:%M")


def check_request(model_id: Any, revision: Any, mode: Any) -> tuple[str, str, Mode]:
    """The request's fields, validated (``RequestError`` names the bad one); revision defaults to main."""
    model = str(model_id or "").strip()
    if not _MODEL_ID.match(model):
        raise RequestError(
            "HF model id must look like 'org/model' (letters, digits, '-', '_', '.'), e.g. Qwen/Qwen2.5-3B-Instruct"
        )
    rev = str(revision or "").strip() or "main"
    if not _REVISION.match(rev) or ".." in rev:
        raise RequestError(
            "revision must be a commit hash, tag or branch (letters, digits, '.', '-', '_', '/')"
        )
    chosen = str(mode or "").strip().lower()
    if chosen not in MODES:
        raise RequestError(f"mode must be one of {', '.join(MODES)}")
    return model, rev, chosen  # type: ignore[return-value]


class RequestQueue(Protocol):
    """Where requests live; both implementations behave the same (tests run the same table on both)."""

    def file(self, model_id: str, revision: str, mode: Mode, requester_key: str | None, *,
             limit_per_hour: int = 0, now: float | None = None) -> EvalRequest: ...  # fmt: skip

    def list(self) -> list[EvalRequest]: ...

    def claim(self, worker: str, *, now: float | None = None) -> EvalRequest | None: ...

    def finish(self, request_id: int, run_id: int, *, now: float | None = None) -> EvalRequest: ...

    def fail(self, request_id: int, error: str, *, now: float | None = None) -> EvalRequest: ...


def _refuse_duplicate_or_flood(
    requests: list[EvalRequest], model_id: str, revision: str, mode: str, requester_key: str | None,
    limit_per_hour: int, now: float,
) -> None:  # fmt: skip
    for r in requests:
        if (r.model_id, r.revision, r.mode) == (model_id, revision, mode) and r.status != "failed":
            raise RequestError(
                f"{model_id} at {revision} ({mode}) is already requested: #{r.request_id} is {r.status}"
                + (f" (row #{r.run_id})" if r.run_id else "")
            )
    recent = [
        r for r in requests if requester_key and r.requester_key == requester_key and r.filed_at >= now - 3600
    ]
    if limit_per_hour > 0 and len(recent) >= limit_per_hour:
        raise RequestError(f"request limit reached: {limit_per_hour} per hour per user; try again later")


def _next_claim(requests: list[EvalRequest], worker: str) -> EvalRequest | None:
    """This worker's own unfinished request first (resume after an interruption), else the oldest pending."""
    mine = [r for r in requests if r.status == "running" and r.worker == worker]
    pending = [r for r in requests if r.status == "pending"]
    chosen = sorted(mine or pending, key=lambda r: r.request_id)
    return chosen[0] if chosen else None


# -- SQLite ---------------------------------------------------------------------------------
_FIELDS = tuple(EvalRequest.model_fields)


class SqliteQueue:
    """Requests in the board's own SQLite file (``eval_requests``, schema version 3)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def _rows(con: Any, where: str = "", args: tuple[Any, ...] = ()) -> list[EvalRequest]:
        rows = con.execute(
            f"SELECT {', '.join(_FIELDS)} FROM eval_requests {where} ORDER BY request_id", args
        )
        return [EvalRequest(**dict(zip(_FIELDS, row, strict=True))) for row in rows.fetchall()]

    def file(self, model_id: str, revision: str, mode: Mode, requester_key: str | None, *,
             limit_per_hour: int = 0, now: float | None = None) -> EvalRequest:  # fmt: skip
        now = time.time() if now is None else now
        with self.store.transaction() as con:  # the checks and the insert in one transaction
            _refuse_duplicate_or_flood(
                self._rows(con), model_id, revision, mode, requester_key, limit_per_hour, now
            )
            cur = con.execute(
                "INSERT INTO eval_requests (model_id, revision, mode, status, requester_key, filed_at) "
                "VALUES (?, ?, ?, 'pending', ?, ?)",
                (model_id, revision, mode, requester_key, now),
            )
            return self._rows(con, "WHERE request_id = ?", (cur.lastrowid,))[0]

    def list(self) -> list[EvalRequest]:
        with self.store.reading() as con:
            return self._rows(con)

    def claim(self, worker: str, *, now: float | None = None) -> EvalRequest | None:
        now = time.time() if now is None else now
        with self.store.transaction() as con:
            chosen = _next_claim(self._rows(con, "WHERE status IN ('pending', 'running')"), worker)
            if chosen is None:
                return None
            con.execute(
                "UPDATE eval_requests SET status = 'running', worker = ?, started_at = ? WHERE request_id = ?",
                (worker, now, chosen.request_id),
            )
            return self._rows(con, "WHERE request_id = ?", (chosen.request_id,))[0]

    def _close(self, request_id: int, status: Status, run_id: int | None, error: str | None,
               now: float | None) -> EvalRequest:  # fmt: skip
        now = time.time() if now is None else now
        with self.store.transaction() as con:
            cur = con.execute(
                "UPDATE eval_requests SET status = ?, run_id = ?, error = ?, finished_at = ? WHERE request_id = ?",
                (status, run_id, error, now, request_id),
            )
            if cur.rowcount != 1:
                raise RequestError(f"no evaluation request #{request_id}")
            return self._rows(con, "WHERE request_id = ?", (request_id,))[0]

    def finish(self, request_id: int, run_id: int, *, now: float | None = None) -> EvalRequest:
        return self._close(request_id, "finished", run_id, None, now)

    def fail(self, request_id: int, error: str, *, now: float | None = None) -> EvalRequest:
        return self._close(request_id, "failed", None, error[:2000], now)


# -- a private Hub dataset ---------------------------------------------------------------------
def request_path(request_id: int) -> str:
    """Where a request lives in the Hub repo.

    >>> request_path(7)
    'requests/000007.json'
    """
    return f"{REQUESTS_DIR}/{request_id:06d}.json"


class HubQueue:
    """Requests as JSON files in a private Hub dataset repo (``requests/<id>.json``).

    Uses ``HfApi.create_repo`` (private), ``list_repo_files``, ``hf_hub_download``, ``repo_info``
    (the head commit) and ``create_commit(parent_commit=head)``: a change made on a stale head is
    refused by the Hub, and the queue reads again and retries (``attempts`` times)."""

    def __init__(self, repo_id: str, *, token: str | None = None, api_factory: Callable[..., Any] | None = None,
                 attempts: int = 4) -> None:  # fmt: skip
        if api_factory is None:
            from huggingface_hub import HfApi

            api_factory = HfApi
        self.repo_id = repo_id
        self.api = api_factory(token=token)
        self.attempts = attempts
        self._lock = threading.Lock()
        self._ready = False

    def _ensure(self) -> None:
        if not self._ready:
            self.api.create_repo(self.repo_id, repo_type="dataset", private=True, exist_ok=True)
            self._ready = True

    def _snapshot(self) -> tuple[str | None, list[EvalRequest]]:
        """(head commit, every request) as of that head."""
        self._ensure()
        head = self.api.repo_info(self.repo_id, repo_type="dataset").sha
        names = sorted(f for f in self.api.list_repo_files(self.repo_id, repo_type="dataset", revision=head)
                       if f.startswith(REQUESTS_DIR + "/") and f.endswith(".json"))  # fmt: skip
        requests = []
        for name in names:
            local = self.api.hf_hub_download(self.repo_id, name, repo_type="dataset", revision=head)
            with open(local, encoding="utf-8") as fh:
                requests.append(EvalRequest.model_validate(json.load(fh)))
        return head, requests

    def _commit(self, head: str | None, request: EvalRequest, message: str) -> None:
        from huggingface_hub import CommitOperationAdd

        data = json.dumps(request.model_dump(mode="json"), ensure_ascii=False, indent=1).encode("utf-8")
        self.api.create_commit(
            self.repo_id,
            [CommitOperationAdd(path_in_repo=request_path(request.request_id), path_or_fileobj=data)],
            commit_message=message,
            repo_type="dataset",
            parent_commit=head,
        )

    def _change(
        self, pick: Callable[[list[EvalRequest]], EvalRequest | None], message: str
    ) -> EvalRequest | None:
        """Read, let ``pick`` make the new version of one request, commit it on the head read; retry on
        a refused commit (someone committed meanwhile)."""
        last: Exception | None = None
        with self._lock:
            for _ in range(self.attempts):
                head, requests = self._snapshot()
                changed = pick(requests)
                if changed is None:
                    return None
                try:
                    self._commit(head, changed, message.format(id=changed.request_id))
                    return changed
                except RequestError:
                    raise
                except Exception as exc:  # noqa: BLE001 - a stale head (HTTP 412) or a transient error
                    last = exc
                    time.sleep(0.2)
        raise RequestError(f"could not update the request queue {self.repo_id}: {last}")

    def file(self, model_id: str, revision: str, mode: Mode, requester_key: str | None, *,
             limit_per_hour: int = 0, now: float | None = None) -> EvalRequest:  # fmt: skip
        now = time.time() if now is None else now

        def pick(requests: list[EvalRequest]) -> EvalRequest:
            _refuse_duplicate_or_flood(requests, model_id, revision, mode, requester_key, limit_per_hour, now)
            return EvalRequest(request_id=max((r.request_id for r in requests), default=0) + 1, model_id=model_id,
                               revision=revision, mode=mode, status="pending", requester_key=requester_key,
                               filed_at=now)  # fmt: skip

        out = self._change(pick, "Request #{id}: " + f"{model_id} at {revision} ({mode})")
        assert out is not None
        return out

    def list(self) -> list[EvalRequest]:
        return self._snapshot()[1]

    def claim(self, worker: str, *, now: float | None = None) -> EvalRequest | None:
        now = time.time() if now is None else now

        def pick(requests: list[EvalRequest]) -> EvalRequest | None:
            chosen = _next_claim(requests, worker)
            return None if chosen is None else chosen.model_copy(update={"status": "running", "worker": worker,
                                                                         "started_at": now})  # fmt: skip

        return self._change(pick, "Request #{id}: running on " + worker)

    def _close(self, request_id: int, update: dict[str, Any], now: float | None) -> EvalRequest:
        now = time.time() if now is None else now

        def pick(requests: list[EvalRequest]) -> EvalRequest:
            for r in requests:
                if r.request_id == request_id:
                    return r.model_copy(update={**update, "finished_at": now})
            raise RequestError(f"no evaluation request #{request_id}")

        out = self._change(pick, "Request #{id}: " + str(update["status"]))
        assert out is not None
        return out

    def finish(self, request_id: int, run_id: int, *, now: float | None = None) -> EvalRequest:
        return self._close(request_id, {"status": "finished", "run_id": run_id, "error": None}, now)

    def fail(self, request_id: int, error: str, *, now: float | None = None) -> EvalRequest:
        return self._close(request_id, {"status": "failed", "error": error[:2000]}, now)


def open_queue(store: Store, repo_id: str | None, *, token: str | None = None,
               api_factory: Callable[..., Any] | None = None) -> RequestQueue:  # fmt: skip
    """The Hub queue when a repo is configured, else the board's own SQLite table."""
    if repo_id:
        return HubQueue(repo_id, token=token, api_factory=api_factory)
    return SqliteQueue(store)
