"""Helpers shared by the source loaders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from robustbench_tc.errors import RobustBenchError
from robustbench_tc.records import GoldCall, Tool


class LoaderError(RobustBenchError, ValueError):
    """An upstream record is not what the manifest or the format notes say it is."""


def read_json(sources_dir: Path, rel: str) -> Any:
    return json.loads((sources_dir / rel).read_text(encoding="utf-8"))


def read_jsonl(sources_dir: Path, rel: str) -> list[Any]:
    lines = (sources_dir / rel).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def single_valued(arguments: dict[str, Any]) -> dict[str, list[Any]]:
    """Upstream ``{param: value}`` as gold ``{param: [value]}``.

    >>> single_valued({"token": "p9o8"})
    {'token': ['p9o8']}
    """
    return {name: [value] for name, value in arguments.items()}


def check_gold_tools(sample_id: str, calls: list[GoldCall], tools: list[Tool]) -> None:
    """Every gold call names a listed tool (the clean set never expects an unlisted tool)."""
    names = {t.name for t in tools}
    unknown = sorted({c.name for c in calls} - names)
    if unknown:
        raise LoaderError(f"{sample_id}: gold tool(s) {unknown} are not in the tool list {sorted(names)}")
