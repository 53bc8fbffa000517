"""The SQLite store: schema version, seeding, one transaction per submission, crash safety."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from leaderboard_seed import SEED_PATH
from space.seed import load_seed
from space.store import SCHEMA_VERSION, DuplicateSubmission, RateLimited, Run, Store, StoreError, store_order

REPO_ROOT = Path(__file__).resolve().parents[2]


def make_run(name: str = "m", sha: str | None = "a" * 64, pert: float = 0.5) -> Run:
    metrics = {m: 0.1 for m in ("clean", "d_obs", "d_act", "d_rew", "d_trn")}
    cis = {f"{m}_ci": 0.01 for m in ("clean", "pert_acc", "d_obs", "d_act", "d_rew", "d_trn")}
    return Run(origin="submission", model=name, group="Community submissions", file_sha256=sha,
               dataset_fingerprint="fp", pert_acc=pert, **metrics, **cis, per_type={})  # fmt: skip


RESULTS = [("CD", 0, "a", 1.0), ("CD", 1, "b", 0.0), ("clean", 0, "a", 1.0)]


def test_fresh_store_is_versioned_and_wal(tmp_path: Path):
    store = Store(tmp_path / "b.sqlite")
    assert store.schema_version() == SCHEMA_VERSION
    with sqlite3.connect(store.path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_newer_schema_is_refused(tmp_path: Path):
    store = Store(tmp_path / "b.sqlite")
    with sqlite3.connect(store.path) as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreError, match="schema version"):
        Store(store.path)


def test_seed_sync_is_idempotent_and_survives_reopen(tmp_path: Path):
    runs, digest = load_seed(SEED_PATH)
    store = Store(tmp_path / "b.sqlite")
    assert store.sync_seed(runs, digest) is True
    assert store.sync_seed(runs, digest) is False
    reopened = Store(tmp_path / "b.sqlite")
    assert reopened.count_runs("paper") == 21
    assert reopened.runs()[0].per_type == runs[0].per_type
    assert reopened.sync_seed(runs[:3], "changed") is True and reopened.count_runs("paper") == 3


def test_submission_is_stored_with_results_and_paired_tests(tmp_path: Path):
    store = Store(tmp_path / "b.sqlite")
    first = store.add_submission(make_run("one", "1" * 64), RESULTS, client_key="k", rate_limit_per_hour=0)
    calls = []

    def compare(others):
        calls.append(sorted(others))
        return {i: (0.25, 0.5) for i in others}

    second = store.add_submission(make_run("two", "2" * 64), RESULTS, client_key="k", rate_limit_per_hour=0,
                                  compare=compare)  # fmt: skip
    assert calls == [[first]]
    assert np.array_equal(store.scores(first), [1.0, 0.0, 1.0])
    (test,) = store.paired_tests()
    assert (test.run_a, test.run_b, test.diff, test.p_value) == (first, second, -0.25, 0.5)


@pytest.mark.parametrize(
    "second_sha,limit,error",
    [("1" * 64, 0, DuplicateSubmission), ("2" * 64, 1, RateLimited)],
)
def test_refusals_leave_the_store_unchanged(tmp_path: Path, second_sha, limit, error):
    store = Store(tmp_path / "b.sqlite")
    store.add_submission(make_run("one", "1" * 64), RESULTS, client_key="k", rate_limit_per_hour=0)
    before = (store.count_runs(), store.count_sample_results())
    with pytest.raises(error):
        store.add_submission(make_run("two", second_sha), RESULTS, client_key="k", rate_limit_per_hour=limit)
    assert (store.count_runs(), store.count_sample_results()) == before
    # another user is not rate limited by the first one's submissions
    if error is RateLimited:
        store.add_submission(
            make_run("two", second_sha), RESULTS, client_key="other", rate_limit_per_hour=limit
        )


def test_failure_inside_the_transaction_rolls_everything_back(tmp_path: Path):
    store = Store(tmp_path / "b.sqlite")

    def results():
        yield ("clean", 0, "a", 1.0)
        raise RuntimeError("scorer crashed half-way")

    with pytest.raises(RuntimeError):
        store.add_submission(make_run(), results(), client_key="k", rate_limit_per_hour=0)
    assert (store.count_runs(), store.count_sample_results()) == (0, 0)


_WRITER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {root!r})
    from tests.space.test_store import make_run
    from space.store import Store

    store = Store({db!r})

    def results():
        # long ids so that the uncommitted pages overflow the page cache and spill into the WAL
        for i in range(40000):
            if i == 30000:
                print("MID-TRANSACTION", flush=True)
                time.sleep(60)
            yield ("clean", i, f"s{{i:0200d}}", 1.0)

    store.add_submission(make_run("killed", "f" * 64), results(), client_key="k", rate_limit_per_hour=0)
    print("COMMITTED", flush=True)
    """
)


def test_sigkill_mid_transaction_keeps_the_database_intact(tmp_path: Path):
    db = tmp_path / "b.sqlite"
    store = Store(db)
    runs, digest = load_seed(SEED_PATH)
    store.sync_seed(runs, digest)
    store.add_submission(make_run("kept", "1" * 64), RESULTS, client_key="k", rate_limit_per_hour=0)
    before = (store.count_runs(), store.count_sample_results())
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER.format(root=str(REPO_ROOT), db=str(db))],
        stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT,
    )  # fmt: skip
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "MID-TRANSACTION"
        assert Path(f"{db}-wal").stat().st_size > 0  # uncommitted pages really reached the WAL
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
    assert writer.returncode == -signal.SIGKILL
    reopened = Store(db)
    assert reopened.integrity_ok()
    assert (reopened.count_runs(), reopened.count_sample_results()) == before
    assert [r.model for r in reopened.runs() if r.origin == "submission"] == ["kept"]
    # and the database still takes writes
    reopened.add_submission(make_run("after", "2" * 64), RESULTS, client_key="k", rate_limit_per_hour=0)
    assert reopened.count_runs() == before[0] + 1


def test_store_order_groups_by_config_and_keeps_dataset_order():
    rows = store_order([("clean", "z", 1.0), ("clean", "a", 0.0), ("CD", "q", 1.0)])
    assert rows == [("CD", 0, "q", 1.0), ("clean", 0, "z", 1.0), ("clean", 1, "a", 0.0)]


def _seeded_db(path: Path) -> Path:
    store = Store(path)
    runs, digest = load_seed(SEED_PATH)
    store.sync_seed(runs, digest)
    with sqlite3.connect(path) as con:  # fold the WAL into the main file so it alone holds the data
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _foreign(path: Path) -> Path:
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE runs (id INTEGER, name TEXT)")
        con.execute("INSERT INTO runs VALUES (1, 'someone else''s data')")
    return path


def _with_version(version: str) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        _seeded_db(path)
        with sqlite3.connect(path) as con:
            con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
        return path

    return make


def _truncated(path: Path) -> Path:
    _seeded_db(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _scrambled_page(path: Path) -> Path:
    _seeded_db(path)
    data = bytearray(path.read_bytes())
    page = 4096
    data[3 * page : 4 * page] = bytes(range(256)) * (page // 256)  # a b-tree page overwritten
    path.write_bytes(bytes(data))
    return path


# name -> (make the file at the given path, fragment of the StoreError message)
BAD_DATABASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "random bytes": (lambda p: (p.write_bytes(bytes(range(256)) * 64), p)[1], "not an SQLite database"),
    "text file": (lambda p: (p.write_text("leaderboard\n" * 500), p)[1], "not an SQLite database"),
    "truncated": (_truncated, "corrupt"),
    "scrambled page": (_scrambled_page, "corrupt"),
    "another app's database": (_foreign, "not a RobustBench-TC leaderboard"),
    "older schema version without a migration": (_with_version("0"), "older than"),
    "version-1 label on a version-2 file": (_with_version("1"), "rolled back unchanged"),
    "newer schema version": (_with_version(str(SCHEMA_VERSION + 1)), "upgrade robustbench-tc"),
    "non-numeric schema version": (_with_version("one"), "not a number"),
}


@pytest.mark.parametrize("case", sorted(BAD_DATABASES))
def test_unusable_database_is_refused_clearly_and_left_unchanged(tmp_path: Path, case):
    make, fragment = BAD_DATABASES[case]
    path = make(tmp_path / "b.sqlite")

    def files() -> dict[str, bytes]:  # the -shm index is scratch memory that any reader rewrites
        return {p.name: p.read_bytes() for p in tmp_path.iterdir() if not p.name.endswith("-shm")}

    before = files()
    with pytest.raises(StoreError) as info:
        Store(path, busy_timeout_s=1)
    assert fragment in str(info.value), str(info.value)
    assert str(path) in str(info.value)
    assert files() == before


def test_locked_database_is_refused_clearly(tmp_path: Path):
    path = _seeded_db(tmp_path / "b.sqlite")
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreError, match="locked by another process"):
            Store(path, busy_timeout_s=0.5)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert Store(path).count_runs("paper") == 21


def test_read_only_database_is_refused_clearly(tmp_path: Path):
    path = _seeded_db(tmp_path / "b.sqlite")
    # chmod does not stop root; an immutable file does (where chattr is allowed)
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        if os.geteuid() == 0:
            pytest.skip("cannot make a file read-only for root here (chattr +i not permitted)")
        path.chmod(0o444)
    try:
        with pytest.raises(StoreError, match="not writable"):
            Store(path, busy_timeout_s=1)
    finally:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        path.chmod(0o644)
    assert Store(path).count_runs("paper") == 21
