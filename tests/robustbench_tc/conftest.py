"""Fixtures: the 199 clean samples and every runtime row built from them (once per session; the
perturbation tests define their own ``clean_samples``, the same rows)."""

from __future__ import annotations

from pathlib import Path

import pytest

from robustbench_tc.records import Sample
from robustbench_tc.world.axes import RuntimeBuild, build_runtime_configs


@pytest.fixture(scope="session")
def clean_samples(sources_dir: Path) -> list[Sample]:
    from dataset_builder.manifest import load_manifest
    from dataset_builder.sources import load_clean

    return load_clean(sources_dir, load_manifest())


@pytest.fixture(scope="session")
def runtime_build(clean_samples: list[Sample]) -> RuntimeBuild:
    return build_runtime_configs(clean_samples, seed=0)
