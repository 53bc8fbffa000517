"""Scoring with server-side replay against today's scoring, on the same number of records.

Two predictions files over one built dataset, each with N records (N = every runtime record of the
dataset, 1,135 in the default build):

- **runtime**: every runtime record, its episode played by one of the scripted agents (oracle and
  the four naive ones, drawn per record with a fixed seed: trajectories of one to four turns, every
  fault, retries and give-ups), which ``score`` replays in the tool world before judging;
- **paper**: N records drawn from the paper's 23 configs (fixed seed), 30% of the outputs corrupted
  as ``score_speed.py`` does, which ``score`` parses and scores as it did before this change.

Each file also gets a reference run of the same kind (the paired test runs too). Then, ``--repeat``
times, interleaved:

1. the whole command in a fresh process: ``robustbench-tc score FILE --dataset DIR --reference REF
   --per-sample ROWS --json REPORT`` (B = ``--n-boot``, default 10,000), for each file;
2. in a fresh process, the per-record work alone: reading + replaying + judging the runtime file
   (``world.replay`` then ``world.verdict``), and reading + parsing + scoring the paper file.

Prints min and median of each figure and the ratios runtime / paper (the target: at most 1.5).

    python benchmarks/score_replay_speed.py --dataset DIR [--repeat 5]   # or --sources DIR
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _timing import load_line, run_timed, summary
from score_speed import corrupted

TARGET_RATIO = 1.5


def _files(dataset: Path, tmp: Path) -> tuple[dict[str, tuple[Path, Path]], int]:
    from robustbench_tc.dataset import load_samples
    from robustbench_tc.predictions import write_predictions
    from robustbench_tc.scoring.oracle import episode_record, oracle_header, oracle_records
    from robustbench_tc.taxonomy import CONFIG_NAMES, RUNTIME_CONFIG_NAMES
    from robustbench_tc.world.agents import AGENTS

    samples = load_samples(dataset)
    runtime_rows = [r for c in RUNTIME_CONFIG_NAMES for r in samples.get(c, [])]
    n = len(runtime_rows)
    if not n:
        raise SystemExit(f"{dataset} has no runtime configs: build it with this version of robustbench-tc")
    agents = sorted(AGENTS)
    files = {}
    for kind, seed in (("run", 0), ("ref", 1)):
        rng = random.Random(seed)
        played = [episode_record(row, rng.choice(agents), 4) for row in runtime_rows]
        header = oracle_header(agent="mix", step_limit=4)
        files.setdefault("runtime", []).append(
            write_predictions(tmp / f"runtime-{kind}.jsonl", played, header)
        )
        paper = oracle_records({c: samples[c] for c in CONFIG_NAMES})
        chosen = sorted(random.Random(seed).sample(range(len(paper)), n))
        records = corrupted([paper[i] for i in chosen], 0.3 if kind == "run" else 0.45, seed)
        files.setdefault("paper", []).append(
            write_predictions(tmp / f"paper-{kind}.jsonl", records, oracle_header())
        )
    return {k: (v[0], v[1]) for k, v in files.items()}, n


def per_record(dataset: Path, runtime: Path, paper: Path) -> dict[str, float]:
    """The per-record work of each file in this (fresh) process, after the imports and the gold."""
    from robustbench_tc.gold import load_gold
    from robustbench_tc.predictions import read_predictions
    from robustbench_tc.runtime import paused_gc
    from robustbench_tc.scoring.report import _Run
    from robustbench_tc.world.replay import check_trajectories, runtime_rows

    with paused_gc():
        gold = load_gold(dataset)
        keyed = runtime_rows(gold)
        start = time.perf_counter()
        predictions = read_predictions(runtime)
        episodes = check_trajectories(keyed, predictions)
        _Run(gold, predictions, {}, episodes)
        runtime_s = time.perf_counter() - start
        start = time.perf_counter()
        _Run(gold, read_predictions(paper), {})
        paper_s = time.perf_counter() - start
    return {"runtime: read + replay + judge": runtime_s, "paper: read + parse + score": paper_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, help="built dataset folder (with the runtime configs)")
    parser.add_argument("--sources", type=Path, help="build the dataset from these sources first")
    parser.add_argument("--n-boot", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--per-record", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.per_record:
        print(json.dumps(per_record(*args.per_record)))
        return
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        dataset = args.dataset
        if dataset is None:
            if args.sources is None:
                parser.error("give --dataset DIR or --sources DIR")
            from dataset_builder.build import build_dataset

            dataset = tmp / "dataset"
            build_dataset(args.sources, dataset, progress=False)
        files, n = _files(dataset, tmp)
        py = sys.executable
        out = tmp / "out"
        out.mkdir()

        def score(run: Path, ref: Path) -> list[str]:
            return [py, "-m", "robustbench_tc", "score", str(run), "--dataset", str(dataset), "--reference", str(ref),
                    "--per-sample", str(out / "rows.jsonl"), "--json", str(out / "report.json"),
                    "--n-boot", str(args.n_boot)]  # fmt: skip

        walls: dict[str, list[float]] = {"runtime (replay)": [], "paper (today)": []}
        stages: dict[str, list[float]] = {}
        child = [py, __file__, "--per-record", str(dataset), str(files["runtime"][0]), str(files["paper"][0])]
        before = os.getloadavg()
        for _ in range(args.repeat):  # interleaved
            walls["runtime (replay)"].append(run_timed(score(*files["runtime"]), keep_output=False)[0])
            walls["paper (today)"].append(run_timed(score(*files["paper"]), keep_output=False)[0])
            for name, value in json.loads(run_timed(child)[1].strip().splitlines()[-1]).items():
                stages.setdefault(name, []).append(value)
        after = os.getloadavg()
    print(f"records per file: {n} (+ a reference of {n}); B={args.n_boot}; {args.repeat} interleaved rounds; "
          f"cpus {os.cpu_count()}")  # fmt: skip
    print(load_line(before, after))
    print("\nscore, whole process (s)")
    for name, values in walls.items():
        print(f"  {name:<34} {summary(values)}")
    rt, pp = walls["runtime (replay)"], walls["paper (today)"]
    print(f"  ratio runtime / paper: min {min(rt) / min(pp):.2f}, median {statistics.median(rt) / statistics.median(pp):.2f} "
          f"(target <= {TARGET_RATIO})")  # fmt: skip
    print("\nper-record work of one file, fresh process (s)")
    for name, values in stages.items():
        print(
            f"  {name:<34} {summary(values)}  ({1e6 * statistics.median(values) / n:.0f} µs per record, median)"
        )
    a, b = stages["runtime: read + replay + judge"], stages["paper: read + parse + score"]
    print(
        f"  ratio runtime / paper: min {min(a) / min(b):.2f}, median {statistics.median(a) / statistics.median(b):.2f}"
    )


if __name__ == "__main__":
    main()
