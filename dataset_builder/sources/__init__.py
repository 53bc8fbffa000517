"""One loader per upstream benchmark: manifest entries -> clean ``Sample``s.

Each module exposes ``FILES`` (the pinned files it reads, relative to the sources folder) and
``load(sources_dir, entries) -> list[Sample]`` (in the order of ``entries``).  Loaders check that
every locator resolves to the record the id names and fail with ``LoaderError`` otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from dataset_builder.manifest import ManifestEntry
from dataset_builder.sources import apibank, bfcl, rotbench, toolalpaca, tooleyes
from dataset_builder.sources.common import LoaderError
from robustbench_tc.records import Sample
from robustbench_tc.registry import Registry

LOADERS: Registry[ModuleType] = Registry("source loader")
"""Source name (a row of ``robustbench_tc.sources``) -> its loader module."""
for _module in (bfcl, apibank, rotbench, toolalpaca, tooleyes):
    LOADERS.register(_module.SOURCE, _module)

__all__ = ["LOADERS", "LoaderError", "load_clean", "source_files"]


def source_files() -> list[str]:
    """Every pinned file the loaders read."""
    return [f for name in LOADERS for f in LOADERS.get(name).FILES]


def load_clean(sources_dir: str | Path, entries: Sequence[ManifestEntry]) -> list[Sample]:
    """The clean samples of ``entries``, in manifest order."""
    by_id: dict[str, Sample] = {}
    for name in LOADERS:
        mine = [e for e in entries if e.source == name]
        if mine:
            for sample in LOADERS.get(name).load(Path(sources_dir), mine):
                by_id[sample.id] = sample
    missing = [e.id for e in entries if e.id not in by_id]
    if missing:
        raise LoaderError(f"no sample loaded for {missing[:3]} ({len(missing)} in all)")
    return [by_id[e.id] for e in entries]
