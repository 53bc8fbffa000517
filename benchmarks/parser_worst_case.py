"""Parser worst case on hostile input, as ratios to ``json.loads`` over the same bytes.

For every hostile ~100 KB document (``robustbench_tc.testing.hostile.HOSTILE``) and every source
order, parse it ``--reps`` times (interleaved) and report the minimum and median ms, the ms per
100 KB, and the ratio to ``json.loads`` of the same bytes (the document as one JSON string: the
floor of merely reading them).  Then the record-sized shapes (``HOSTILE_RECORDS``): ms per record.

    python benchmarks/parser_worst_case.py [--reps 5] [--json out.json]

Targets (issue 10): at most 50 ms per 100 KB for every source, and a few ms per record whatever
its shape.  Figures taken on a shared machine: report ``uptime`` load with them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from robustbench_tc.parsing import made_calls  # noqa: E402
from robustbench_tc.sources import source_names  # noqa: E402
from robustbench_tc.testing.hostile import HOSTILE, HOSTILE_RECORDS  # noqa: E402


def _time(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    sources = list(source_names())
    rows = []
    print(f"load average: {os.getloadavg()}")
    print(f"{'input':<28}{'source':<12}{'KB':>7}{'min ms':>9}{'med ms':>9}{'ms/100KB':>10}{'x json':>9}")
    worst_per_100kb: dict[str, float] = {s: 0.0 for s in sources}
    for name, text in HOSTILE.items():
        encoded = json.dumps(text)
        size = len(text.encode("utf-8", "surrogatepass"))
        for source in sources:
            parse_t, json_t = [], []
            for _ in range(args.reps):  # interleaved, so load affects both alike
                parse_t.append(_time(made_calls, text, source))
                json_t.append(_time(json.loads, encoded))
            lo, med, floor = min(parse_t), statistics.median(parse_t), max(min(json_t), 1e-7)
            per_100kb = lo * 1e3 * 100_000 / max(size, 1) if size >= 10_000 else None
            if per_100kb is not None:
                worst_per_100kb[source] = max(worst_per_100kb[source], per_100kb)
            rows.append({"input": name, "source": source, "bytes": size, "min_ms": lo * 1e3,
                         "median_ms": med * 1e3, "ms_per_100kb": per_100kb, "ratio_to_json": lo / floor})  # fmt: skip
            shown = f"{per_100kb:>10.1f}" if per_100kb is not None else f"{'-':>10}"
            print(
                f"{name[:27]:<28}{source:<12}{size / 1000:>7.1f}{lo * 1e3:>9.2f}{med * 1e3:>9.2f}{shown}{lo / floor:>9.1f}"
            )
    print("\nrecord-sized shapes (ms per record, min / median over reps, worst source)")
    records = []
    for name, text in HOSTILE_RECORDS.items():
        times = {s: [_time(made_calls, text, s) for _ in range(args.reps)] for s in sources}
        worst = max(sources, key=lambda s: min(times[s]))
        lo, med = min(times[worst]) * 1e3, statistics.median(times[worst]) * 1e3
        records.append({"input": name, "bytes": len(text), "source": worst, "min_ms": lo, "median_ms": med})
        print(f"  {name:<28}{len(text):>7} B  {lo:>7.2f} / {med:>7.2f} ms  ({worst})")
    print("\nworst ms per 100 KB by source: " + ", ".join(f"{s} {v:.1f}" for s, v in worst_per_100kb.items()))
    print(f"worst ms per record: {max(r['min_ms'] for r in records):.2f}")
    if args.json:
        args.json.write_text(json.dumps({"documents": rows, "records": records,
                                         "worst_ms_per_100kb": worst_per_100kb}, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
