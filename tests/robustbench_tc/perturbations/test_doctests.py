"""The ``>>>`` examples in the perturbation modules are tests too."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "robustbench_tc.perturbations",
    "robustbench_tc.perturbations.seeding",
    "robustbench_tc.perturbations.naming",
    "robustbench_tc.perturbations.text",
    "robustbench_tc.perturbations.typos",
    "robustbench_tc.perturbations.paraphrase",
    "robustbench_tc.perturbations.observation",
    "robustbench_tc.perturbations.siblings",
    "robustbench_tc.perturbations.generators",
    "robustbench_tc.perturbations.prompts",
    "robustbench_tc.perturbations.llm",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
