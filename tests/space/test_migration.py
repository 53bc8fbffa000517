"""Schema migration: a real version-1 leaderboard file is upgraded in one transaction, never corrupted."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from space.queue import SqliteQueue
from space.store import SCHEMA_VERSION, Store, StoreError

V1_SCHEMA = """
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
    clean REAL, clean_ci REAL, pert_acc REAL, pert_acc_ci REAL, d_obs REAL, d_obs_ci REAL, d_act REAL, d_act_ci REAL, d_rew REAL, d_rew_ci REAL, d_trn REAL, d_trn_ci REAL,
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
"""The version-1 schema exactly as space/store.py created it (commit a8b5e51)."""


def _v1_file(path: Path) -> Path:
    with sqlite3.connect(path) as con:
        con.executescript(V1_SCHEMA)
        con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        metrics = {m: 0.5 for m in ("clean", "pert_acc", "d_obs", "d_act", "d_rew", "d_trn")}
        cols = [*metrics, *(f"{m}_ci" for m in metrics)]
        for run_id, origin in ((1, "paper"), (2, "submission")):
            con.execute(
                f"INSERT INTO runs (run_id, origin, model, grp, file_sha256, dataset_fingerprint, created_at, "
                f"{', '.join(cols)}, per_type, details) VALUES (?, ?, ?, 'g', ?, 'fp', 1.0, "
                f"{', '.join('?' for _ in cols)}, '{{}}', '{{}}')",
                (run_id, origin, f"m{run_id}", None if origin == "paper" else "a" * 64, *([0.5] * len(cols))),
            )
        con.executemany(
            "INSERT INTO sample_results VALUES (2, ?, ?, ?, ?)",
            [("clean", 0, "a", 1.0), ("clean", 1, "b", 0.0)],
        )
    return path


def test_version_1_file_is_upgraded_keeping_every_row(tmp_path: Path):
    path = _v1_file(tmp_path / "old.sqlite")
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION == 3
    assert store.integrity_ok()
    runs = {r.run_id: r for r in store.runs()}
    assert runs[1].scorer_version is None and runs[2].scorer_version == 1  # v1 stored scorer-1 scores
    assert runs[2].metadata == {} and store.raw_predictions(2) is None
    assert store.sample_results(2) == [("clean", 0, "a", 1.0, None), ("clean", 1, "b", 0.0, None)]
    assert Store(path).schema_version() == 3  # reopening is a no-op
    assert SqliteQueue(store).list() == []  # the queue table came with version 3


def test_failed_upgrade_rolls_back_to_an_intact_version_1_file(tmp_path: Path, monkeypatch):
    import space.store as store_mod

    path = _v1_file(tmp_path / "old.sqlite")
    # the last step fails: every earlier ALTER TABLE must be rolled back with it
    broken = (*store_mod._MIGRATE_1_TO_2[:-1], "UPDATE no_such_table SET x = 1")
    monkeypatch.setitem(store_mod._MIGRATIONS, 1, broken)
    with pytest.raises(StoreError, match="rolled back unchanged"):
        Store(path)
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("1",)
        columns = [r[1] for r in con.execute("PRAGMA table_info(runs)")]
        assert "scorer_version" not in columns and "metadata" not in columns
        assert (
            con.execute("SELECT name FROM sqlite_master WHERE name = 'submission_files'").fetchone() is None
        )
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("SELECT COUNT(*) FROM sample_results").fetchone() == (2,)
    monkeypatch.undo()
    assert Store(path).schema_version() == 3  # the intact file upgrades once the code is right
