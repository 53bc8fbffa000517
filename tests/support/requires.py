"""Skips that become failures in CI: a missing browser, engine, model or shared data must not let
the real-path tests pass as skips where they are supposed to run (``.ci/run`` exports ``CI=true``).

>>> in_ci({"CI": "true"}), in_ci({"CI": "0"}), in_ci({})
(True, False, False)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

import pytest


def in_ci(env: Mapping[str, str] | None = None) -> bool:
    """``CI`` set to a true value (GitHub Actions and most CI systems set ``CI=true``)."""
    value = (os.environ if env is None else env).get("CI", "")
    return value.strip().lower() in ("1", "true", "yes")


def unavailable(reason: str) -> NoReturn:
    """Skip the test because ``reason`` (a tool or data it needs is missing); under ``CI=true`` fail
    it instead, naming what is missing."""
    if in_ci():
        pytest.fail(
            f"{reason} (CI=true: a missing browser, engine, model or shared data fails the run)",
            pytrace=False,
        )
    pytest.skip(reason)


def require_path(path: Path, reason: str) -> Path:
    """``path`` if it exists, else ``unavailable(reason)``."""
    if not path.exists():
        unavailable(f"{reason}: {path} not found")
    return path
