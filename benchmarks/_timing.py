"""What the whole-process benchmarks share: run a child the way a user does, and print figures.

The scripts run as ``python benchmarks/NAME.py``, so this module is imported from their folder.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def child_env() -> dict[str, str]:
    """This environment with the checkout first on PYTHONPATH (the code under test, not an install)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def run_timed(cmd: list[str], *, keep_output: bool = True) -> tuple[float, str]:
    """Wall seconds of ``cmd`` as a process started from the checkout, and its stdout."""
    start = time.perf_counter()
    proc = subprocess.run(
        cmd,
        check=True,
        stdout=subprocess.PIPE if keep_output else subprocess.DEVNULL,
        stderr=subprocess.PIPE if keep_output else subprocess.DEVNULL,
        text=True,
        env=child_env(),
        cwd=REPO,
    )
    return time.perf_counter() - start, proc.stdout or ""


def summary(values: Sequence[float]) -> str:
    """>>> summary([3.0, 1.0, 2.0])
    'min   1.000  median   2.000'
    """
    return f"min {min(values):7.3f}  median {statistics.median(values):7.3f}"


def load_line(before: Sequence[float], after: Sequence[float]) -> str:
    def fmt(load: Sequence[float]) -> str:
        return ", ".join(f"{x:.2f}" for x in load)

    return f"load average before: {fmt(before)}; after: {fmt(after)}"


def target_line(values: Sequence[float], target_s: float) -> str:
    """The whole-process figure as a ratio to its target (<= 1 meets it)."""
    return (
        f"  target {target_s:.1f} s: ratio min {min(values) / target_s:.2f}, median "
        f"{statistics.median(values) / target_s:.2f} (<= 1 meets it)"
    )
