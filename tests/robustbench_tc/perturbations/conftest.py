"""Fixtures: the 199 clean samples (loaded once) and a stand-in OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from robustbench_tc.records import Sample
from tests.support.fake_chat import FakeLLM, serve_fake_llm


@pytest.fixture(scope="session")
def clean_samples(sources_dir: Path) -> list[Sample]:
    from dataset_builder.manifest import load_manifest
    from dataset_builder.sources import load_clean

    return load_clean(sources_dir, load_manifest())


@pytest.fixture(scope="session")
def by_id(clean_samples: list[Sample]) -> dict[str, Sample]:
    return {s.id: s for s in clean_samples}


# --------------------------------------------------------------------------- fake LLM server
@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """A stand-in OpenAI-compatible server for one test (``tests.support.fake_chat``)."""
    with serve_fake_llm() as llm:
        yield llm


@pytest.fixture(scope="session")
def static_build(clean_samples: list[Sample]):
    """All 16 static configs of the 199 clean samples, offline rules, seed 0 (built once)."""
    from robustbench_tc.perturbations import GeneratorConfig, build_static_configs

    return build_static_configs(clean_samples, seed=0, generator=GeneratorConfig(), progress=False)
