"""Per record: our parse + score of a BFCL output against BFCL's own decoder + AST checker.

The records are the BFCL rows of a built dataset whose gold and tools are the clean row's (so
BFCL's own function docs and possible answers apply), each with its oracle output and four broken
versions of it (empty, prose, quotes changed, cut in half).  ``--repeat`` rounds, interleaved, time
per record:

- ours: ``robustbench_tc.scoring.score_sample`` (``parse_tool_calls`` with the BFCL dispatch order,
  the BFCL scorer, and the error-mode classification on top, which BFCL does not do);
- the floor: ``ast.parse`` of the same strings, bracketed as BFCL's decoder brackets them;
- BFCL: ``default_decode_ast_prompting`` + ``ast_checker`` from the ``bfcl-eval`` package, run by
  ``--bfcl-python`` (an interpreter that has it: it pins numpy 1.26.4 and pulls torch through
  sentence-transformers and a dozen vendor SDKs, so it lives in its own venv, see
  docs/scoring.md); without it only the floor is compared.

Prints min and median microseconds per record, the ratios, the load average, and how many
verdicts agree with BFCL's (``correct == 1`` against ``valid``).

    python benchmarks/bfcl_checker_speed.py --dataset DIR [--bfcl-python VENV/bin/python] [--repeat 5]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BFCL_MODEL = "gpt-4o-2024-11-20"
"""A prompting model in BFCL's model table: function names keep their dots."""


def _variants(raw: str) -> list[str]:
    return [raw, "", "I cannot call a tool for that.", raw.replace('"', "'", 3), raw[: len(raw) // 2]]


def records(dataset: Path, sources: Path) -> list[dict[str, Any]]:
    """BFCL rows whose gold and tools equal the clean row's, with BFCL's docs and possible answer."""
    from robustbench_tc.dataset import load_samples
    from robustbench_tc.scoring.oracle import oracle_output

    samples = load_samples(dataset)
    clean = {s.id: s for s in samples["clean"] if s.source == "bfcl_v3"}
    upstream: dict[str, dict[str, Any]] = {}
    out = []
    for config, rows in samples.items():
        for s in rows:
            base = clean.get(s.id)
            if base is None or s.golden_answers != base.golden_answers or s.tool_names != base.tool_names:
                continue
            meta = s.source_meta
            for rel in (meta["file"], meta["answer_file"]):
                if rel not in upstream:
                    lines = (sources / rel).read_text(encoding="utf-8").splitlines()
                    upstream[rel] = {d["id"]: d for d in map(json.loads, filter(str.strip, lines))}
            doc = upstream[meta["file"]][meta["upstream_id"]]
            answer = upstream[meta["answer_file"]][meta["upstream_id"]]
            for raw in _variants(oracle_output(s)):
                out.append({"config": config, "id": s.id, "raw": raw, "function": doc["function"],
                            "ground_truth": answer["ground_truth"], "category": meta["category"]})  # fmt: skip
    return out


def _bracketed(raw: str) -> str:
    text = raw.strip("`\n ")
    return ("" if text.startswith("[") else "[") + text + ("" if text.endswith("]") else "]")


def time_ours(recs: list[dict[str, Any]], dataset: Path) -> tuple[float, list[bool]]:
    from robustbench_tc.gold import load_gold
    from robustbench_tc.scoring import score_sample

    gold = load_gold(dataset)
    by_key = {(r.id, c): r for c, rows in gold.items() for r in rows}
    rows = [by_key[(r["id"], r["config"])] for r in recs]
    start = time.perf_counter()
    verdicts = [score_sample(row, r["raw"]).correct == 1.0 for row, r in zip(rows, recs)]
    return time.perf_counter() - start, verdicts


def time_floor(recs: list[dict[str, Any]]) -> float:
    texts = [_bracketed(r["raw"]) for r in recs]
    start = time.perf_counter()
    for text in texts:
        try:
            ast.parse(text, mode="eval")
        except SyntaxError:
            pass
    return time.perf_counter() - start


def bfcl_child(path: Path) -> None:
    """In an interpreter with ``bfcl-eval``: time its decoder + checker on the records."""
    from bfcl_eval.constants.enums import Language, ReturnFormat
    from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker
    from bfcl_eval.model_handler.utils import default_decode_ast_prompting

    recs = json.loads(path.read_text(encoding="utf-8"))
    start = time.perf_counter()
    verdicts = []
    for r in recs:
        try:
            decoded = default_decode_ast_prompting(r["raw"], ReturnFormat.PYTHON)
            result = ast_checker(
                r["function"], decoded, r["ground_truth"], Language.PYTHON, r["category"], BFCL_MODEL
            )
            verdicts.append(bool(result["valid"]))
        except Exception:  # noqa: BLE001 - BFCL's runner counts an undecodable output as invalid
            verdicts.append(False)
    print(json.dumps({"seconds": time.perf_counter() - start, "verdicts": verdicts}))


def _us(values: list[float], n: int) -> str:
    return f"min {min(values) / n * 1e6:7.1f} us  median {statistics.median(values) / n * 1e6:7.1f} us"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, help="built dataset folder")
    parser.add_argument("--sources", type=Path, default=os.environ.get("RBTC_SOURCES"), help="pinned sources")
    parser.add_argument("--bfcl-python", help="a Python interpreter with bfcl-eval installed")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--bfcl-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bfcl_child:
        bfcl_child(args.bfcl_child)
        return 0
    if args.dataset is None or args.sources is None:
        parser.error("give --dataset DIR and --sources DIR (or set RBTC_SOURCES)")

    recs = records(args.dataset, Path(args.sources))
    n = len(recs)
    ours: list[float] = []
    floor: list[float] = []
    bfcl: list[float] = []
    agree = None
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        rec_file = Path(tmp) / "records.json"
        rec_file.write_text(json.dumps(recs), encoding="utf-8")
        time_ours(recs[:50], args.dataset)  # warm: imports, compiled regexes, loaded gold
        for _ in range(args.repeat):
            seconds, verdicts = time_ours(recs, args.dataset)
            ours.append(seconds)
            floor.append(time_floor(recs))
            if args.bfcl_python:
                env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
                out = subprocess.run([args.bfcl_python, __file__, "--bfcl-child", str(rec_file)], check=True,
                                     capture_output=True, text=True, env=env).stdout  # fmt: skip
                result = json.loads(out.strip().splitlines()[-1])
                bfcl.append(result["seconds"])
                agree = sum(a == b for a, b in zip(verdicts, result["verdicts"]))
    load_after = os.getloadavg()

    print(
        f"{n} BFCL records ({n // 5} rows x 5 outputs), {args.repeat} interleaved rounds; cpus {os.cpu_count()}"
    )
    print(f"load average before: {', '.join(f'{x:.2f}' for x in load_before)}; "
          f"after: {', '.join(f'{x:.2f}' for x in load_after)}")  # fmt: skip
    print(f"  ours: parse + score + error mode   {_us(ours, n)}")
    print(f"  floor: ast.parse of the strings    {_us(floor, n)}   ours / floor: median "
          f"{statistics.median(ours) / statistics.median(floor):.2f}x")  # fmt: skip
    if bfcl:
        print(f"  BFCL: decoder + ast_checker        {_us(bfcl, n)}   ours / BFCL: min-to-min "
              f"{min(ours) / min(bfcl):.2f}, median {statistics.median(ours) / statistics.median(bfcl):.2f} "
              "(<= 1 meets the target)")  # fmt: skip
        print(f"  verdicts agreeing with BFCL's: {agree} of {n}")
    else:
        print("  (no --bfcl-python: BFCL's checker not timed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
