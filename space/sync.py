"""Optional backup of the result rows to a Hugging Face dataset repo.

Enabled on a Space by ``RBTC_SYNC_REPO=owner/name`` (plus an ``HF_TOKEN`` secret with write
access). After each stored submission the whole table (paper rows and submissions, without
per-sample results or client keys) is uploaded as ``results.jsonl`` with ``HfApi.upload_file``,
in a background thread so the submitter never waits on the Hub. Failures are logged, never raised.

>>> rows = [{"model": "<b>x</b>", "pert_acc": 0.5}]
>>> export_jsonl(rows)
b'{"model": "<b>x</b>", "pert_acc": 0.5}\\n'
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from space.store import Run, Store

log = logging.getLogger(__name__)

RESULTS_PATH = "results.jsonl"

_PRIVATE_FIELDS = {"file_sha256"}


def export_jsonl(rows: Iterable[dict[str, Any]]) -> bytes:
    """One JSON object per line (UTF-8)."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


class HubSync:
    """Uploads ``results.jsonl`` to ``repo_id`` (a dataset repo) after each submission."""

    def __init__(
        self,
        store: Store,
        repo_id: str,
        *,
        token: str | None = None,
        api_factory: Callable[..., Any] | None = None,
    ) -> None:
        if api_factory is None:
            from huggingface_hub import HfApi

            api_factory = HfApi
        self.store = store
        self.repo_id = repo_id
        self.api = api_factory(token=token)
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def rows(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k not in _PRIVATE_FIELDS} for r in self.store.export_rows()]

    def push(self, commit_message: str = "Update leaderboard results") -> bool:
        """Upload the current table now; True on success."""
        with self._lock:  # one upload at a time; each sends the latest full table
            try:
                self.api.upload_file(
                    path_or_fileobj=export_jsonl(self.rows()),
                    path_in_repo=RESULTS_PATH,
                    repo_id=self.repo_id,
                    repo_type="dataset",
                    commit_message=commit_message,
                )
            except Exception:  # noqa: BLE001 - a Hub outage must not break submissions
                log.exception("leaderboard sync to %s failed", self.repo_id)
                return False
        return True

    def on_stored(self, run: Run) -> None:
        """Submission hook: push in the background."""
        thread = threading.Thread(
            target=self.push, args=(f"Add submission #{run.run_id}",), name="rbtc-hub-sync", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def wait(self, timeout: float | None = None) -> None:
        """Join pending uploads (tests, shutdown)."""
        for thread in list(self._threads):
            thread.join(timeout)
