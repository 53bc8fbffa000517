"""The `>>>` examples in the train package's docstrings."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    ["train.rewards", "train.rlla", "train.build_data", "train.transition", "train.retry_eval", "train.grpo"],
)
def test_doctests(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
