"""The clean-set manifest: the paper's 199 sample ids with their upstream locators, in row order.

>>> entries = load_manifest()
>>> len(entries), entries[0].id, entries[0].locator["line"]
(199, 'bfcl_v3__BFCL_v3_multiple__multiple_2', 2)
>>> [sum(e.source == s for e in entries) for s in ("bfcl_v3", "apibank", "rotbench", "toolalpaca", "tooleyes")]
[32, 74, 21, 21, 51]
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from robustbench_tc.sources import get_source

MANIFEST_PATH = Path(__file__).with_name("clean_manifest.json")


@dataclass(frozen=True)
class ManifestEntry:
    id: str
    source: str
    file: str
    """The pinned file (relative to the sources folder) holding the sample."""
    locator: dict[str, Any] = field(default_factory=dict)
    """Where in ``file``: ``line``/``upstream_id`` (BFCL), ``index`` (API-Bank, RoTBench, ToolEyes),
    ``api_index``/``api_name``/``inst`` (ToolAlpaca), plus ``scenario``/``path`` where known."""


def load_manifest(path: str | Path = MANIFEST_PATH) -> list[ManifestEntry]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    entries = []
    for raw in data["samples"]:
        raw = dict(raw)
        entry = ManifestEntry(
            id=raw.pop("id"), source=get_source(raw.pop("source")).name, file=raw.pop("file"), locator=raw
        )
        entries.append(entry)
    ids = [e.id for e in entries]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: duplicate sample ids")
    return entries
