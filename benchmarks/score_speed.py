"""How fast is scoring a full predictions file, with every CI and one paired test?

Writes the oracle predictions for every config of a built dataset with a share of the outputs
corrupted (empty, text only, wrong argument, other formats), then times, best of ``--repeat``:

1. reading + validating the file (``read_predictions`` with the dataset's keys);
2. reading + validating + ``score_predictions`` with B bootstrap resamples and a paired test
   against a second (reference) run.

Prints both times and their ratio.  Target: scoring in at most 1 s on the 2-core dev machine.

    python benchmarks/score_speed.py --dataset DIR        # or --sources DIR to build one first
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from robustbench_tc.dataset import load_samples
from robustbench_tc.predictions import read_predictions, write_predictions
from robustbench_tc.scoring import score_predictions
from robustbench_tc.scoring.oracle import oracle_header, oracle_records


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


def best_of(repeat: int, fn) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, help="built dataset folder")
    parser.add_argument("--sources", type=Path, help="build the dataset from these sources first")
    parser.add_argument("--n-boot", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--share", type=float, default=0.3, help="share of corrupted outputs")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        dataset = args.dataset
        if dataset is None:
            if args.sources is None:
                parser.error("give --dataset DIR or --sources DIR")
            from dataset_builder.build import build_dataset

            dataset = Path(tmp) / "dataset"
            build_dataset(args.sources, dataset, progress=False)
        samples = load_samples(dataset)
        known = {s.key for rows in samples.values() for s in rows}
        gold = oracle_records(samples)
        run_path = write_predictions(Path(tmp) / "run.jsonl", corrupted(gold, args.share, 0), oracle_header())
        ref_path = write_predictions(
            Path(tmp) / "ref.jsonl", corrupted(gold, args.share * 1.5, 1), oracle_header()
        )
        reference = read_predictions(ref_path, known_keys=known)

        read_s, _ = best_of(args.repeat, lambda: read_predictions(run_path, known_keys=known))

        def score() -> object:
            run = read_predictions(run_path, known_keys=known)
            return score_predictions(samples, run, reference=reference, n_boot=args.n_boot, seed=0)

        score_s, report = best_of(args.repeat, score)
        size_mb = run_path.stat().st_size / 1e6

    print(
        f"records: {len(known)} in {len(samples)} configs ({size_mb:.1f} MB); B={args.n_boot}; "
        f"paired test vs a reference run; best of {args.repeat}"
    )
    print(f"read + validate:                 {read_s:.3f} s")
    print(f"read + validate + score + CIs:   {score_s:.3f} s  (ratio {score_s / read_s:.1f}x)")
    print(
        f"pert_acc {report.pert_acc.show()}  clean {report.clean.show()}  "  # type: ignore[attr-defined]
        f"p(pert_acc vs ref)={next(t.p_value for t in report.paired if t.metric == 'pert_acc'):.4f}"
    )  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
