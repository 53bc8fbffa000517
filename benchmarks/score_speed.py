"""What a user waits for when scoring: ``robustbench-tc score`` as a whole process, and each stage.

Writes the oracle predictions of every config of a built dataset with a share of the outputs
corrupted (empty, text only, wrong argument, cut in half) as a run and, more corrupted, as a
reference; then, ``--repeat`` times, interleaved:

1. the whole command in a fresh process (start to exit): ``robustbench-tc score RUN --dataset DIR
   --reference REF --per-sample ROWS --json REPORT`` (B = ``--n-boot``, default 10,000);
2. a fresh process that times each stage of the same work (``--stages``): imports, loading the
   gold (``load_gold``), reading + validating each predictions file, parsing + scoring each run's
   records, the bootstrap and the report, writing the outputs;
3. the floors, in a fresh process too: the interpreter alone (``python -c pass``), and a bare
   ``json.loads`` of the bytes each stage reads (the two predictions files, the gold index; and the
   27 MB of data files the scorer no longer parses).

Prints min and median (seconds) of each figure, the ratio of each stage to its floor, the target
ratio (``score`` / 1 s), and the load average before and after (the machine may be shared).

    python benchmarks/score_speed.py --dataset DIR [--repeat 5]   # or --sources DIR to build one first
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

# _timing sits beside this script (its folder is first on sys.path)
from _timing import load_line, run_timed, summary, target_line

TARGET_S = 1.0


def corrupted(records, share: float, seed: int):
    rng = random.Random(seed)
    out = []
    for record in records:
        if rng.random() < share:
            kind = rng.randrange(4)
            raw = record.raw_output
            raw = [
                "",
                "Sorry, the tool failed; please try again later.",
                raw.replace('"', "'", 3),
                "Thought: retry\n" + raw[: len(raw) // 2],
            ][kind]
            record = record.model_copy(update={"raw_output": raw})
        out.append(record)
    return out


def _wall(cmd: list[str]) -> float:
    return run_timed(cmd, keep_output=False)[0]


def _child(cmd: list[str]) -> dict[str, float]:
    out = run_timed(cmd)[1]
    return json.loads(out.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- child processes
def stages(dataset: Path, run: Path, ref: Path, out: Path, n_boot: int) -> dict[str, float]:
    """Each stage of ``score`` in this (fresh) process, as the CLI runs them."""
    t = {"start": time.perf_counter()}
    from robustbench_tc.gold import load_gold
    from robustbench_tc.predictions import read_predictions
    from robustbench_tc.runtime import paused_gc
    from robustbench_tc.scoring import report as report_module

    t["imports"] = time.perf_counter()
    boot = [0.0]
    draw = report_module.bootstrap_sums

    def timed_draw(*args, **kwargs):  # the bootstrap's share of score_predictions
        start = time.perf_counter()
        out = draw(*args, **kwargs)
        boot[0] += time.perf_counter() - start
        return out

    report_module.bootstrap_sums = timed_draw
    in_runs = [0.0]
    run_class = report_module._Run

    class TimedRun(run_class):  # score_predictions scores both files again: keep that apart
        def __init__(self, *args, **kwargs):
            start = time.perf_counter()
            super().__init__(*args, **kwargs)
            in_runs[0] += time.perf_counter() - start

    with paused_gc():
        gold = load_gold(dataset)
        t["load gold"] = time.perf_counter()
        predictions = read_predictions(run)
        t["read run"] = time.perf_counter()
        reference = read_predictions(ref)
        t["read reference"] = time.perf_counter()
        scored = report_module._Run(gold, predictions)
        t["parse + score run"] = time.perf_counter()
        report_module._Run(gold, reference)
        t["parse + score reference"] = time.perf_counter()
        report_module._Run = TimedRun
        report = report_module.score_predictions(gold, predictions, reference=reference, n_boot=n_boot)
        t["score_predictions (all)"] = time.perf_counter()
        report_module._Run = run_class
        report.table()
        (out / "report.json").write_text(report.model_dump_json(indent=2), encoding="utf-8")
        report.write_rows(out / "rows.jsonl")
        t["outputs"] = time.perf_counter()
    assert len(scored.values) == len(report.configs)
    names = list(t)
    spans = {b: t[b] - t[a] for a, b in zip(names, names[1:])}
    # score_predictions scores both files again (timed above on their own): split the rest
    rest = spans.pop("score_predictions (all)") - in_runs[0]
    spans["bootstrap draws"] = boot[0]
    spans["aggregates, CIs, paired test, report"] = rest - boot[0]
    return spans


def floors(dataset: Path, run: Path, ref: Path) -> dict[str, float]:
    """Bare ``json.loads`` of the bytes each stage reads (after ``import json``)."""
    from robustbench_tc.dataset import available_configs, config_path
    from robustbench_tc.gold import gold_index_path

    def lines(path: Path) -> float:
        start = time.perf_counter()
        for line in path.read_bytes().splitlines():
            if line.strip():
                json.loads(line)
        return time.perf_counter() - start

    start = time.perf_counter()
    json.loads(gold_index_path(dataset).read_bytes())
    index_s = time.perf_counter() - start
    data_s = sum(lines(config_path(dataset, c)) for c in available_configs(dataset))
    return {"json.loads run": lines(run), "json.loads reference": lines(ref), "json.loads gold index": index_s,
            "json.loads data files": data_s}  # fmt: skip


# ----------------------------------------------------------------------------- driver
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, help="built dataset folder")
    parser.add_argument("--sources", type=Path, help="build the dataset from these sources first")
    parser.add_argument("--n-boot", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--share", type=float, default=0.3, help="share of corrupted outputs")
    parser.add_argument("--stages", nargs=4, type=Path, metavar=("DATASET", "RUN", "REF", "OUT"),
                        help=argparse.SUPPRESS)  # fmt: skip
    parser.add_argument(
        "--floors", nargs=3, type=Path, metavar=("DATASET", "RUN", "REF"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.stages:
        print(json.dumps(stages(*args.stages, n_boot=args.n_boot)))
        return
    if args.floors:
        print(json.dumps(floors(*args.floors)))
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
        from robustbench_tc.dataset import load_samples
        from robustbench_tc.gold import read_gold_index
        from robustbench_tc.predictions import write_predictions
        from robustbench_tc.scoring.oracle import oracle_header, oracle_records

        if read_gold_index(dataset) is None:
            print(f"note: {dataset} has no current gold index (an older build): score reads the data files")
        from robustbench_tc.dataset import available_configs
        from robustbench_tc.taxonomy import CONFIG_NAMES

        # the paper's configs (the runtime configs' replay is timed by score_replay_speed.py)
        samples = load_samples(dataset, [c for c in CONFIG_NAMES if c in available_configs(dataset)])
        gold = oracle_records(samples)
        run = write_predictions(tmp / "run.jsonl", corrupted(gold, args.share, 0), oracle_header())
        ref = write_predictions(tmp / "ref.jsonl", corrupted(gold, args.share * 1.5, 1), oracle_header())
        out = tmp / "out"
        out.mkdir()
        py = sys.executable
        commands = {
            "score CLI (whole process)": [py, "-m", "robustbench_tc", "score", str(run), "--dataset", str(dataset),
                                          "--reference", str(ref), "--per-sample", str(out / "rows.jsonl"),
                                          "--json", str(out / "report.json"), "--n-boot", str(args.n_boot)],
            "floor: python -c pass": [py, "-c", "pass"],
        }  # fmt: skip
        stage_cmd = [
            py,
            __file__,
            "--n-boot",
            str(args.n_boot),
            "--stages",
            str(dataset),
            str(run),
            str(ref),
            str(out),
        ]
        floor_cmd = [py, __file__, "--floors", str(dataset), str(run), str(ref)]
        walls: dict[str, list[float]] = {name: [] for name in commands}
        stage_times: dict[str, list[float]] = {}
        load_before = os.getloadavg()
        for _ in range(args.repeat):  # interleaved: every figure once per round
            for name, cmd in commands.items():
                walls[name].append(_wall(cmd))
            for name, value in {**_child(stage_cmd), **_child(floor_cmd)}.items():
                stage_times.setdefault(name, []).append(value)
        load_after = os.getloadavg()

    n_rec = len(gold)
    print(f"records: {n_rec} in {len(samples)} configs; B={args.n_boot}; paired test vs a reference run; "
          f"{args.repeat} interleaved rounds; cpus {os.cpu_count()}")  # fmt: skip
    print(load_line(load_before, load_after))
    print("\nwhole process (s)")
    for name, values in walls.items():
        print(f"  {name:<34} {summary(values)}")
    score = walls["score CLI (whole process)"]
    print(target_line(score, TARGET_S))
    print("\nstages, one fresh process per round (s)")
    floor_of = {"load gold": "json.loads gold index", "read run": "json.loads run",
                "read reference": "json.loads reference"}  # fmt: skip
    for name in ("imports", "load gold", "read run", "read reference", "parse + score run",
                 "parse + score reference", "bootstrap draws", "aggregates, CIs, paired test, report", "outputs"):  # fmt: skip
        values = stage_times[name]
        ratio = ""
        if name in floor_of:
            floor = stage_times[floor_of[name]]
            ratio = f"  ratio to {floor_of[name]}: median {statistics.median(values) / statistics.median(floor):.1f}x"
        print(f"  {name:<34} {summary(values)}{ratio}")
    total = [
        sum(stage_times[k][i] for k in stage_times if not k.startswith("json")) for i in range(args.repeat)
    ]
    print(f"  {'sum of stages':<34} {summary(total)}")
    print("\nfloors (s)")
    for name in ("json.loads run", "json.loads reference", "json.loads gold index", "json.loads data files"):
        print(f"  {name:<34} {summary(stage_times[name])}")
    print(f"  (the data files are what score parsed before the gold index: "
          f"{statistics.median(stage_times['json.loads data files']) / statistics.median(stage_times['load gold']):.1f}x "
          "the median gold load)")  # fmt: skip


if __name__ == "__main__":
    main()
