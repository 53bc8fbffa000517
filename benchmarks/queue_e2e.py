"""The evaluation queue end to end with the real SmolLM2-135M-Instruct on CPU, ``--repeat`` times.

Each repeat starts the Space as its own process on a fresh database (its start-up is not timed),
then times what a requester waits for:

1. the request through the Space's ``/request_evaluation`` endpoint (``gradio_client``);
2. ``robustbench-tc board worker --once`` as a process (claims the request, runs the harness with
   transformers on CPU on one shortest row of every config, scores it, stores the verified row);
3. until the Space's ``/leaderboard`` API, asked for verified rows only, returns the row.

Prints min and median of the whole span and of the worker process alone, and the floor: the
harness run alone (``robustbench-tc run`` on the same rows, no queue, no Space).
The browser version of the same path is ``tests/space/test_browser.py::
test_evaluation_queue_end_to_end_with_smollm2``.

    python benchmarks/queue_e2e.py --dataset DIR [--repeat 3] [--max-tokens 16]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _timing import REPO, run_timed  # benchmarks/ is this script's folder
from space_abuse import start_server

MODEL_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"


def figures(name: str, times: list[float]) -> None:
    print(f"{name}: min {min(times):.1f} s, median {statistics.median(times):.1f} s "
          f"({', '.join(f'{t:.1f}' for t in times)})", flush=True)  # fmt: skip


def one_pass(subset: Path, gguf: Path, tmp: Path, max_tokens: int) -> tuple[float, float]:
    from gradio_client import Client

    db = tmp / "board.sqlite"
    proc, url = start_server(REPO, subset, db)
    try:
        client = Client(url, verbose=False, download_files=False)
        start = time.perf_counter()
        status, _ = client.predict(MODEL_ID, "main", "prompt", api_name="/request_evaluation")
        if not str(status).startswith("Filed as request"):
            raise SystemExit(f"the request was not filed: {status}")
        worker_s, out = run_timed(
            [sys.executable, "-m", "robustbench_tc", "board", "worker", "--db", str(db), "--dataset", str(subset),
             "--backend", "transformers", "--local-model", f"{MODEL_ID}={gguf}", "--max-tokens", str(max_tokens),
             "--once", "--work-dir", str(tmp / "work")]
        )  # fmt: skip
        if "1 verified, 0 failed" not in out:
            raise SystemExit(f"the worker did not verify the request:\n{out[-2000:]}")
        while not client.predict("", True, api_name="/leaderboard"):
            if time.perf_counter() - start > 1800:
                raise SystemExit("the verified row never reached the board")
            time.sleep(0.05)
        return time.perf_counter() - start, worker_s
    finally:
        proc.kill()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", type=Path, required=True, help="built dataset folder")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=16)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from robustbench_tc.testing.smollm2 import smollm2_gguf
    from tests.space.helpers import write_subset

    gguf = smollm2_gguf()
    print(
        f"load: {os.getloadavg()[0]:.2f}  cores: {os.cpu_count()}  threads: {os.environ.get('OMP_NUM_THREADS')}"
    )
    totals, workers, floors = [], [], []
    with tempfile.TemporaryDirectory() as root:
        subset = write_subset(args.dataset, Path(root) / "subset")
        n = sum(1 for f in subset.rglob("*.jsonl") for _ in f.open(encoding="utf-8"))
        print(f"{n} rows (the shortest of every config), max_tokens {args.max_tokens}", flush=True)
        for i in range(args.repeat):
            tmp = Path(root) / f"pass{i}"
            tmp.mkdir()
            total, worker = one_pass(subset, gguf, tmp, args.max_tokens)
            totals.append(total)
            workers.append(worker)
            floor, _ = run_timed(
                [sys.executable, "-m", "robustbench_tc", "run", "--dataset", str(subset), "--model", str(gguf),
                 "--backend", "transformers", "--mode", "prompt", "--max-tokens", str(args.max_tokens),
                 "--out", str(tmp / "floor.jsonl"), "--no-progress"]
            )  # fmt: skip
            floors.append(floor)
            print(f"pass {i + 1}: request -> verified row {total:.1f} s, worker {worker:.1f} s, "
                  f"harness alone {floor:.1f} s", flush=True)  # fmt: skip
    figures("request -> worker -> verified row on the board", totals)
    figures("  the worker process alone", workers)
    figures("  floor: robustbench-tc run alone on the same rows", floors)
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
