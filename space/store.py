"""The leaderboard's SQLite store: runs (paper rows and submissions), per-sample results, paired tests.

Stdlib ``sqlite3`` in WAL mode with ``synchronous=FULL``. Every submission is written in ONE
``BEGIN IMMEDIATE`` transaction (run row, per-sample correctness, paired tests), so a crash at
any point leaves either the whole submission or nothing. The duplicate-file check and the
per-user rate limit run inside that same transaction, so concurrent submissions cannot slip past
them. The schema carries a version in ``meta``; opening a newer database refuses to run.

>>> import tempfile, pathlib
>>> store = Store(pathlib.Path(tempfile.mkdtemp()) / "board.sqlite")
>>> store.count_runs(), store.schema_version()
(0, 3)

Schema history: version 1 (runs, per-sample scores, paired tests); version 2 adds each run's
scorer version and submission metadata, each record's error mode, the raw predictions file of
each submission (for rescoring) and the score history; version 3 adds the maintainers'
evaluation queue (``eval_requests``, see ``space.queue``). An older file is upgraded in place,
one version per transaction at open (nothing is lost; a failure rolls that step back).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
from pydantic import BaseModel, Field

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.taxonomy import METRIC_KEYS

SCHEMA_VERSION = 3

METRICS: tuple[str, ...] = METRIC_KEYS
"""Headline numbers of a run; each also has a ``<name>_ci`` 95% half-width."""

_V2_TABLES = """
CREATE TABLE IF NOT EXISTS submission_files (
    run_id INTEGER PRIMARY KEY REFERENCES runs (run_id) ON DELETE CASCADE,
    encoding TEXT NOT NULL CHECK (encoding IN ('zlib')),
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS score_history (
    run_id INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    scorer_version INTEGER,
    superseded_at REAL NOT NULL,
    scores TEXT NOT NULL,
    PRIMARY KEY (run_id, superseded_at)
);
"""

_MIGRATE_1_TO_2 = (
    "ALTER TABLE runs ADD COLUMN scorer_version INTEGER",
    "ALTER TABLE runs ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}'",
    "UPDATE runs SET scorer_version = 1 WHERE origin = 'submission'",  # v1 stored scorer-1 scores
    "ALTER TABLE sample_results ADD COLUMN error_mode TEXT",
    *(s.strip() for s in _V2_TABLES.split(";") if s.strip()),
    "UPDATE meta SET value = '2' WHERE key = 'schema_version'",
)
"""Version 1 -> 2, run in one ``BEGIN IMMEDIATE`` transaction (SQLite's ALTER TABLE is transactional)."""

_V3_TABLES = """
CREATE TABLE IF NOT EXISTS eval_requests (
    request_id INTEGER PRIMARY KEY AUTOINCREMENT,
    model_id TEXT NOT NULL,
    revision TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('prompt', 'fc')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'finished', 'failed')),
    requester_key TEXT,
    filed_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    worker TEXT,
    run_id INTEGER,
    error TEXT
);
CREATE INDEX IF NOT EXISTS eval_requests_status ON eval_requests (status, request_id);
"""

_MIGRATE_2_TO_3 = (
    *(s.strip() for s in _V3_TABLES.split(";") if s.strip()),
    "UPDATE meta SET value = '3' WHERE key = 'schema_version'",
)
"""Version 2 -> 3: the evaluation queue (a new table; nothing else changes)."""

_MIGRATIONS: dict[int, tuple[str, ...]] = {1: _MIGRATE_1_TO_2, 2: _MIGRATE_2_TO_3}

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL CHECK (origin IN ('paper', 'submission')),
    model TEXT NOT NULL,
    grp TEXT NOT NULL,
    family TEXT,
    params_b REAL,
    hf_id TEXT,
    link TEXT,
    submitter TEXT,
    client_key TEXT,
    file_sha256 TEXT UNIQUE,
    dataset_fingerprint TEXT,
    created_at REAL NOT NULL,
    {", ".join(f"{m} REAL, {m}_ci REAL" for m in METRICS)},
    per_type TEXT NOT NULL,
    details TEXT NOT NULL,
    scorer_version INTEGER,
    metadata TEXT NOT NULL DEFAULT '{{}}'
);
CREATE INDEX IF NOT EXISTS runs_client ON runs (client_key, created_at);
CREATE TABLE IF NOT EXISTS sample_results (
    run_id INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    config TEXT NOT NULL,
    position INTEGER NOT NULL,
    sample_id TEXT NOT NULL,
    score REAL NOT NULL CHECK (score >= 0 AND score <= 1),
    error_mode TEXT,
    PRIMARY KEY (run_id, config, position),
    UNIQUE (run_id, config, sample_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refusals (
    client_key TEXT NOT NULL,
    created_at REAL NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS refusals_client ON refusals (client_key, created_at);
CREATE TABLE IF NOT EXISTS paired_tests (
    run_a INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    run_b INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    metric TEXT NOT NULL,
    diff REAL NOT NULL,
    p_value REAL NOT NULL,
    PRIMARY KEY (run_a, run_b, metric),
    CHECK (run_a < run_b)
);
{_V2_TABLES}
{_V3_TABLES}
"""


class StoreError(RobustBenchError, RuntimeError):
    """The database cannot be used (newer schema, corrupt file)."""


class DuplicateSubmission(RobustBenchError, ValueError):
    """A file with the same sha256 was already submitted."""


class RateLimited(RobustBenchError, ValueError):
    """The submitter reached the per-hour submission limit."""


class Run(BaseModel):
    """One leaderboard row as stored: a paper model or a scored submission."""

    run_id: int | None = None
    origin: Literal["paper", "submission"]
    model: str
    group: str
    family: str | None = None
    params_b: float | None = None
    hf_id: str | None = None
    link: str | None = None
    submitter: str | None = None
    file_sha256: str | None = Field(
        default=None,
        description="Submissions: sha256 of the predictions' content (PredictionsFile.content_digest: "
        "the scored fields of every record, whatever the formatting); the duplicate check compares it.",
    )
    dataset_fingerprint: str | None = None
    created_at: float = Field(default_factory=time.time)
    clean: float
    clean_ci: float
    pert_acc: float
    pert_acc_ci: float
    d_obs: float
    d_obs_ci: float
    d_act: float
    d_act_ci: float
    d_rew: float
    d_rew_ci: float
    d_trn: float
    d_trn_ci: float
    per_type: dict[str, dict[str, Any]] = Field(
        description="code name -> {'acc': float, 'n': int | None, ...} (the heatmap's input)"
    )
    details: dict[str, Any] = Field(
        default_factory=dict, description="Provenance (paper rows) or the score summary (submissions)."
    )
    scorer_version: int | None = Field(
        default=None,
        description="robustbench_tc.scoring.SCORER_VERSION that made these scores (None: paper).",
    )
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="What the submitter declared and the predictions header said."
    )


class PairRow(NamedTuple):
    """A stored paired test as read for the board (same fields as ``PairedResult``, no validation)."""

    run_a: int
    run_b: int
    metric: str
    diff: float
    p_value: float


class PairedResult(BaseModel):
    """A paired bootstrap test of one metric between two runs (``diff`` = a - b)."""

    run_a: int
    run_b: int
    metric: str
    diff: float
    p_value: float


Comparator = Callable[[dict[int, np.ndarray]], dict[int, tuple[float, float]]]
"""Given other runs' per-sample scores (``run id -> array`` in the store's order: config, then the
dataset's row order),
return ``run id -> (Pert. Acc. of the new run - the other's, paired p-value)``."""


_RUN_COLUMNS = (
    "run_id", "origin", "model", "grp", "family", "params_b", "hf_id", "link", "submitter",
    "file_sha256", "dataset_fingerprint", "created_at",
    *(c for m in METRICS for c in (m, f"{m}_ci")), "per_type", "details", "scorer_version", "metadata",
)  # fmt: skip
_JSON_FIELDS = ("per_type", "details", "metadata")
_SCORE_FIELDS = (*(c for m in METRICS for c in (m, f"{m}_ci")), "per_type", "details", "scorer_version")
"""What a rescore replaces (and what the history keeps of the previous scores)."""

SampleResult = tuple[str, int, str, float, str | None]
"""``(config, position in config, sample id, score, error mode)`` of one record."""


class HistoryEntry(BaseModel):
    """A run's scores as they were before a rescore replaced them."""

    run_id: int
    scorer_version: int | None
    superseded_at: float
    scores: dict[str, Any]


class SubmissionRecord(BaseModel):
    """Everything stored about one submission (what the Hub mirror writes and restores)."""

    run: Run
    client_key: str | None
    results: list[SampleResult]
    raw_predictions: bytes | None
    history: list[HistoryEntry] = Field(default_factory=list)
    paired: list[PairedResult] = Field(default_factory=list)


class Store:
    """A leaderboard database file; safe to share between threads and processes."""

    def __init__(self, path: str | Path, *, busy_timeout_s: float = 60.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        try:
            con = self._connect()
        except sqlite3.Error as exc:
            raise StoreError(_unusable(self.path, exc)) from None
        try:
            self._open(con)
        except sqlite3.Error as exc:
            raise StoreError(_unusable(self.path, exc)) from None
        finally:
            con.close()

    def _open(self, con: sqlite3.Connection) -> None:
        """Check that the file is this store's (or empty) BEFORE changing anything, then create the schema."""
        tables = [
            r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        try:
            version = self._read_version(con) if "meta" in tables else None
        except StoreError as exc:
            raise StoreError(f"{self.path}: {exc}; refusing to modify it") from None
        if tables and version is None:
            raise StoreError(
                f"{self.path} is an SQLite database but not a RobustBench-TC leaderboard (no schema version; "
                f"tables: {', '.join(tables[:5])}); refusing to modify it. Use another database file"
            )
        if version is not None and version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}; this code knows up to {SCHEMA_VERSION}"
                " (upgrade robustbench-tc)"
            )
        if version is not None and version < SCHEMA_VERSION and version not in _MIGRATIONS:
            raise StoreError(
                f"{self.path} has schema version {version}, older than {SCHEMA_VERSION}, and there is no "
                "migration for it; refusing to modify it. Use another database file"
            )
        if tables and con.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise StoreError(
                f"{self.path} fails SQLite's integrity check; refusing to use it. Restore a backup"
            )
        con.execute("PRAGMA journal_mode=WAL")
        while version is not None and version < SCHEMA_VERSION:
            version = self._migrate(con, version)
        con.execute("BEGIN IMMEDIATE")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                con.execute(statement)
        con.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
        )
        con.execute("COMMIT")

    def _migrate(self, con: sqlite3.Connection, version: int) -> int:
        """Upgrade from ``version`` to the next one in ONE transaction; on any error the file is
        rolled back unchanged and the error names it."""
        con.execute("BEGIN IMMEDIATE")
        try:
            if self._read_version(con) != version:  # another process migrated it meanwhile
                con.execute("ROLLBACK")
                return self._read_version(con) or version
            for statement in _MIGRATIONS[version]:
                con.execute(statement)
            if con.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise sqlite3.IntegrityError("foreign key check failed after the upgrade")
        except BaseException as exc:
            con.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(
                    f"{self.path}: upgrading schema version {version} to {version + 1} failed ({exc}); "
                    "the file was rolled back unchanged"
                ) from None
            raise
        con.execute("COMMIT")
        return version + 1

    # -- connections -------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(
            self.path, timeout=self._busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        con.execute("PRAGMA synchronous=FULL")
        con.execute("PRAGMA foreign_keys=ON")
        return con

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        con = self._connect()
        try:
            yield con
        finally:
            con.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on any error."""
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    def reading(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A read connection (closed on exit), for modules that keep their own table here (the queue)."""
        return self._read()

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on any error."""
        return self._write()

    @staticmethod
    def _read_version(con: sqlite3.Connection) -> int | None:
        try:
            row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.OperationalError:
            return None
        if not row:
            return None
        try:
            return int(row[0])
        except ValueError:
            raise StoreError(
                f"schema version {row[0]!r} in the database's meta table is not a number"
            ) from None

    # -- reads ---------------------------------------------------------------------------
    def schema_version(self) -> int:
        with self._read() as con:
            version = self._read_version(con)
        assert version is not None
        return version

    def integrity_ok(self) -> bool:
        with self._read() as con:
            return con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def count_runs(self, origin: str | None = None) -> int:
        with self._read() as con:
            if origin is None:
                return con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
            return con.execute("SELECT COUNT(*) FROM runs WHERE origin = ?", (origin,)).fetchone()[0]

    def count_sample_results(self) -> int:
        with self._read() as con:
            return con.execute("SELECT COUNT(*) FROM sample_results").fetchone()[0]

    def runs(self) -> list[Run]:
        with self._read() as con:
            rows = con.execute(f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs ORDER BY run_id").fetchall()
        return [_row_to_run(row) for row in rows]

    def board_runs(self, *, per_type: bool = False) -> list[Run]:
        """Every run with only the columns the leaderboard table shows: the JSON blobs (``details``,
        ``metadata``, and ``per_type`` unless asked for) are neither read nor decoded, so a render
        costs the same whatever they hold. ``per_type`` (our own scorer's per-type accuracies,
        bounded in size) is read when a per-type column is shown."""
        extra = ", per_type" if per_type else ""
        with self._read() as con:
            rows = con.execute(
                f"SELECT {', '.join(_BOARD_COLUMNS)}, {', '.join(e for _, _, e in _BOARD_JSON)}{extra} "
                "FROM runs ORDER BY run_id"
            ).fetchall()
        out = []
        n = len(_BOARD_COLUMNS)
        for row in rows:
            data = dict(zip(_BOARD_COLUMNS, row[:n], strict=True))
            data["group"] = data.pop("grp")
            blobs: dict[str, dict[str, Any]] = {f: {} for f in _JSON_FIELDS}
            for (field, key, _), value in zip(_BOARD_JSON, row[n : n + len(_BOARD_JSON)], strict=True):
                if value is not None:  # the few scalar fields the table shows, extracted by SQLite
                    blobs[field][key] = {"request_id": value} if key == "verified" else value
            if per_type:
                blobs["per_type"] = json.loads(row[-1])
            out.append(Run.model_construct(**data, **blobs))
        return out

    def paper_names(self) -> list[str]:
        """Names and HF ids of the paper rows (reserved: submissions may not take them)."""
        with self._read() as con:
            rows = con.execute("SELECT model, hf_id FROM runs WHERE origin = 'paper'").fetchall()
        return [v for row in rows for v in row if v]

    def refusals_since(self, client_key: str, since: float) -> int:
        with self._read() as con:
            return con.execute(
                "SELECT COUNT(*) FROM refusals WHERE client_key = ? AND created_at >= ?", (client_key, since)
            ).fetchone()[0]

    def add_refusal(self, client_key: str, reason: str, now: float | None = None) -> None:
        """Count a refused upload against ``client_key`` (rows older than a day are dropped)."""
        now = time.time() if now is None else now
        with self._write() as con:
            con.execute("DELETE FROM refusals WHERE created_at < ?", (now - 86_400,))
            con.execute(
                "INSERT INTO refusals (client_key, created_at, reason) VALUES (?, ?, ?)",
                (client_key, now, reason[:300]),
            )

    def get_meta(self, key: str) -> str | None:
        with self._read() as con:
            row = con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def has_file(self, sha256: str) -> bool:
        with self._read() as con:
            return con.execute("SELECT 1 FROM runs WHERE file_sha256 = ?", (sha256,)).fetchone() is not None

    def paired_tests(self, metric: str = "pert_acc") -> list[PairedResult]:
        with self._read() as con:
            rows = con.execute(
                "SELECT run_a, run_b, metric, diff, p_value FROM paired_tests WHERE metric = ?", (metric,)
            ).fetchall()
        return [PairedResult(run_a=a, run_b=b, metric=m, diff=d, p_value=p) for a, b, m, d, p in rows]

    def pairs_with_p_at_least(self, min_p: float, metric: str = "pert_acc") -> list[PairRow]:
        """The tests of ``metric`` with ``p_value >= min_p`` (the board's "not sig. different"
        column), selected by SQLite and returned as plain tuples: a render at 1,000 submissions
        reads up to 20,000 of them."""
        with self._read() as con:
            rows = con.execute(
                "SELECT run_a, run_b, metric, diff, p_value FROM paired_tests WHERE metric = ? AND p_value >= ?",
                (metric, min_p),
            ).fetchall()
        return list(map(PairRow._make, rows))

    def scores(self, run_id: int) -> np.ndarray:
        """A run's per-sample scores, ordered by config, then by the dataset's row order."""
        with self._read() as con:
            return _scores(con, run_id)

    def submissions_since(self, client_key: str, since: float) -> int:
        with self._read() as con:
            return _count_since(con, client_key, since)

    # -- writes --------------------------------------------------------------------------
    def sync_seed(self, runs: list[Run], seed_digest: str) -> bool:
        """Replace the paper rows when the seed changed (one transaction). True if rewritten."""
        with self._write() as con:
            row = con.execute("SELECT value FROM meta WHERE key = 'seed_digest'").fetchone()
            if row and row[0] == seed_digest:
                return False
            con.execute("DELETE FROM runs WHERE origin = 'paper'")
            for run in runs:
                if run.origin != "paper":
                    raise ValueError(f"seed row {run.model!r} must have origin 'paper'")
                _insert_run(con, run, client_key=None)
            con.execute(
                "INSERT INTO meta (key, value) VALUES ('seed_digest', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (seed_digest,),
            )
        return True

    def add_submission(
        self,
        run: Run,
        results: Iterable[tuple[Any, ...]],
        *,
        client_key: str,
        rate_limit_per_hour: int,
        compare: Comparator | None = None,
        paired_limit: int | None = None,
        now: float | None = None,
        raw_predictions: bytes | None = None,
    ) -> int:
        """Store a scored submission, its per-sample ``(config, position, sample id, score[, error
        mode])`` results (``position``: the row's index in its config, in the dataset's order) and
        its raw predictions file (kept zlib-compressed, for rescoring).

        Paired tests (``compare``) run against earlier submissions on the same dataset: all of
        them, or with ``paired_limit`` the ``paired_limit`` closest in Pert. Acc. (so a submission
        costs the same however big the board is); first outside the write lock against a
        snapshot, then, inside it, against any such submission that committed in between. Raises ``DuplicateSubmission`` / ``RateLimited`` (nothing
        written) and returns the new run id.
        """
        if run.origin != "submission":
            raise ValueError("add_submission stores submissions only")
        now = time.time() if now is None else now
        tested: dict[int, tuple[float, float]] = {}
        if compare is not None:
            with self._read() as con:
                snapshot = {i: _scores(con, i) for i in _submission_ids(con, run, paired_limit)}
            tested |= compare(snapshot) if snapshot else {}
        with self._write() as con:
            if (
                run.file_sha256
                and con.execute("SELECT 1 FROM runs WHERE file_sha256 = ?", (run.file_sha256,)).fetchone()
            ):
                raise DuplicateSubmission("this exact file (same sha256) was already submitted")
            if rate_limit_per_hour > 0 and _count_since(con, client_key, now - 3600) >= rate_limit_per_hour:
                raise RateLimited(
                    f"submission limit reached: {rate_limit_per_hour} per hour per user; try again later"
                )
            if compare is not None:
                newcomers = {
                    i: _scores(con, i) for i in _submission_ids(con, run, paired_limit) if i not in tested
                }
                tested |= compare(newcomers) if newcomers else {}
            run_id = _insert_run(con, run.model_copy(update={"created_at": now}), client_key=client_key)
            _insert_results(con, run_id, results)
            if raw_predictions is not None:
                _insert_file(con, run_id, raw_predictions)
            for other, (diff, p_value) in tested.items():
                # stored with run_a < run_b; diff is run_a - run_b
                con.execute(
                    "INSERT INTO paired_tests (run_a, run_b, metric, diff, p_value) VALUES (?, ?, 'pert_acc', ?, ?)",
                    (other, run_id, -float(diff), float(p_value)),
                )
        return run_id

    def get_run(self, run_id: int) -> Run | None:
        with self._read() as con:
            row = con.execute(
                f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs WHERE run_id = ?", (int(run_id),)
            ).fetchone()
        return _row_to_run(row) if row else None

    def client_key(self, run_id: int) -> str | None:
        with self._read() as con:
            row = con.execute("SELECT client_key FROM runs WHERE run_id = ?", (int(run_id),)).fetchone()
        return row[0] if row else None

    def sample_results(self, run_id: int) -> list[SampleResult]:
        """A run's per-sample rows in store order (config, then dataset order)."""
        with self._read() as con:
            return _results(con, run_id)

    def raw_predictions(self, run_id: int) -> bytes | None:
        """The predictions file exactly as submitted (None for paper rows and version-1 submissions)."""
        with self._read() as con:
            return _file(con, run_id)

    def history(self, run_id: int) -> list[HistoryEntry]:
        """Earlier scores of a run, oldest first."""
        with self._read() as con:
            return _history(con, run_id)

    def submission_record(self, run_id: int) -> SubmissionRecord:
        """Everything stored about one submission, read in one snapshot."""
        with self._read() as con:
            con.execute("BEGIN")
            row = con.execute(
                f"SELECT {', '.join(_RUN_COLUMNS)}, client_key FROM runs WHERE run_id = ?", (int(run_id),)
            ).fetchone()
            if row is None or row[1] != "submission":
                con.execute("ROLLBACK")
                raise KeyError(f"no submission #{run_id}")
            tests = con.execute(
                "SELECT run_a, run_b, metric, diff, p_value FROM paired_tests WHERE run_a = ? OR run_b = ?",
                (int(run_id), int(run_id)),
            ).fetchall()
            record = SubmissionRecord(
                run=_row_to_run(row[:-1]),
                client_key=row[-1],
                results=_results(con, run_id),
                raw_predictions=_file(con, run_id),
                history=_history(con, run_id),
                paired=[
                    PairedResult(run_a=a, run_b=b, metric=m, diff=d, p_value=p) for a, b, m, d, p in tests
                ],
            )
            con.execute("ROLLBACK")
        return record

    def submission_ids(self) -> list[int]:
        with self._read() as con:
            return [
                r[0]
                for r in con.execute("SELECT run_id FROM runs WHERE origin = 'submission' ORDER BY run_id")
            ]

    def restore_submission(self, record: SubmissionRecord) -> int | None:
        """Insert a mirrored submission (keeping its run id when free) unless its file is already
        stored; returns the run id, or None when it was already there. One transaction."""
        run = record.run
        with self._write() as con:
            if (
                run.file_sha256
                and con.execute("SELECT 1 FROM runs WHERE file_sha256 = ?", (run.file_sha256,)).fetchone()
            ):
                return None
            taken = (
                run.run_id is None
                or con.execute("SELECT 1 FROM runs WHERE run_id = ?", (run.run_id,)).fetchone()
            )
            run_id = _insert_run(con, run, client_key=record.client_key, keep_id=not taken)
            _insert_results(con, run_id, record.results)
            if record.raw_predictions is not None:
                _insert_file(con, run_id, record.raw_predictions)
            for h in record.history:
                con.execute(
                    "INSERT OR IGNORE INTO score_history (run_id, scorer_version, superseded_at, scores) "
                    "VALUES (?, ?, ?, ?)",
                    (run_id, h.scorer_version, h.superseded_at, json.dumps(h.scores, ensure_ascii=False)),
                )
            if not taken:  # paired tests name run ids: only meaningful when the id was kept
                for t in record.paired:
                    if all(
                        con.execute("SELECT 1 FROM runs WHERE run_id = ?", (i,)).fetchone()
                        for i in (t.run_a, t.run_b)
                    ):
                        con.execute(
                            "INSERT OR IGNORE INTO paired_tests (run_a, run_b, metric, diff, p_value) "
                            "VALUES (?, ?, ?, ?, ?)",
                            (t.run_a, t.run_b, t.metric, t.diff, t.p_value),
                        )
        return run_id

    def rescore(
        self,
        rescored: dict[int, tuple[Run, list[SampleResult]]],
        paired: list[PairedResult],
        *,
        expected: dict[int, str | None],
        now: float | None = None,
    ) -> list[int]:
        """Replace the scores of the runs in ``rescored`` (new run fields, new per-sample results) and
        ALL paired tests among submissions with ``paired``, in ONE transaction, keeping the previous
        scores in ``score_history``. ``expected`` (run id -> file sha256 of every submission when the
        rescore started) must still be what the store holds, else nothing is written (a submission
        arrived or left meanwhile: run the rescore again). Returns the rescored run ids."""
        now = time.time() if now is None else now
        with self._write() as con:
            current = dict(
                con.execute("SELECT run_id, file_sha256 FROM runs WHERE origin = 'submission'").fetchall()
            )
            if current != expected:
                raise StoreError(
                    "the submissions changed while rescoring (a new submission arrived?); nothing was "
                    "written, run the rescore again"
                )
            for run_id, (run, results) in sorted(rescored.items()):
                old = con.execute(
                    f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs WHERE run_id = ?", (run_id,)
                ).fetchone()
                previous = _row_to_run(old)
                scores = previous.model_dump(mode="json", include=set(_SCORE_FIELDS))
                scores["results"] = [[c, p, sid, sc, m] for c, p, sid, sc, m in _results(con, run_id)]
                con.execute(
                    "INSERT INTO score_history (run_id, scorer_version, superseded_at, scores) VALUES (?, ?, ?, ?)",
                    (run_id, previous.scorer_version, now, json.dumps(scores, ensure_ascii=False)),
                )
                values = run.model_dump(include=set(_SCORE_FIELDS))
                for f in ("per_type", "details"):
                    values[f] = json.dumps(values[f], ensure_ascii=False)
                con.execute(
                    f"UPDATE runs SET {', '.join(f'{k} = ?' for k in values)} WHERE run_id = ?",
                    [*values.values(), run_id],
                )
                con.execute("DELETE FROM sample_results WHERE run_id = ?", (run_id,))
                _insert_results(con, run_id, results)
            con.execute("DELETE FROM paired_tests")
            con.executemany(
                "INSERT INTO paired_tests (run_a, run_b, metric, diff, p_value) VALUES (?, ?, ?, ?, ?)",
                ((t.run_a, t.run_b, t.metric, t.diff, t.p_value) for t in paired),
            )
        return sorted(rescored)

    def export_rows(self) -> list[dict[str, Any]]:
        """Every run as a JSON-ready dict without private fields (for the Hub sync)."""
        return [run.model_dump(mode="json") for run in self.runs()]


def _unusable(path: Path, exc: sqlite3.Error) -> str:
    """A one-line reason why the database at ``path`` cannot be opened (it is never overwritten)."""
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        why = "it is not an SQLite database or it is corrupt"
    elif "locked" in text or "busy" in text:
        why = "it is locked by another process"
    elif "readonly" in text or "read-only" in text or "unable to open" in text:
        why = "it (or its folder) is not writable"
    else:
        why = "SQLite refused it"
    return f"cannot use the leaderboard database {path}: {why} ({text}); it was left unchanged"


def _insert_run(con: sqlite3.Connection, run: Run, *, client_key: str | None, keep_id: bool = False) -> int:
    values: dict[str, Any] = run.model_dump(exclude={"run_id", "group", *_JSON_FIELDS})
    values |= {"grp": run.group, "client_key": client_key}
    values |= {f: json.dumps(getattr(run, f), ensure_ascii=False) for f in _JSON_FIELDS}
    if keep_id and run.run_id is not None:
        values["run_id"] = run.run_id
    names = list(values)
    cur = con.execute(
        f"INSERT INTO runs ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
        [values[n] for n in names],
    )
    return int(cur.lastrowid)


_BOARD_COLUMNS = tuple(c for c in _RUN_COLUMNS if c not in _JSON_FIELDS)
_BOARD_JSON = (
    ("details", "n_records", "json_extract(details, '$.n_records')"),
    ("metadata", "mode", "json_extract(metadata, '$.mode')"),
    ("metadata", "trained_on_derived", "json_extract(metadata, '$.trained_on_derived')"),
    ("metadata", "verified", "json_extract(metadata, '$.verified.request_id')"),
)
"""Scalars inside the JSON columns that the board shows (data version, mode, training declaration)."""


def _row_to_run(row: tuple[Any, ...]) -> Run:
    data = dict(zip(_RUN_COLUMNS, row, strict=True))
    data["group"] = data.pop("grp")
    for f in _JSON_FIELDS:
        data[f] = json.loads(data[f])
    return Run.model_validate(data)


def _insert_results(con: sqlite3.Connection, run_id: int, results: Iterable[tuple[Any, ...]]) -> None:
    con.executemany(
        "INSERT INTO sample_results (run_id, config, position, sample_id, score, error_mode) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        ((run_id, r[0], int(r[1]), r[2], float(r[3]), r[4] if len(r) > 4 else None) for r in results),
    )


def _insert_file(con: sqlite3.Connection, run_id: int, raw: bytes) -> None:
    con.execute(
        "INSERT INTO submission_files (run_id, encoding, data) VALUES (?, 'zlib', ?)",
        (run_id, zlib.compress(raw, 6)),
    )


def _results(con: sqlite3.Connection, run_id: int) -> list[SampleResult]:
    rows = con.execute(
        "SELECT config, position, sample_id, score, error_mode FROM sample_results WHERE run_id = ? "
        "ORDER BY config, position",
        (int(run_id),),
    ).fetchall()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _file(con: sqlite3.Connection, run_id: int) -> bytes | None:
    row = con.execute(
        "SELECT encoding, data FROM submission_files WHERE run_id = ?", (int(run_id),)
    ).fetchone()
    return zlib.decompress(row[1]) if row else None


def _history(con: sqlite3.Connection, run_id: int) -> list[HistoryEntry]:
    rows = con.execute(
        "SELECT run_id, scorer_version, superseded_at, scores FROM score_history WHERE run_id = ? "
        "ORDER BY superseded_at",
        (int(run_id),),
    ).fetchall()
    return [
        HistoryEntry(run_id=r, scorer_version=v, superseded_at=t, scores=json.loads(sc))
        for r, v, t, sc in rows
    ]


def _submission_ids(con: sqlite3.Connection, run: Run, limit: int | None) -> list[int]:
    """Earlier submissions on ``run``'s dataset: all, or the ``limit`` closest to it in Pert. Acc."""
    rows = con.execute(
        "SELECT run_id FROM runs WHERE origin = 'submission' AND dataset_fingerprint IS ? "
        "ORDER BY ABS(pert_acc - ?), run_id LIMIT ?",
        (run.dataset_fingerprint, run.pert_acc, -1 if limit is None else limit),
    ).fetchall()
    return [r[0] for r in rows]


def _scores(con: sqlite3.Connection, run_id: int) -> np.ndarray:
    rows = con.execute(
        "SELECT score FROM sample_results WHERE run_id = ? ORDER BY config, position", (run_id,)
    ).fetchall()
    return np.fromiter((r[0] for r in rows), dtype=np.float64, count=len(rows))


def _count_since(con: sqlite3.Connection, client_key: str, since: float) -> int:
    return con.execute(
        "SELECT COUNT(*) FROM runs WHERE origin = 'submission' AND client_key = ? AND created_at >= ?",
        (client_key, since),
    ).fetchone()[0]


def store_order(rows: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Per-sample ``(config, sample id, score[, error mode])`` rows in dataset order, as the store
    keeps them: ``(config, position in config, sample id, score[, error mode])`` sorted by config,
    then position.

    >>> store_order([("clean", "b", 1.0), ("clean", "a", 0.0, "wrong"), ("CD", "a", 1.0)])
    [('CD', 0, 'a', 1.0), ('clean', 0, 'b', 1.0), ('clean', 1, 'a', 0.0, 'wrong')]
    """
    position: dict[str, int] = {}
    out = []
    for config, sample_id, score, *rest in rows:
        out.append((config, position.get(config, 0), sample_id, float(score), *rest))
        position[config] = position.get(config, 0) + 1
    return sorted(out, key=lambda r: (r[0], r[1]))
