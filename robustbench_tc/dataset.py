"""Reading a built RobustBench-TC dataset folder (the Hub dataset repo layout).

Layout (written by ``robustbench-tc build``)::

    OUT/README.md                 dataset card; YAML ``configs:`` maps each config to its file
    OUT/data/<config>.jsonl       one ``Sample.to_row()`` per line, split ``test``

Apps read samples through ``load_samples`` (no ``datasets`` dependency, fast, validated);
users read the same folder with ``datasets.load_dataset(OUT, "<config>")``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.records import Sample
from robustbench_tc.registry import unknown_name_message
from robustbench_tc.taxonomy import config_names

DATA_DIR = "data"
SPLIT = "test"


def config_path(dataset_dir: str | Path, config: str) -> Path:
    """Where a config's rows live inside a dataset folder."""
    return Path(dataset_dir) / DATA_DIR / f"{config}.jsonl"


class DatasetError(RobustBenchError, ValueError):
    """The folder is not a usable RobustBench-TC dataset; the message says why and what to do."""


def available_configs(dataset_dir: str | Path) -> list[str]:
    """Configs present in a folder, in taxonomy order."""
    return [c for c in config_names() if config_path(dataset_dir, c).is_file()]


def check_dataset_dir(dataset_dir: str | Path) -> Path:
    """The folder as a ``Path``, if it looks like a built dataset (has ``data/``)."""
    root = Path(dataset_dir)
    if not (root / DATA_DIR).is_dir():
        raise DatasetError(
            f"{root} is not a RobustBench-TC dataset folder (no {DATA_DIR}/ inside); "
            "build one with `robustbench-tc build --sources DIR --out DIR`"
        )
    return root


def select_configs(dataset_dir: str | Path, configs: Iterable[str] | None) -> list[str]:
    """The requested configs (default: every config present), each known and present."""
    wanted = list(configs) if configs is not None else available_configs(dataset_dir)
    for config in wanted:
        if config not in config_names():
            raise DatasetError(unknown_name_message("config", config, config_names()))
        path = config_path(dataset_dir, config)
        if not path.is_file():
            raise DatasetError(f"config {config!r} is missing from {dataset_dir} (expected {path})")
    return wanted


def load_samples(dataset_dir: str | Path, configs: Iterable[str] | None = None) -> dict[str, list[Sample]]:
    """Load and validate the rows of some (default: all present) configs of a built dataset.

    Scoring needs much less of each row: ``robustbench_tc.gold.load_gold`` reads that, fast."""
    root = check_dataset_dir(dataset_dir)
    out: dict[str, list[Sample]] = {}
    for config in select_configs(root, configs):
        path = config_path(root, config)
        rows: list[Sample] = []
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rows.append(Sample.from_row(json.loads(line)))
                except Exception as exc:  # noqa: BLE001 - re-raised with the location
                    raise DatasetError(f"{path}:{lineno}: invalid row: {exc}") from exc
        out[config] = rows
    return out


def dataset_fingerprint(dataset_dir: str | Path) -> str:
    """sha256 over the data files (names and bytes), stable across machines."""
    return fingerprint_of(
        {
            c: hashlib.sha256(config_path(dataset_dir, c).read_bytes()).digest()
            for c in available_configs(dataset_dir)
        }
    )


def fingerprint_of(file_digests: dict[str, bytes]) -> str:
    """``dataset_fingerprint`` from each config's file sha256 digest (configs in taxonomy order).

    >>> fingerprint_of({}) == hashlib.sha256().hexdigest()
    True
    """
    digest = hashlib.sha256()
    for config in (c for c in config_names() if c in file_digests):
        digest.update(f"{config}\0".encode())
        digest.update(file_digests[config])
    return digest.hexdigest()
