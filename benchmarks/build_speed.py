"""Time a full offline build of every config (``rules`` generators) and compare with the target.

    python benchmarks/build_speed.py [--sources DIR] [--target 15] [--repeat 1]

Sources: ``--sources``, else ``$RBTC_SOURCES``, else ``../shared/sources`` next to the repo.
Prints the wall-clock seconds of ``dataset_builder.build.build_dataset`` into a temporary folder
(best of ``--repeat`` runs), the row count, and the ratio to the target (<= 1.0 meets it).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 15.0


def _sources(arg: str | None) -> Path:
    for candidate in (arg, os.environ.get("RBTC_SOURCES"), str(REPO.parent / "shared" / "sources")):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    sys.exit("upstream sources not found: pass --sources DIR or set RBTC_SOURCES")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", help="folder of the pinned upstream sources")
    parser.add_argument("--target", type=float, default=TARGET_S, help="target seconds (default 15)")
    parser.add_argument("--repeat", type=int, default=1, help="runs; the best is reported")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from dataset_builder.build import build_dataset

    sources = _sources(args.sources)
    times = []
    for _ in range(max(1, args.repeat)):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            report = build_dataset(sources, Path(tmp) / "robustbench-tc", progress=False)
            times.append(time.perf_counter() - start)
    best = min(times)
    rows = sum(report.totals.values())
    print(
        f"full offline build: {best:.2f} s for {len(report.counts)} configs / {rows} rows "
        f"(best of {len(times)}; cpus: {os.cpu_count()})"
    )
    print(
        f"target {args.target:.1f} s -> ratio {best / args.target:.2f} "
        f"({'meets' if best <= args.target else 'misses'} the target)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
