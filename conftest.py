"""Collection rules for the whole repository (tests and the packages' doctests).

Modules whose optional dependencies are not installed are not collected, so a partial install
still runs everything it can; scripts that are not importable modules are skipped.
"""

from __future__ import annotations

import importlib.util

# package folder -> the optional distributions its modules import at top level
_OPTIONAL: dict[str, tuple[str, ...]] = {
    "space": ("gradio", "pandas", "plotly"),
    "train": ("trl", "transformers", "datasets"),
}


def _missing(modules: tuple[str, ...]) -> bool:
    return any(importlib.util.find_spec(m) is None for m in modules)


collect_ignore = ["benchmarks", "scripts", "train/grpo.py", "train/gpu_check.py"]
collect_ignore += [folder for folder, needs in _OPTIONAL.items() if _missing(needs)]
