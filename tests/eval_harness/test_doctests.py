"""The `>>>` examples in the eval_harness package's docstrings."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "eval_harness.backends",
        "eval_harness.backends.openai_backend",
        "eval_harness.conversation",
        "eval_harness.manifest",
        "eval_harness.store",
    ],
)
def test_doctests(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
