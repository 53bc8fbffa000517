"""What an uploader waits for on the leaderboard Space: ``Submitter.submit`` from the uploaded bytes
to the stored run (issue 13: "the Space scores an upload in the same time" as ``score``).

Each round opens a fresh SQLite store (identical resubmissions are refused) and submits the same
oracle predictions file (4,005 records) through the Space's own path: the reserved-name and rate
checks, the budgeted child process that parses and scores (B = the board's ``n_boot``), the
duplicate check and the write (on an empty board: no stored run to compare with). The gold set is loaded once, as the Space
does at start. Prints min and median seconds, the ratio to the 1 s target, and the load average.

    python benchmarks/space_submit_speed.py --dataset DIR [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True, help="built dataset folder")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    from space.config import BoardConfig
    from space.gold import GoldSet
    from space.store import Store
    from space.submit import SubmissionMeta, Submitter

    load_before = os.getloadavg()
    gold = GoldSet.load(args.dataset)
    seconds: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        preds = Path(tmp) / "oracle.jsonl"
        subprocess.run([sys.executable, "-m", "robustbench_tc", "oracle", "--dataset", str(args.dataset),
                        "--out", str(preds)], check=True, capture_output=True)  # fmt: skip
        data = preds.read_bytes()
        for k in range(args.repeat):
            config = BoardConfig(dataset_dir=args.dataset, db_path=Path(tmp) / f"board{k}.sqlite")
            submitter = Submitter(config, gold, Store(config.db_path))
            started = time.perf_counter()
            outcome = submitter.submit(data, SubmissionMeta(model=f"oracle {k}"), client_key="bench",
                                       submitter="bench")  # fmt: skip
            seconds.append(time.perf_counter() - started)
            assert outcome.run.run_id is not None
    n_boot = config.n_boot
    print(f"Space upload: {len(gold.keys)} records, B={n_boot}, {args.repeat} rounds; cpus {os.cpu_count()}")
    print(f"load average before: {', '.join(f'{x:.2f}' for x in load_before)}; "
          f"after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    print(
        f"  submit (bytes to stored run)   min {min(seconds):.3f} s  median {statistics.median(seconds):.3f} s"
    )
    print(
        f"  target 1.0 s: ratio min {min(seconds):.2f}, median {statistics.median(seconds):.2f} (<= 1 meets it)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
