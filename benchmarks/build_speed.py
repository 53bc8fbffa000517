"""What a user waits for when building: ``robustbench-tc build`` as a whole process, and each stage.

    python benchmarks/build_speed.py [--sources DIR] [--repeat 5] [--compare DIR]

Sources: ``--sources``, else ``$RBTC_SOURCES``, else ``../shared/sources`` next to the repo.
``--repeat`` times, interleaved, each in a fresh process:

1. the whole command, start to exit: ``robustbench-tc build --sources S --out TMP --quiet``;
2. a process that times each stage of ``build_dataset`` (``BuildReport.stage_seconds``) and its imports;
3. the floors: the interpreter alone (``python -c pass``), and a bare ``json.loads`` of the bytes
   the build reads (the pinned source files) and of the bytes it writes (the data files).

Prints min and median of each figure, the ratio to the 3 s target, the load average, and whether
every build's output is byte-identical to the first (and to ``--compare DIR``, a folder built by
other code, e.g. ``main`` before a change).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import sys
import tempfile
import time
from pathlib import Path

# _timing sits beside this script (its folder is first on sys.path)
from _timing import REPO, load_line, run_timed, summary, target_line

TARGET_S = 3.0


def _sources(arg: str | None) -> Path:
    for candidate in (arg, os.environ.get("RBTC_SOURCES"), str(REPO.parent / "shared" / "sources")):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    sys.exit("upstream sources not found: pass --sources DIR or set RBTC_SOURCES")


def same_tree(a: Path, b: Path) -> bool:
    """Both folders hold the same files with the same bytes."""
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return files_a == files_b and all(filecmp.cmp(a / f, b / f, shallow=False) for f in files_a)


# ----------------------------------------------------------------------------- child processes
def stages(sources: Path, out: Path) -> dict[str, float]:
    start = time.perf_counter()
    from dataset_builder.build import build_dataset

    imported = time.perf_counter()
    report = build_dataset(sources, out, progress=False)
    return {"imports": imported - start, **report.stage_seconds}


def floors(sources: Path, out: Path) -> dict[str, float]:
    from dataset_builder.sources import source_files

    start = time.perf_counter()
    for rel in source_files():
        data = (sources / rel).read_bytes()
        try:
            json.loads(data)
        except ValueError:  # JSON lines (BFCL's .json files are)
            for line in data.splitlines():
                if line.strip():
                    json.loads(line)
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    for path in sorted((out / "data").glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            json.loads(line)
    return {"json.loads source files": read_s, "json.loads written data files": time.perf_counter() - start}


# ----------------------------------------------------------------------------- driver
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", help="folder of the pinned upstream sources")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--compare", type=Path, help="a folder built by other code: must be byte-identical")
    parser.add_argument("--stages", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floors", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stages:
        print(json.dumps(stages(*args.stages)))
        return 0
    if args.floors:
        print(json.dumps(floors(*args.floors)))
        return 0

    sources = _sources(args.sources)
    py = sys.executable
    walls: dict[str, list[float]] = {"build CLI (whole process)": [], "floor: python -c pass": []}
    stage_times: dict[str, list[float]] = {}
    identical = True
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        first = tmp / "first"
        for i in range(max(1, args.repeat)):
            out = first if i == 0 else tmp / f"build{i}"
            wall, _ = run_timed(
                [py, "-m", "robustbench_tc", "build", "--sources", str(sources), "--out", str(out), "--quiet"]
            )
            walls["build CLI (whole process)"].append(wall)
            walls["floor: python -c pass"].append(run_timed([py, "-c", "pass"])[0])
            staged = tmp / f"staged{i}"
            for cmd in ([py, __file__, "--stages", str(sources), str(staged)],
                        [py, __file__, "--floors", str(sources), str(staged)]):  # fmt: skip
                for name, value in json.loads(run_timed(cmd)[1].strip().splitlines()[-1]).items():
                    stage_times.setdefault(name, []).append(value)
            identical &= same_tree(first, out) and same_tree(first, staged)
        matches_compare = same_tree(first, args.compare) if args.compare else None
    load_after = os.getloadavg()

    print(f"full offline build (23 configs), {args.repeat} interleaved rounds; cpus {os.cpu_count()}")
    print(load_line(load_before, load_after))
    print("\nwhole process (s)")
    for name, values in walls.items():
        print(f"  {name:<36} {summary(values)}")
    build = walls["build CLI (whole process)"]
    print(target_line(build, TARGET_S))
    print("\nstages, one fresh process per round (s)")
    for name, values in stage_times.items():
        if not name.startswith("json"):
            print(f"  {name:<36} {summary(values)}")
    print("\nfloors (s)")
    for name, values in stage_times.items():
        if name.startswith("json"):
            print(f"  {name:<36} {summary(values)}")
    print(f"\noutputs byte-identical across the {2 * args.repeat} builds: {identical}")
    if matches_compare is not None:
        print(f"byte-identical to {args.compare}: {matches_compare}")
    return 0 if identical and matches_compare is not False else 1


if __name__ == "__main__":
    raise SystemExit(main())
