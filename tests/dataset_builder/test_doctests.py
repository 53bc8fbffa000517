"""The ``>>>`` examples in the builder modules are tests too."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "dataset_builder.pins",
    "dataset_builder.manifest",
    "dataset_builder.card",
    "dataset_builder.sources.common",
    "dataset_builder.sources.apibank",
    "dataset_builder.sources.rotbench",
    "dataset_builder.sources.toolalpaca",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
