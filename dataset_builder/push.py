"""``push``: upload a built dataset folder to a Hugging Face dataset repository.

``plan_upload`` says exactly what goes up (the card and ``data/*.jsonl``, with sha256); ``push``
uploads those files in one commit and deletes remote ``data/*.jsonl`` files that are no longer
part of the build.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataset_builder.pins import sha256_file
from robustbench_tc.dataset import DATA_DIR, DatasetError, available_configs

CARD = "README.md"
DATA_PATTERN = f"{DATA_DIR}/*.jsonl"


@dataclass(frozen=True)
class PlannedFile:
    path_in_repo: str
    sha256: str
    size: int


def plan_upload(dataset_dir: str | Path) -> list[PlannedFile]:
    """The files ``push`` uploads from ``dataset_dir``, in a stable order (card first)."""
    root = Path(dataset_dir)
    if not (root / CARD).is_file() or not available_configs(root):
        raise DatasetError(
            f"{root} is not a built RobustBench-TC dataset (needs {CARD} and {DATA_DIR}/<config>.jsonl); "
            "build one with `robustbench-tc build --sources DIR --out DIR`"
        )
    files = [root / CARD, *sorted((root / DATA_DIR).glob("*.jsonl"))]
    return [PlannedFile(f.relative_to(root).as_posix(), sha256_file(f), f.stat().st_size) for f in files]


def push(
    dataset_dir: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    api: Any = None,
    commit_message: str = "Upload RobustBench-TC",
) -> list[PlannedFile]:
    """Create (if needed) the dataset repo ``repo_id`` and upload the planned files."""
    plan = plan_upload(dataset_dir)
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    api.upload_folder(
        repo_id=repo_id,
        repo_type="dataset",
        folder_path=str(Path(dataset_dir)),
        allow_patterns=[p.path_in_repo for p in plan],
        delete_patterns=[DATA_PATTERN],
        commit_message=commit_message,
    )
    return plan
