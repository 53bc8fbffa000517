"""Configuration of the leaderboard Space (CLI flags locally, environment variables on a Space).

>>> cfg = BoardConfig.from_env({"RBTC_DATASET": "/d", "RBTC_RATE_LIMIT": "3", "SPACE_ID": "u/board"})
>>> cfg.dataset_dir.as_posix(), cfg.rate_limit_per_hour, cfg.on_space, cfg.max_upload_bytes
('/d', 3, True, 20971520)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from leaderboard_seed import SEED_PATH

MB = 1024 * 1024


def show_mb(n_bytes: int) -> str:
    """A byte limit as the board states it (MiB, as ``RBTC_MAX_UPLOAD_MB`` takes it).

    >>> show_mb(20 * MB), show_mb(int(2.5 * MB))
    ('20 MB', '2.5 MB')
    """
    return f"{n_bytes / MB:.4g} MB"


@dataclass(frozen=True)
class BoardConfig:
    """How the board runs. Each field's help is the matching CLI/env help."""

    dataset_dir: Path
    """Built RobustBench-TC dataset folder holding the gold answers (read server-side, never served)."""
    db_path: Path = Path("leaderboard.sqlite")
    """SQLite database file (created if missing; on a Space use persistent storage, e.g. /data)."""
    seed_path: Path = SEED_PATH
    """The paper's rows (leaderboard_seed/seed.json)."""
    max_upload_bytes: int = 20 * MB
    """Largest accepted predictions file, checked before parsing."""
    rate_limit_per_hour: int = 5
    """Accepted submissions per user (HF login on a Space, client IP locally) per hour; 0 = no limit."""
    refusal_limit_per_hour: int = 20
    """Refused uploads per user per hour before further uploads are refused unread; 0 = no limit."""
    time_budget_s: float = 120.0
    """Seconds one submission may spend parsing and scoring before it is stopped and refused."""
    queue_size: int = 16
    """Submissions waiting in the queue at most (two are scored at a time); more are turned away."""
    paired_limit: int = 20
    """Paired tests per new submission: against this many earlier ones closest in Pert. Acc. (same dataset)."""
    trusted_proxies: str = ""
    """Comma-separated proxy IPs whose X-Forwarded-For is believed (for the per-IP limits); empty = none."""
    monitoring: bool = False
    """Serve Gradio's /monitoring pages (traffic and queue summary; public when on)."""
    n_boot: int = 10_000
    """Bootstrap draws for CIs and paired tests."""
    alpha: float = 0.05
    """Paired tests with p >= alpha count as 'not significantly different'."""
    sync_repo: str | None = None
    """Private HF dataset repo (owner/name) that mirrors every accepted submission; restored on start."""
    queue_repo: str | None = None
    """Private HF dataset repo (owner/name) holding the evaluation requests; unset = the SQLite file."""
    hub_pull_s: float = 60.0
    """With a sync repo: at most this often, a page load pulls rows stored elsewhere (the worker's)."""
    page_rows: int = 100
    """Rows shown per board section before its "Show all" button (all rows are in the page)."""
    rescore_on_start: bool = False
    """At start, rescore (in the background) the submissions a previous scorer version scored."""
    on_space: bool = False
    """Running on a Hugging Face Space (HF OAuth login required to submit)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BoardConfig:
        """Read ``RBTC_*`` variables (what a Space sets in its settings)."""
        env = os.environ if env is None else env
        if not env.get("RBTC_DATASET"):
            raise ValueError("set RBTC_DATASET to the built dataset folder (or use `robustbench-tc serve`)")
        defaults = cls(dataset_dir=Path(env["RBTC_DATASET"]))
        on_space = bool(env.get("SPACE_ID"))
        default_db = (
            Path("/data/leaderboard.sqlite") if on_space and Path("/data").is_dir() else defaults.db_path
        )
        return cls(
            dataset_dir=Path(env["RBTC_DATASET"]),
            db_path=Path(env.get("RBTC_DB", default_db)),
            seed_path=Path(env.get("RBTC_SEED", defaults.seed_path)),
            max_upload_bytes=int(float(env.get("RBTC_MAX_UPLOAD_MB", defaults.max_upload_bytes / MB)) * MB),
            rate_limit_per_hour=int(env.get("RBTC_RATE_LIMIT", defaults.rate_limit_per_hour)),
            refusal_limit_per_hour=int(env.get("RBTC_REFUSAL_LIMIT", defaults.refusal_limit_per_hour)),
            time_budget_s=float(env.get("RBTC_TIME_BUDGET_S", defaults.time_budget_s)),
            queue_size=int(env.get("RBTC_QUEUE_SIZE", defaults.queue_size)),
            paired_limit=int(env.get("RBTC_PAIRED_LIMIT", defaults.paired_limit)),
            trusted_proxies=env.get("RBTC_TRUSTED_PROXIES", defaults.trusted_proxies),
            monitoring=env.get("RBTC_MONITORING", "").lower() in ("1", "true", "yes"),
            n_boot=int(env.get("RBTC_N_BOOT", defaults.n_boot)),
            sync_repo=env.get("RBTC_SYNC_REPO") or None,
            queue_repo=env.get("RBTC_QUEUE_REPO") or None,
            rescore_on_start=env.get("RBTC_RESCORE_ON_START", "1" if on_space else "").lower()
            in ("1", "true", "yes"),
            on_space=on_space,
        )
