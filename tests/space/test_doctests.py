"""The ``>>>`` examples in the Space modules are tests too."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "space.board",
    "space.budget",
    "space.config",
    "space.gold",
    "space.names",
    "space.paired",
    "space.plots",
    "space.store",
    "space.submit",
    "space.sync",
    "leaderboard_seed.build_seed",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
