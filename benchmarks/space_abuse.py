"""The leaderboard Space under junk uploads and at 1,000 submissions (127.0.0.1 only).

Starts the Space as a separate process on a free port of 127.0.0.1 with a fresh database, samples
the memory (PSS) of that process and its children every 50 ms, and measures:

1. the cost of refusing ONE junk file (``{}`` lines, ``--junk-mb`` MB): wall time and peak memory;
2. a legitimate submission (the oracle file) alone, then while ``--junk`` junk files are
   submitted at the same time: its wait = (time with junk) - (time alone);
3. the leaderboard render (the ``/leaderboard`` endpoint, min and median of ``--repeat``) with
   ``--rows`` synthetic submissions in the database.

Everything is bounded: at most ``--junk`` concurrent uploads, every request has a timeout, and the
whole run stops itself after ``--deadline`` seconds (the server is killed on exit).

    python benchmarks/space_abuse.py --dataset DIR [--junk 6] [--junk-mb 12] [--rows 1000]
    python benchmarks/space_abuse.py --dataset DIR --code /path/to/old/checkout   # "before" figures
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SERVER = """
import sys
from pathlib import Path
from space.app import launch
from space.config import BoardConfig
cfg = BoardConfig(dataset_dir=Path(sys.argv[1]), db_path=Path(sys.argv[2]), rate_limit_per_hour=0, n_boot=1000)
launch(cfg, host="127.0.0.1", port=int(sys.argv[3]))
"""


class Figures(dict):
    """Each figure is printed as soon as it is measured (a run stopped by its deadline keeps them)."""

    def __setitem__(self, name: str, values: object) -> None:
        super().__setitem__(name, values)
        print(f"{name}: {json.dumps(values, ensure_ascii=False)}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Memory of ``pid`` and all its descendants (proportional set size), in MB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:  # PSS: pages a forked child shares with the server are counted once, not twice
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class Sampler:
    """Peak RSS of a process tree, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.05)

    def __enter__(self) -> Sampler:
        self.peak = rss_mb(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def populate(db: Path, dataset: Path, rows: int, code: Path) -> None:
    """``rows`` synthetic submissions (realistic per-type and details, 20 paired tests each)."""
    script = f"""
import random, sys
sys.path.insert(0, {str(code)!r})
from pathlib import Path
from leaderboard_seed import SEED_PATH
from space.seed import load_seed
from space.store import Run, Store
store = Store(Path({str(db)!r}))
seed, digest = load_seed(SEED_PATH)
store.sync_seed(seed, digest)
rng = random.Random(0)
per_type = seed[0].per_type
results = [("CD", i, f"s{{i}}", float(rng.random() < 0.5)) for i in range(200)]
for i in range({rows}):
    m = {{k: rng.random() for k in ("clean", "pert_acc", "d_obs", "d_act", "d_rew", "d_trn")}}
    ci = {{k + "_ci": 0.01 for k in m}}
    run = Run(origin="submission", model=f"synthetic-{{i}}", group="Community submissions", params_b=7.0,
              file_sha256=f"{{i:064x}}", dataset_fingerprint="bench", per_type=per_type,
              details={{"header": {{"model": "m", "engine": "vllm", "extra": {{"note": "x" * 2000}}}}}}, **m, **ci)
    compare = lambda others: {{j: (0.01, 0.5) for j in list(others)[:20]}}
    store.add_submission(run, results, client_key=f"k{{i}}", rate_limit_per_hour=0, compare=compare)
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=900)


def start_server(code: Path, dataset: Path, db: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(code), "GRADIO_ANALYTICS_ENABLED": "False"}
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(dataset), str(db), str(port)], env=env,
                            cwd=str(code), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    import httpx

    for _ in range(600):
        try:
            if httpx.get(url + "config", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit("the server exited during start-up")
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start within 120 s")


def submit(url: str, path: Path, name: str, timeout: float) -> tuple[float, str]:
    from gradio_client import Client, handle_file

    start = time.perf_counter()
    job = Client(url, verbose=False, download_files=False).submit(
        handle_file(str(path)), name, "", "", "", api_name="/submit"
    )
    try:
        status = job.result(timeout=timeout)[0]
    except Exception as exc:  # noqa: BLE001 - reported, not fatal
        status = f"no answer ({type(exc).__name__})"
    return time.perf_counter() - start, status


def reading_figures(oracle: Path, junk: Path) -> dict[str, float]:
    """``parse_predictions`` on the oracle file against its floor (plain ``json.loads`` of every
    line), and on the junk file (refused), with tracemalloc's peak for the junk."""
    import tracemalloc

    from robustbench_tc.predictions import PredictionsError, parse_predictions

    good, bad = oracle.read_bytes(), junk.read_bytes()

    def best(fn) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)

    def refuse() -> None:
        try:
            parse_predictions(bad)
        except PredictionsError:
            return
        raise AssertionError("the junk file was accepted")

    parse_s = best(lambda: parse_predictions(good))
    floor_s = best(lambda: [json.loads(line) for line in good.splitlines()])
    tracemalloc.start()
    refuse_s = best(refuse)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"oracle_parse_s": round(parse_s, 3), "oracle_json_loads_floor_s": round(floor_s, 3),
            "ratio": round(parse_s / floor_s, 2), "junk_refusal_s": round(refuse_s, 4),
            "junk_refusal_peak_MB_beyond_file": round(peak / 1e6, 1)}  # fmt: skip


def start_job(url: str, path: Path, name: str):
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False, download_files=False)
    return client.submit(handle_file(str(path)), name, "", "", "", api_name="/submit"), time.perf_counter()


def wait_until_queued(jobs, timeout: float) -> int:
    """Wait until every job has uploaded its file and joined the queue (or finished); how many did."""
    from gradio_client.utils import Status

    waiting = {Status.STARTING, Status.JOINING_QUEUE}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        codes = [job.status().code for job, _ in jobs]
        if not any(code in waiting for code in codes):
            return len(codes)
        time.sleep(0.05)
    return sum(job.status().code not in waiting for job, _ in jobs)


def finish_job(job, start: float, timeout: float) -> tuple[float, str]:
    try:
        status = job.result(timeout=timeout)[0]
    except Exception as exc:  # noqa: BLE001 - reported, not fatal
        status = f"no answer ({type(exc).__name__})"
    return time.perf_counter() - start, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, required=True, help="built dataset folder")
    parser.add_argument(
        "--code", type=Path, default=REPO, help="checkout whose space/ to run (default: this)"
    )
    parser.add_argument("--junk", type=int, default=6, help="concurrent junk uploads (at most 12)")
    parser.add_argument("--junk-mb", type=float, default=12.0)
    parser.add_argument("--single-mb", type=float, default=20.7, help="size of the one junk file timed alone")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--request-timeout", type=float, default=240.0)
    parser.add_argument("--deadline", type=float, default=1500.0, help="stop everything after this many s")
    args = parser.parse_args()
    args.junk = max(0, min(args.junk, 12))
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(SystemExit("deadline reached")))
    signal.alarm(int(args.deadline))

    from robustbench_tc.dataset import load_samples
    from robustbench_tc.predictions import write_predictions
    from robustbench_tc.scoring.oracle import oracle_header, oracle_records

    print(f"code: {args.code}  load: {os.getloadavg()[0]:.2f}  cores: {os.cpu_count()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        oracle = write_predictions(
            tmp / "oracle.jsonl", oracle_records(load_samples(args.dataset)), oracle_header()
        )
        single = tmp / "junk_single.jsonl"
        single.write_bytes(b"{}\n" * int(args.single_mb * 1e6 / 3))
        junk = tmp / "junk.jsonl"
        junk.write_bytes(b"{}\n" * int(args.junk_mb * 1e6 / 3))
        figures = Figures()

        figures["in-process reading (this checkout's robustbench_tc)"] = reading_figures(oracle, single)
        proc, url = start_server(args.code, args.dataset, tmp / "abuse.sqlite")
        try:
            idle = rss_mb(proc.pid)
            with Sampler(proc.pid) as mem:
                seconds, status = submit(url, single, "junk", args.request_timeout)
            figures["one junk file"] = {"MB": round(single.stat().st_size / 1e6, 1), "seconds": round(seconds, 2),
                                        "peak_rss_MB": round(mem.peak), "idle_rss_MB": round(idle),
                                        "after_rss_MB": round(rss_mb(proc.pid)), "status": status[:90]}  # fmt: skip
            alone, status = submit(url, oracle, "legit alone", args.request_timeout)
            figures["legit alone"] = {"seconds": round(alone, 2), "status": status[:60]}
            other = tmp / "oracle2.jsonl"
            lines = oracle.read_text(encoding="utf-8").splitlines()
            rec = json.loads(lines[1])
            rec["raw_output"] = "no call"
            other.write_text("\n".join([lines[0], json.dumps(rec), *lines[2:]]) + "\n", encoding="utf-8")
            with Sampler(proc.pid) as mem:
                junk_jobs = [start_job(url, junk, "junk") for _ in range(args.junk)]
                queued = wait_until_queued(junk_jobs, args.request_timeout)  # the junk is ahead in the queue
                legit, status = submit(url, other, "legit under junk", args.request_timeout)
                results = [finish_job(job, start, args.request_timeout) for job, start in junk_jobs]
            figures[f"legit under {args.junk} x {args.junk_mb:g} MB junk"] = {
                "seconds": round(legit, 2), "wait_s": round(legit - alone, 2), "peak_rss_MB": round(mem.peak),
                "junk_queued_first": queued, "junk_refused": sum(s.startswith("Refused") for _, s in results),
                "status": status[:60],
            }  # fmt: skip
        finally:
            proc.kill()
            proc.wait()

        db = tmp / "rows.sqlite"
        populate(db, args.dataset, args.rows, args.code)
        proc, url = start_server(args.code, args.dataset, db)
        try:
            from gradio_client import Client

            client = Client(url, verbose=False, download_files=False)
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                table = client.predict("", False, api_name="/leaderboard")
                times.append(time.perf_counter() - start)
            figures[f"render with {args.rows} submissions (/leaderboard; see board_render.py for the page)"] = {
                "min_s": round(min(times), 3), "median_s": round(statistics.median(times), 3),
                "rows_shown": len(table),
            }  # fmt: skip
        finally:
            proc.kill()
            proc.wait()
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
