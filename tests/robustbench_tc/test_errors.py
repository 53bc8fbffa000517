"""Every user-facing error class of the project derives from ``RobustBenchError``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

from robustbench_tc.errors import RobustBenchError

PACKAGES = ["robustbench_tc", "dataset_builder", "eval_harness", "space", "train", "leaderboard_seed"]
NOT_USER_FACING = {"robustbench_tc.testing"}  # test helpers raise to skip, not to tell a user


def _modules():
    for name in PACKAGES:
        package = importlib.import_module(name)
        yield package.__name__
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            if (
                info.name.endswith("__main__")
                or info.name in ("train.grpo", "train.gpu_check")
                or any(info.name.startswith(p) for p in NOT_USER_FACING)
            ):
                continue
            yield info.name


def _error_classes():
    for name in _modules():
        try:
            module = importlib.import_module(name)
        except ImportError:  # an optional dependency is missing: nothing of it can reach a user
            continue
        for cls_name, cls in vars(module).items():
            if (
                inspect.isclass(cls)
                and issubclass(cls, Exception)
                and cls.__module__ == name
                and not cls_name.startswith("_")
            ):
                yield f"{name}.{cls_name}", cls


ERRORS = dict(_error_classes())


def test_the_project_defines_its_errors():
    assert len(ERRORS) >= 17


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_classes_subclass_robustbench_error(name):
    assert issubclass(ERRORS[name], RobustBenchError), f"{name} must subclass RobustBenchError"
