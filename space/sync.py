"""Mirror of the leaderboard to a Hugging Face dataset repo, restored when the Space starts.

A Space's disk is not persistent (without paid storage the SQLite file is gone after a restart),
so with ``RBTC_SYNC_REPO=owner/name`` (and an ``HF_TOKEN`` secret with write access) every
accepted submission is mirrored with ``huggingface_hub``'s own API, and the board restores them
on start:

- after each stored submission, ONE commit (``HfApi.create_commit`` with two
  ``CommitOperationAdd``) adds ``submissions/<run id>-<sha256[:16]>.json.gz`` (everything the
  store holds about it: the row, its per-sample results with error modes, its raw predictions
  file, score history and paired tests) and rewrites ``results.jsonl`` (the whole table, without
  file hashes or client keys). It runs in a background thread, so the submitter never waits on
  the Hub; failures are logged, never raised, and retried with the next submission's commit
  (every commit re-sends the files the Hub does not have yet).
- on start (``restore``), ``list_repo_files`` + ``hf_hub_download`` read every mirrored
  submission that the store lacks (same file sha256) and insert it with its run id, one
  transaction each (``Store.restore_submission``).

The repo is created PRIVATE (``create_repo(private=True, exist_ok=True)``): raw predictions and
per-sample verdicts of an oracle-like submission would disclose gold answers, and the hashed
client keys (needed to keep "per-sample verdicts only for their submitter" after a restore) are
not public data. Upload per submission rather than ``CommitScheduler`` (which pushes a folder
every few minutes): a restart inside that window would lose the submissions made in it.

>>> rows = [{"model": "<b>x</b>", "pert_acc": 0.5}]
>>> export_jsonl(rows)
b'{"model": "<b>x</b>", "pert_acc": 0.5}\\n'
>>> submission_path(22, "ab" * 32)
'submissions/000022-abababababababab.json.gz'
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from space.store import Run, Store, SubmissionRecord

log = logging.getLogger(__name__)

RESULTS_PATH = "results.jsonl"
SUBMISSIONS_DIR = "submissions"

_PRIVATE_FIELDS = {"file_sha256"}


def export_jsonl(rows: Iterable[dict[str, Any]]) -> bytes:
    """One JSON object per line (UTF-8)."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def submission_path(run_id: int, sha256: str | None) -> str:
    return f"{SUBMISSIONS_DIR}/{run_id:06d}-{(sha256 or 'nohash')[:16]}.json.gz"


def encode_record(record: SubmissionRecord) -> bytes:
    """A stored submission as gzip-compressed JSON (raw predictions base64-encoded)."""
    doc = record.model_dump(mode="json", exclude={"raw_predictions"})
    raw = record.raw_predictions
    doc["raw_predictions_b64"] = base64.b64encode(raw).decode("ascii") if raw is not None else None
    return gzip.compress(json.dumps(doc, ensure_ascii=False).encode("utf-8"), mtime=0)


def decode_record(data: bytes) -> SubmissionRecord:
    doc = json.loads(gzip.decompress(data))
    raw = doc.pop("raw_predictions_b64", None)
    doc["raw_predictions"] = base64.b64decode(raw) if raw is not None else None
    return SubmissionRecord.model_validate(doc)


class HubSync:
    """Mirrors submissions to ``repo_id`` (a private dataset repo) and restores them."""

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
        self._mirrored: set[str] = set()
        """Submission files the repo has (listed once, then kept up to date by our own commits)."""
        self._listed = False
        self._repo_ready = False

    def rows(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k not in _PRIVATE_FIELDS} for r in self.store.export_rows()]

    def _ensure_repo(self) -> None:
        if not self._repo_ready:
            self.api.create_repo(self.repo_id, repo_type="dataset", private=True, exist_ok=True)
            self._repo_ready = True

    def _remote_files(self) -> set[str]:
        return set(self.api.list_repo_files(self.repo_id, repo_type="dataset"))

    def push(self, commit_message: str = "Update leaderboard results") -> bool:
        """One commit: every stored submission the repo lacks, plus the current table. True on success."""
        from huggingface_hub import CommitOperationAdd

        with self._lock:  # one commit at a time; each carries everything not mirrored yet
            try:
                self._ensure_repo()
                if not self._listed:
                    self._mirrored |= {f for f in self._remote_files() if f.startswith(SUBMISSIONS_DIR + "/")}
                    self._listed = True
                operations = []
                added = []
                for run_id in self.store.submission_ids():
                    record = self.store.submission_record(run_id)
                    path = submission_path(run_id, record.run.file_sha256)
                    if path not in self._mirrored:
                        operations.append(
                            CommitOperationAdd(path_in_repo=path, path_or_fileobj=encode_record(record))
                        )
                        added.append(path)
                operations.append(
                    CommitOperationAdd(path_in_repo=RESULTS_PATH, path_or_fileobj=export_jsonl(self.rows()))
                )
                self.api.create_commit(
                    self.repo_id, operations, commit_message=commit_message, repo_type="dataset"
                )
                self._mirrored.update(added)
            except Exception:  # noqa: BLE001 - a Hub outage must not break submissions
                log.exception("leaderboard sync to %s failed", self.repo_id)
                return False
        return True

    def refresh(self, run_ids: Iterable[int], commit_message: str) -> bool:
        """Re-send the given submissions (e.g. after a rescore changed their scores)."""
        with self._lock:
            for run_id in run_ids:
                record = self.store.submission_record(run_id)
                self._mirrored.discard(submission_path(run_id, record.run.file_sha256))
        return self.push(commit_message)

    def restore(self) -> list[int]:
        """Insert every mirrored submission the store lacks (by file sha256); returns their run ids.
        Failures are logged: the board then starts with what the store already has. Files already
        seen (restored or pushed by this process) are not downloaded again, so the board's periodic
        pull (``app.pull_from_hub``) reads only what another process (a worker) added."""
        restored: list[int] = []
        try:
            files = sorted(f for f in self._remote_files() if f.startswith(SUBMISSIONS_DIR + "/"))
        except Exception:  # noqa: BLE001
            log.exception("cannot list %s; starting without restoring submissions", self.repo_id)
            return restored
        self._listed = True
        for name in files:
            if name in self._mirrored:
                continue
            try:
                local = self.api.hf_hub_download(self.repo_id, name, repo_type="dataset")
                record = decode_record(Path(local).read_bytes())
                run_id = self.store.restore_submission(record)
            except Exception:  # noqa: BLE001 - one bad file must not stop the others
                log.exception("cannot restore %s from %s", name, self.repo_id)
                continue
            self._mirrored.add(name)
            if run_id is not None:
                restored.append(run_id)
        if restored:
            log.info("restored %d submission(s) from %s", len(restored), self.repo_id)
        return restored

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
