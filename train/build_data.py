"""Build ToolRL-DR's training sets: Clean, DR-Full and DR-Mixed, plus one shared validation split.

Every rlla item becomes a ``Sample`` (``train.rlla.to_sample``), is perturbed by the benchmark's own
``robustbench_tc.perturbations.perturb`` and goes back to rlla (``train.rlla.from_sample``).

- **Type draw.** Each item gets a seeded random order of the 16 static types
  (``robustbench_tc.taxonomy.static_types()``); the first type whose perturbation applies to the
  item (``perturb`` does not return None) is used. This is a uniform draw among the types
  eligible for that item: redrawing without replacement after an ineligible type. The order
  depends only on ``(seed, item id)``, so an item perturbed in DR-Mixed gets the same row as in
  DR-Full. Transition types are never drawn (paper §5.1).
- **DR-Full.** Every item is replaced by its perturbed counterpart; an item no static type applies
  to is dropped (the paper's 4,000 -> 3,905 + 79).
- **DR-Mixed.** A seeded half (``n // 2``) of the items is perturbed, the rest stays clean; a chosen
  item no type applies to stays clean (the paper's 2,006 clean / 1,994 perturbed of 4,000).
- **Clean.** The items as they are.
- **Validation.** The validation items under the DR-Full treatment (the paper's 79 of 80), the same
  file for all three sets.

The output folder is a Hub dataset repo: ``data/<set>-train.parquet``, ``data/validation.parquet``
and a ``README.md`` card whose ``configs:`` make ``load_dataset(OUT, "dr_full")`` return the
``train`` and ``validation`` splits. Each row has the prompt in TRL's conversational format
(``prompt`` = system + user messages), the reward column ``ground_truth`` (the target output), the
``perturbation`` type, and provenance.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from robustbench_tc.records import Sample
from robustbench_tc.taxonomy import CLEAN, static_types
from train.rlla import RllaItem, from_sample, read_rlla, sample_id, to_sample

if TYPE_CHECKING:
    from datasets import DatasetDict

    from robustbench_tc.perturbations import GeneratorConfig

logger = logging.getLogger(__name__)

VARIANTS: tuple[str, ...] = ("clean", "dr_full", "dr_mixed")
VALIDATION = "validation"
TRAIN_FILE = "toolrl/dataset/rlla_4k_raw/rlla_sft.json"
VALIDATION_FILE = "toolrl/dataset/rlla_4k/test.parquet"

SIBLING_SOURCES = Path(__file__).resolve().parents[2] / "shared" / "sources"
"""``../shared/sources`` beside the repository (the README's layout): the last default."""


def default_sources(explicit: str | Path | None = None) -> Path | None:
    """Where the upstream sources are, for ``make-train-data`` and ``grpo.py`` alike: ``explicit``
    when given, else ``$RBTC_SOURCES``, else ``SIBLING_SOURCES``; None when that is not a folder.

    >>> default_sources("/nonexistent/sources") is None
    True
    """
    import os

    if explicit:
        return Path(explicit) if Path(explicit).is_dir() else None
    for candidate in (os.environ.get("RBTC_SOURCES"), str(SIBLING_SOURCES)):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


FEATURES: dict[str, Any] = {
    "id": "string",
    "base_id": "string",
    "split": "string",
    "perturbation": "string",
    "component": "string",
    "generator": "string",
    "prompt": [{"role": "string", "content": "string"}],
    "ground_truth": "string",
    "perturbation_metadata": "string",
}
"""Row schema of every split (``perturbation_metadata`` is a JSON string)."""


@dataclass(frozen=True)
class TrainDataConfig:
    """What ``make-train-data`` builds."""

    train: str = field(
        metadata={"help": "rlla training items: a .json/.jsonl/.parquet file, a dataset folder or a Hub name"}
    )
    validation: str = field(metadata={"help": "rlla validation items (same forms as train)"})
    seed: int = field(default=0, metadata={"help": "seed of the type draws and of the DR-Mixed half"})
    variants: tuple[str, ...] = field(default=VARIANTS, metadata={"help": "training sets to write"})
    limit: int | None = field(
        default=None, metadata={"help": "use only the first N training and validation items"}
    )

    def __post_init__(self) -> None:
        unknown = [v for v in self.variants if v not in VARIANTS]
        if unknown or not self.variants:
            raise ValueError(
                f"unknown training set(s) {unknown or '(none)'}; choose from {', '.join(VARIANTS)}"
            )


@dataclass(frozen=True)
class Row:
    """One training row before serialisation."""

    id: str
    base_id: str
    split: str
    perturbation: str
    generator: str
    item: RllaItem
    metadata: dict[str, Any]

    def to_record(self) -> dict[str, Any]:
        from robustbench_tc.taxonomy import component_of

        return {
            "id": self.id,
            "base_id": self.base_id,
            "split": self.split,
            "perturbation": self.perturbation,
            "component": component_of(self.perturbation).value,
            "generator": self.generator,
            "prompt": self.item.prompt(),
            "ground_truth": self.item.output,
            "perturbation_metadata": json.dumps(self.metadata, ensure_ascii=False, sort_keys=True),
        }


Perturber = Callable[[Sample, str, int], "Sample | None"]


def benchmark_perturber(generator: GeneratorConfig | None = None) -> Perturber:
    """The benchmark builder's own ``perturb_row`` with one generator (``rules`` by default). A
    type whose generation fails its audit on every attempt counts as not applicable to the item
    (the next type of the item's order is tried)."""
    from robustbench_tc.perturbations import GeneratorConfig, PerturbationError, perturb_row
    from robustbench_tc.perturbations.generators import make_generator

    made = make_generator(generator or GeneratorConfig())

    def perturber(sample: Sample, code: str, seed: int) -> Sample | None:
        try:
            return perturb_row(sample, code, seed=seed, generator=made).row
        except PerturbationError as exc:
            logger.warning("%s", exc)
            return None

    return perturber


def sub_seed(seed: int, *parts: str) -> int:
    """A stable 63-bit seed from the run seed and a key (independent of Python's hash seed).

    >>> sub_seed(0, "a") == sub_seed(0, "a") != sub_seed(1, "a")
    True
    """
    digest = hashlib.sha256("|".join([str(seed), *parts]).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def type_order(seed: int, item_id: str) -> list[str]:
    """The seeded order in which the 16 static types are tried for one item.

    >>> order = type_order(0, "toolrl__train_0")
    >>> len(order), sorted(order) == sorted(t.code_name for t in static_types())
    (16, True)
    """
    order = [t.code_name for t in static_types()]
    random.Random(sub_seed(seed, "types", item_id)).shuffle(order)
    return order


def perturbed_row(item: RllaItem, item_id: str, split: str, seed: int, perturber: Perturber) -> Row | None:
    """The item under the first eligible type of its seeded order, or None if none applies."""
    sample = to_sample(item, item_id)
    tried = []
    for code in type_order(seed, item_id):
        perturbed = perturber(sample, code, sub_seed(seed, "perturb", item_id, code))
        if perturbed is None:
            tried.append(code)
            continue
        metadata = {"ineligible_tried": tried, **perturbed.perturbation_metadata}
        return Row(item_id, item_id, split, code, perturbed.generator, from_sample(perturbed, item), metadata)
    return None


def clean_row(item: RllaItem, item_id: str, split: str) -> Row:
    return Row(item_id, item_id, split, CLEAN, "upstream", item, {})


def mixed_half(ids: Sequence[str], seed: int) -> set[str]:
    """The seeded ``len(ids) // 2`` ids that DR-Mixed perturbs.

    >>> len(mixed_half([f"i{k}" for k in range(9)], 0))
    4
    """
    chosen = list(ids)
    random.Random(sub_seed(seed, "mixed")).shuffle(chosen)
    return set(chosen[: len(chosen) // 2])


def build_rows(
    config: TrainDataConfig, *, perturber: Perturber | None = None, progress: bool = True
) -> dict[str, list[Row]]:
    """The rows of every requested training set (``"<variant>"``) and of ``"validation"``."""
    from tqdm.auto import tqdm

    train_items = read_rlla(config.train, split="train")[: config.limit]
    val_items = read_rlla(config.validation, split="test")[: config.limit]
    perturber = perturber or benchmark_perturber()
    train_ids = [sample_id("train", i) for i in range(len(train_items))]
    need_perturbed = {"dr_full", "dr_mixed"} & set(config.variants)
    half = mixed_half(train_ids, config.seed) if "dr_mixed" in config.variants else set()

    perturbed: dict[str, Row | None] = {}
    todo = [(i, item) for i, item in zip(train_ids, train_items) if "dr_full" in need_perturbed or i in half]
    for item_id, item in tqdm(todo, desc="perturbing train", disable=not progress):
        perturbed[item_id] = perturbed_row(item, item_id, "train", config.seed, perturber)

    out: dict[str, list[Row]] = {}
    for variant in config.variants:
        rows = []
        for item_id, item in zip(train_ids, train_items):
            if variant == "clean" or (variant == "dr_mixed" and item_id not in half):
                rows.append(clean_row(item, item_id, "train"))
            elif perturbed[item_id] is not None:
                rows.append(perturbed[item_id])
            elif variant == "dr_mixed":
                rows.append(clean_row(item, item_id, "train"))
        out[variant] = rows

    val_rows = []
    for index, item in enumerate(tqdm(val_items, desc="perturbing validation", disable=not progress)):
        row = perturbed_row(item, sample_id("validation", index), VALIDATION, config.seed, perturber)
        if row is not None:
            val_rows.append(row)
    out[VALIDATION] = val_rows
    return out


def write_dataset(
    rows: dict[str, list[Row]], out: Path, config: TrainDataConfig, *, progress: bool = True
) -> dict[str, Any]:
    """Write the parquet files, the card and ``manifest.json``; return the manifest."""
    import datasets

    if not progress:
        datasets.disable_progress_bars()

    features = datasets.Features(
        {
            k: [{"role": datasets.Value("string"), "content": datasets.Value("string")}]
            if isinstance(v, list)
            else datasets.Value(v)
            for k, v in FEATURES.items()
        }
    )
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    files = {
        name: data / ("validation.parquet" if name == VALIDATION else f"{name}-train.parquet")
        for name in rows
    }
    for name, split_rows in rows.items():
        records = [r.to_record() for r in split_rows]
        datasets.Dataset.from_list(records, features=features).to_parquet(str(files[name]))
    manifest = {
        "seed": config.seed,
        "train_source": config.train,
        "validation_source": config.validation,
        "limit": config.limit,
        "counts": {name: len(r) for name, r in rows.items()},
        "perturbations": {
            name: dict(sorted(Counter(x.perturbation for x in r).items())) for name, r in rows.items()
        },
        "files": {name: _sha256(path) for name, path in files.items()},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (out / "README.md").write_text(card(manifest, [v for v in VARIANTS if v in rows]), encoding="utf-8")
    return manifest


def card(manifest: dict[str, Any], variants: Sequence[str]) -> str:
    """The dataset card: YAML ``configs`` (one per training set, each with the shared validation
    split), features, and the counts."""
    lines = ["---", "configs:"]
    for index, variant in enumerate(variants):
        lines += [f"- config_name: {variant}"]
        if index == 0:
            lines += ["  default: true"]
        lines += [
            "  data_files:",
            "  - split: train",
            f"    path: data/{variant}-train.parquet",
            "  - split: validation",
            "    path: data/validation.parquet",
        ]
    lines += ["dataset_info:", "  features:"]
    for name, kind in FEATURES.items():
        if isinstance(kind, list):
            lines += [
                f"  - name: {name}",
                "    list:",
                "    - name: role",
                "      dtype: string",
                "    - name: content",
                "      dtype: string",
            ]
        else:
            lines += [f"  - name: {name}", f"    dtype: {kind}"]
    lines += ["license: apache-2.0", "---", "", "# ToolRL-DR training data", ""]
    lines += [
        "ToolRL rlla items perturbed with RobustBench-TC's 16 static perturbation types "
        "(domain randomisation, paper §5). Built by `robustbench-tc make-train-data`.",
        "",
        "| set | split | rows | types |",
        "|---|---|---|---|",
    ]
    for name, count in manifest["counts"].items():
        split = "validation" if name == VALIDATION else "train"
        types = ", ".join(f"{k} {v}" for k, v in manifest["perturbations"][name].items())
        lines.append(f"| {name} | {split} | {count} | {types} |")
    sources = f"`{manifest['train_source']}`, `{manifest['validation_source']}`"
    lines += ["", f"Seed {manifest['seed']}; sources: {sources}.", ""]
    return "\n".join(lines)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_train_data(
    config: TrainDataConfig, out: Path, *, perturber: Perturber | None = None, progress: bool = True
) -> dict[str, Any]:
    """Build and write the training sets; return the manifest."""
    rows = build_rows(config, perturber=perturber, progress=progress)
    return write_dataset(rows, Path(out), config, progress=progress)


def load_train_data(folder: str | Path, variant: str | None = None) -> DatasetDict:
    """``datasets.load_dataset(folder, variant)`` for a folder ``make_train_data`` wrote, keyed by
    its files.

    ``datasets`` keys its cache of a local folder by the folder's name and the config's name, not by
    the files: a folder rebuilt in place (another seed, a new data version), or another folder of the
    same name, loaded the old rows (datasets 5.2). Naming the card's files, each with its
    modification time, makes the cache key follow them.
    """
    import datasets

    files = datasets.load_dataset_builder(str(folder), variant).config.data_files
    loaded: DatasetDict = datasets.load_dataset(str(folder), variant, data_files=files)
    return loaded
