"""The pinned upstream files: where each lives, at which commit, and its sha256.

Paths are relative to the sources folder (``--sources DIR`` / ``RBTC_SOURCES``), which keeps each
repository's own layout below a short name (``bfcl/``, ``apibank/`` ...).  ``raw_url`` is the file
at its pinned commit; ``robustbench-tc fetch-sources`` downloads exactly these files.

>>> pin = PINS["rotbench/Data/First_Turn/clean.json"]
>>> pin.raw_url()
'https://raw.githubusercontent.com/Junjie-Ye/RoTBench/637e43ae9a978036774c92bb2ab11a83609e304b/Data/First_Turn/clean.json'
>>> pin.raw_url("http://127.0.0.1:8000/")
'http://127.0.0.1:8000/Junjie-Ye/RoTBench/637e43ae9a978036774c92bb2ab11a83609e304b/Data/First_Turn/clean.json'
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from robustbench_tc.errors import RobustBenchError

RAW_BASE_URL = "https://raw.githubusercontent.com"
FETCH_HINT = "robustbench-tc fetch-sources --out DIR"

Use = Literal["build", "train", "license"]


@dataclass(frozen=True)
class PinnedFile:
    path: str
    """Relative path inside the sources folder: ``<short name>/<path in the upstream repo>``."""
    sha256: str
    size: int
    repo: str
    """GitHub ``owner/name`` of the upstream repository."""
    commit: str
    license: str
    used_by: Use
    """``build`` (read by ``robustbench-tc build``), ``train`` (ToolRL-DR data) or ``license``."""

    @property
    def short_name(self) -> str:
        return self.path.split("/", 1)[0]

    @property
    def upstream_path(self) -> str:
        return self.path.split("/", 1)[1]

    def raw_url(self, base_url: str = RAW_BASE_URL) -> str:
        return f"{base_url.rstrip('/')}/{self.repo}/{self.commit}/{self.upstream_path}"


_GORILLA = ("ShishirPatil/gorilla", "cd9429ccf3d4d04156affe883c495b3b047e6b64")
_GORILLA_LICENSE = ("ShishirPatil/gorilla", "6ea57973c7a6097fd7c5915698c54c17c5b1b6c8")
_TOOLRL = ("qiancheng0/ToolRL", "8cee13ec0ca72f0461da372a93a6fd8140dbb840")
_ROTBENCH = ("Junjie-Ye/RoTBench", "637e43ae9a978036774c92bb2ab11a83609e304b")
_TOOLALPACA = ("tangqiaoyu/ToolAlpaca", "189069998d64a7baf1b4a1c3c4b2e75eb9d05532")
_TOOLEYES = ("Junjie-Ye/ToolEyes", "c818fcebe017951570a25e552a7984e40093fd52")
_BFCL_DATA = "bfcl/berkeley-function-call-leaderboard/bfcl_eval/data"

# path, sha256, bytes, (repo, commit), use; every repository is Apache-2.0.
_TABLE: list[tuple[str, str, int, tuple[str, str], Use]] = [
    (
        f"{_BFCL_DATA}/BFCL_v3_multiple.json",
        "aef168155ebd74b7ac2401198b201343bc7d16d7a3d7e0d4e6d8ee82c6969b2a",
        316583,
        _GORILLA,
        "build",
    ),
    (
        f"{_BFCL_DATA}/possible_answer/BFCL_v3_multiple.json",
        "244e00ce9395df948bcafc7bee64e8f9c87ef70887587d83cae45b13699f3047",
        32254,
        _GORILLA,
        "build",
    ),
    (
        "bfcl/LICENSE",
        "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4",
        11357,
        _GORILLA_LICENSE,
        "license",
    ),
    (
        "apibank/benchmarks/API-Bank/level-1-api_processed.json",
        "51ebc8209ba467ce4cc1854d23b2cfd89759f3c45ff2aaf90de4f003162ea98f",
        1408152,
        _TOOLRL,
        "build",
    ),
    (
        "apibank/benchmarks/API-Bank/level-2-api_processed.json",
        "75c8097b3127d1f7aec13edb6b7a8428565d753b107f2b1e20daa3d0cfda51db",
        215912,
        _TOOLRL,
        "build",
    ),
    (
        "apibank/benchmarks/API-Bank/level-3-api_processed.json",
        "57228427976f05725d9cf2f0ab03ac16487efaed67d5a929b28e974b9b27ef05",
        376214,
        _TOOLRL,
        "build",
    ),
    (
        "apibank/LICENSE",
        "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
        11358,
        _TOOLRL,
        "license",
    ),
    (
        "rotbench/Data/First_Turn/clean.json",
        "a367dc165c0bb09f4002c89ab9a6884ef2383547d8e6d21511c7c0153e7ff1cd",
        723197,
        _ROTBENCH,
        "build",
    ),
    (
        "rotbench/LICENSE",
        "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4",
        11357,
        _ROTBENCH,
        "license",
    ),
    (
        "toolalpaca/data/eval_real.json",
        "86d1392c786060e00dd6feaa963d8a87660e3042380b0abbd8ccad2b931e2778",
        149690,
        _TOOLALPACA,
        "build",
    ),
    (
        "toolalpaca/LICENSE",
        "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4",
        11357,
        _TOOLALPACA,
        "license",
    ),
    (
        "tooleyes/Test_Data/scenario_data_zero_processed.json",
        "a86e878200d14e58be468a266f068f03955512bd61ff4fd481d26897a403f3e8",
        2059796,
        _TOOLEYES,
        "build",
    ),
    (
        "tooleyes/LICENSE",
        "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4",
        11357,
        _TOOLEYES,
        "license",
    ),
    (
        "toolrl/dataset/rlla_4k_raw/rlla_sft.json",
        "ef42a7b1574f1552d6cc7bf9f060a6425458ff67bae2baf53e945dc640dc125c",
        2006475,
        _TOOLRL,
        "train",
    ),
    (
        "toolrl/dataset/rlla_4k/test.parquet",
        "f7f300ebe755fd04985c83e18097d5a94a08619d72809fe06128ed3f00da7554",
        181231,
        _TOOLRL,
        "train",
    ),
    (
        "toolrl/LICENSE",
        "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
        11358,
        _TOOLRL,
        "license",
    ),
]

PINS: dict[str, PinnedFile] = {
    path: PinnedFile(path, sha, size, repo, commit, "Apache-2.0", use)
    for path, sha, size, (repo, commit), use in _TABLE
}

# The upstream repository and commit of each source, for the dataset card.
SOURCE_REPOS: dict[str, tuple[str, str, str]] = {
    "bfcl_v3": (*_GORILLA, "Apache-2.0"),
    "apibank": (*_TOOLRL, "Apache-2.0 (ToolRL's processing of API-Bank)"),
    "rotbench": (*_ROTBENCH, "Apache-2.0"),
    "toolalpaca": (*_TOOLALPACA, "Apache-2.0"),
    "tooleyes": (*_TOOLEYES, "Apache-2.0"),
}


class SourceFileError(RobustBenchError, RuntimeError):
    """A pinned source file is missing or differs from its pin; the message says what to do."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(sources_dir: str | Path, paths: Iterable[str]) -> None:
    """Check that every file of ``paths`` exists under ``sources_dir`` with its pinned sha256."""
    root = Path(sources_dir)
    problems: list[str] = []
    for rel in paths:
        pin = PINS[rel]
        path = root / rel
        if not path.is_file():
            problems.append(
                f"missing source file {rel}: expected at {path} (sha256 {pin.sha256}, "
                f"{pin.repo}@{pin.commit[:12]})"
            )
            continue
        actual = sha256_file(path)
        if actual != pin.sha256:
            problems.append(
                f"source file {rel} does not match its pin: {path} has sha256 {actual}, "
                f"expected {pin.sha256} ({pin.repo}@{pin.commit[:12]})"
            )
    if problems:
        raise SourceFileError(
            "; ".join(problems) + f". Get the pinned files with `{FETCH_HINT}` and pass --sources DIR"
        )


def build_files() -> list[str]:
    """The files ``robustbench-tc build`` reads."""
    return [p for p, pin in PINS.items() if pin.used_by == "build"]
