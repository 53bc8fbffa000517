"""The leaderboard's SQLite store: runs (paper rows and submissions), per-sample results, paired tests.

Stdlib ``sqlite3`` in WAL mode with ``synchronous=FULL``. Every submission is written in ONE
``BEGIN IMMEDIATE`` transaction (run row, per-sample correctness, paired tests), so a crash at
any point leaves either the whole submission or nothing. The duplicate-file check and the
per-user rate limit run inside that same transaction, so concurrent submissions cannot slip past
them. The schema carries a version in ``meta``; opening a newer database refuses to run.

>>> import tempfile, pathlib
>>> store = Store(pathlib.Path(tempfile.mkdtemp()) / "board.sqlite")
>>> store.count_runs(), store.schema_version()
(0, 1)
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

SCHEMA_VERSION = 1

METRICS: tuple[str, ...] = ("clean", "pert_acc", "d_obs", "d_act", "d_rew", "d_trn")
"""Headline numbers of a run; each also has a ``<name>_ci`` 95% half-width."""

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
    details TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_client ON runs (client_key, created_at);
CREATE TABLE IF NOT EXISTS sample_results (
    run_id INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    config TEXT NOT NULL,
    position INTEGER NOT NULL,
    sample_id TEXT NOT NULL,
    score REAL NOT NULL CHECK (score >= 0 AND score <= 1),
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
"""


class StoreError(RuntimeError):
    """The database cannot be used (newer schema, corrupt file)."""


class DuplicateSubmission(ValueError):
    """A file with the same sha256 was already submitted."""


class RateLimited(ValueError):
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
    *(c for m in METRICS for c in (m, f"{m}_ci")), "per_type", "details",
)  # fmt: skip


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
        if version is not None and version < SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}, older than {SCHEMA_VERSION}, and there is no "
                "migration for it; refusing to modify it. Use another database file"
            )
        if tables and con.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise StoreError(
                f"{self.path} fails SQLite's integrity check; refusing to use it. Restore a backup"
            )
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("BEGIN IMMEDIATE")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                con.execute(statement)
        con.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
        )
        con.execute("COMMIT")

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

    def board_runs(self) -> list[Run]:
        """Every run with only the columns the leaderboard table shows: ``per_type`` and ``details``
        (the JSON blobs) are neither read nor decoded, so a render costs the same whatever they hold."""
        with self._read() as con:
            rows = con.execute(f"SELECT {', '.join(_BOARD_COLUMNS)} FROM runs ORDER BY run_id").fetchall()
        out = []
        for row in rows:
            data = dict(zip(_BOARD_COLUMNS, row, strict=True))
            data["group"] = data.pop("grp")
            out.append(Run.model_construct(**data, per_type={}, details={}))
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
        results: Iterable[tuple[str, int, str, float]],
        *,
        client_key: str,
        rate_limit_per_hour: int,
        compare: Comparator | None = None,
        paired_limit: int | None = None,
        now: float | None = None,
    ) -> int:
        """Store a scored submission and its per-sample ``(config, position, sample id, score)`` results
        (``position``: the row's index in its config, in the dataset's order).

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
            con.executemany(
                "INSERT INTO sample_results (run_id, config, position, sample_id, score) VALUES (?, ?, ?, ?, ?)",
                ((run_id, c, int(pos), sid, float(score)) for c, pos, sid, score in results),
            )
            for other, (diff, p_value) in tested.items():
                # stored with run_a < run_b; diff is run_a - run_b
                con.execute(
                    "INSERT INTO paired_tests (run_a, run_b, metric, diff, p_value) VALUES (?, ?, 'pert_acc', ?, ?)",
                    (other, run_id, -float(diff), float(p_value)),
                )
        return run_id

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


def _insert_run(con: sqlite3.Connection, run: Run, *, client_key: str | None) -> int:
    values: dict[str, Any] = run.model_dump(exclude={"run_id", "group", "per_type", "details"})
    values |= {
        "grp": run.group,
        "per_type": json.dumps(run.per_type, ensure_ascii=False),
        "details": json.dumps(run.details, ensure_ascii=False),
        "client_key": client_key,
    }
    names = list(values)
    cur = con.execute(
        f"INSERT INTO runs ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
        [values[n] for n in names],
    )
    return int(cur.lastrowid)


_BOARD_COLUMNS = tuple(c for c in _RUN_COLUMNS if c not in ("per_type", "details"))


def _row_to_run(row: tuple[Any, ...]) -> Run:
    data = dict(zip(_RUN_COLUMNS, row, strict=True))
    data["group"] = data.pop("grp")
    data["per_type"] = json.loads(data["per_type"])
    data["details"] = json.loads(data["details"])
    return Run.model_validate(data)


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


def store_order(rows: Iterable[tuple[str, str, float]]) -> list[tuple[str, int, str, float]]:
    """Per-sample ``(config, sample id, score)`` rows in dataset order, as the store keeps them:
    ``(config, position in config, sample id, score)`` sorted by config, then position.

    >>> store_order([("clean", "b", 1.0), ("clean", "a", 0.0), ("CD", "a", 1.0)])
    [('CD', 0, 'a', 1.0), ('clean', 0, 'b', 1.0), ('clean', 1, 'a', 0.0)]
    """
    position: dict[str, int] = {}
    out = []
    for config, sample_id, score in rows:
        out.append((config, position.get(config, 0), sample_id, float(score)))
        position[config] = position.get(config, 0) + 1
    return sorted(out, key=lambda r: (r[0], r[1]))
