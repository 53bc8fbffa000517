"""Shared fixtures: where the upstream sources are, and one dataset built per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _sources_dir() -> Path | None:
    env = os.environ.get("RBTC_SOURCES")
    candidates = [Path(env)] if env else []
    candidates.append(REPO_ROOT.parent / "shared" / "sources")
    for path in candidates:
        if path.is_dir():
            return path.resolve()
    return None


@pytest.fixture(scope="session")
def sources_dir() -> Path:
    """The pinned upstream sources (RBTC_SOURCES, else ../shared/sources)."""
    path = _sources_dir()
    if path is None:
        pytest.fail("upstream sources not found: set RBTC_SOURCES to the sources directory")
    return path


@pytest.fixture(scope="session")
def built_dataset(sources_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full dataset (every config, offline `rules` generators), built once per session."""
    from dataset_builder.build import build_dataset

    out = tmp_path_factory.mktemp("dataset") / "robustbench-tc"
    build_dataset(sources_dir, out, progress=False)
    return out


SLOW_FIXTURES = frozenset({"built_dataset", "tiny_model_dir", "server"})
"""Fixtures that build the full dataset, a model, or launch a server: their tests are ``slow``."""
SLOW_MARKERS = frozenset({"vllm", "browser"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test that needs a slow fixture or an engine/browser (``-m "not slow"``
    then runs the fast set); tests can also carry ``@pytest.mark.slow`` themselves."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & SLOW_FIXTURES or any(item.get_closest_marker(m) for m in SLOW_MARKERS):
            item.add_marker(pytest.mark.slow)
