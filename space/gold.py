"""The gold answers the server scores against. Held in memory only; nothing here is ever returned
by an endpoint or served as a file (the dataset folder is never in Gradio's ``allowed_paths``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from robustbench_tc.dataset import dataset_fingerprint, load_samples
from robustbench_tc.records import Sample
from robustbench_tc.taxonomy import CONFIG_NAMES, RUNTIME_CONFIG_NAMES, is_runtime

Key = tuple[str, str]


@dataclass(frozen=True)
class GoldSet:
    """Every config of a built dataset, with the record keys a complete submission must cover."""

    samples: dict[str, list[Sample]]
    fingerprint: str
    keys: frozenset[Key]
    """``(sample id, perturbation)`` of every record."""

    @classmethod
    def load(cls, dataset_dir: str | Path) -> GoldSet:
        samples = load_samples(dataset_dir)
        missing = [c for c in CONFIG_NAMES if c not in samples]
        if missing:
            raise ValueError(
                f"{dataset_dir} lacks configs {missing[:5]}{'...' if len(missing) > 5 else ''}; "
                "the board needs a complete dataset (robustbench-tc build)"
            )
        keys = frozenset(s.key for rows in samples.values() for s in rows)
        return cls(samples=samples, fingerprint=dataset_fingerprint(dataset_dir), keys=keys)

    @property
    def n_records(self) -> int:
        """Records of the paper's configs: what every submission must hold (the runtime configs,
        beyond the paper, are optional; a file with any record of one must hold all of it)."""
        return sum(len(self.samples[c]) for c in CONFIG_NAMES)

    def missing_from(self, present: set[Key]) -> tuple[int, Counter[str], list[Key]]:
        """(count, count per config, first few keys) of the records a file lacks: every record of the
        paper's configs, and of each runtime config (beyond the paper) the file has any record of."""
        runtime = {p for _, p in present if is_runtime(p) and p in self.samples}
        required = [*CONFIG_NAMES, *(c for c in RUNTIME_CONFIG_NAMES if c in runtime)]
        missing = [s.key for c in required for s in self.samples[c] if s.key not in present]
        return len(missing), Counter(p for _, p in missing), missing[:5]


HF_PREFIX = "hf://datasets/"


def resolve_dataset_dir(spec: str | Path) -> Path:
    """A local dataset folder, or ``hf://datasets/owner/name`` downloaded once to the HF cache.

    >>> resolve_dataset_dir("/tmp/robustbench-tc").as_posix()
    '/tmp/robustbench-tc'
    """
    text = str(spec)
    if not text.startswith(HF_PREFIX):
        return Path(spec)
    from huggingface_hub import snapshot_download

    repo_id = text.removeprefix(HF_PREFIX).strip("/")
    return Path(
        snapshot_download(repo_id=repo_id, repo_type="dataset", allow_patterns=["data/*.jsonl", "README.md"])
    )
