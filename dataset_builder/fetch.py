"""``fetch-sources``: download every pinned upstream file at its pinned commit, verified.

Files already present with the pinned sha256 are skipped (re-running resumes an interrupted
fetch); each download goes to a ``.part`` file next to its target and is renamed into place only
once its sha256 matches, so a target is never left half-written.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from dataset_builder.pins import PINS, RAW_BASE_URL, PinnedFile, sha256_file
from robustbench_tc.errors import RobustBenchError


class FetchError(RobustBenchError, RuntimeError):
    """A pinned file could not be downloaded or did not match its pin."""


@dataclass(frozen=True)
class FetchReport:
    downloaded: tuple[str, ...]
    skipped: tuple[str, ...]
    """Already present with the pinned sha256."""


def _download(pin: PinnedFile, target: Path, base_url: str, timeout: float, bar: tqdm) -> None:
    url = pin.raw_url(base_url)
    part = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, part.open("wb") as fh:
            for block in iter(lambda: response.read(1 << 16), b""):
                fh.write(block)
                digest.update(block)
                bar.update(len(block))
    except (urllib.error.URLError, OSError) as exc:
        part.unlink(missing_ok=True)
        raise FetchError(f"could not download {pin.path} from {url}: {exc}") from exc
    if digest.hexdigest() != pin.sha256:
        part.unlink(missing_ok=True)
        raise FetchError(f"{url} has sha256 {digest.hexdigest()}, expected {pin.sha256} ({pin.path})")
    os.replace(part, target)


def fetch_sources(
    out_dir: str | Path,
    *,
    base_url: str = RAW_BASE_URL,
    paths: Iterable[str] | None = None,
    timeout: float = 60.0,
    progress: bool = True,
) -> FetchReport:
    """Fetch the pinned files (default: all of them) into ``out_dir`` (the sources folder layout)."""
    root = Path(out_dir)
    pins = [PINS[p] for p in (paths if paths is not None else PINS)]
    todo, skipped = [], []
    for pin in pins:
        target = root / pin.path
        if target.is_file() and target.stat().st_size == pin.size and sha256_file(target) == pin.sha256:
            skipped.append(pin.path)
        else:
            todo.append(pin)
    total = sum(p.size for p in todo)
    with tqdm(total=total, unit="B", unit_scale=True, desc="fetching sources", disable=not progress) as bar:
        for pin in todo:
            target = root / pin.path
            target.parent.mkdir(parents=True, exist_ok=True)
            bar.set_postfix_str(pin.path.rsplit("/", 1)[-1])
            _download(pin, target, base_url, timeout, bar)
    return FetchReport(downloaded=tuple(p.path for p in todo), skipped=tuple(skipped))
