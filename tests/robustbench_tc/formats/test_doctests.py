"""The ``>>>`` examples in the codec modules are tests too."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "robustbench_tc.formats",
    "robustbench_tc.formats.schema",
    "robustbench_tc.formats.toolrl",
    "robustbench_tc.formats.react",
    "robustbench_tc.formats.bfcl",
    "robustbench_tc.formats.toolalpaca",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
