"""The differential check against BFCL: our call rule on 42,640 real outputs of 41 models.

Reads ``../shared/corpora/bfcl_result`` (or ``--corpora`` / ``RBTC_CORPORA``) and BFCL's questions
and gold from ``--sources`` / ``RBTC_SOURCES``, decodes every output with ``made_calls`` for the
``bfcl_v3`` source, scores it against BFCL's gold (``irrelevance``: valid when no call is made),
and prints, for the development and the held-out models (``robustbench_tc.testing.bfcl_result``):
agreement with BFCL's verdict and with the adjudicated verdicts, per category and per model, and
the classes of the outputs on which we disagree with BFCL (the adjudicated table's classes;
``unadjudicated`` for a disagreement nobody has read yet).

    python benchmarks/bfcl_result_check.py [--part dev|held_out|all] [--examples N] [--json out.json]

``--examples`` prints N outputs per class (development models only unless ``--show-held-out``:
the held-out outputs are read once, at the end of a change to the rule).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from robustbench_tc.testing.bfcl_result import (  # noqa: E402
    CATEGORIES,
    CLASSES,
    Check,
    corpora_dir,
    read_corpus,
    read_questions,
    run_check,
    sources_dir,
)

SPLITS = (("dev", "development"), ("held_out", "held-out"))


def _pct(agree: int, n: int) -> str:
    return f"{agree:>6,}/{n:<6,} {100 * agree / n:6.2f}%" if n else "-"


def report(check: Check, examples: int, show_held_out: bool) -> dict:
    out: dict = {"parts": {}, "classes": {}}
    for split, title in SPLITS:
        key = (split,)
        if not check.bfcl.n[key]:
            continue
        print(f"\n== {title} models: agreement with BFCL's verdict | with the adjudicated verdicts")
        print(f"   {'all':<40}{_pct(check.bfcl.agree[key], check.bfcl.n[key])}   "
              f"{_pct(check.reference.agree[key], check.reference.n[key])}")  # fmt: skip
        part = {"all": [check.bfcl.agree[key], check.reference.agree[key], check.bfcl.n[key]]}
        for category in CATEGORIES:
            k = (split, category)
            print(f"   {category:<40}{_pct(check.bfcl.agree[k], check.bfcl.n[k])}   "
                  f"{_pct(check.reference.agree[k], check.reference.n[k])}")  # fmt: skip
            part[category] = [check.bfcl.agree[k], check.reference.agree[k], check.bfcl.n[k]]
        models = sorted(
            m for (s, *rest) in check.bfcl.n if s == split and rest[:1] == ["model"] for m in rest[1:]
        )
        for model in models:
            k = (split, "model", model)
            print(f"     {model:<38}{_pct(check.bfcl.agree[k], check.bfcl.n[k])}   "
                  f"{_pct(check.reference.agree[k], check.reference.n[k])}")  # fmt: skip
            part[model] = [check.bfcl.agree[k], check.reference.agree[k], check.bfcl.n[k]]
        out["parts"][split] = part
    print("\n== disagreements with BFCL by class (development | held-out)")
    by_class: dict[str, list] = defaultdict(list)
    for verdict in check.results:
        if not verdict.agrees:
            found = check.adjudicated.get(verdict.output.key)
            by_class[found.cls if found else "unadjudicated"].append(verdict)
    for cls in [*CLASSES, "unadjudicated"]:
        dev, held = check.classes[("dev", cls)], check.classes[("held_out", cls)]
        if not dev and not held:
            continue
        ours_right = sum(
            1
            for v in by_class[cls]
            if v.ours
            == (check.adjudicated[v.output.key].valid if v.output.key in check.adjudicated else None)
        )
        print(
            f"   {cls:<5}{dev:>6} | {held:<6} ours right in {ours_right:>5}   {CLASSES.get(cls, 'not read yet')}"
        )
        out["classes"][cls] = {"dev": dev, "held_out": held, "ours_right": ours_right}
        shown = [v for v in by_class[cls] if show_held_out or v.output.model not in _held_out_models()]
        for v in shown[:examples]:
            o = v.output
            print(f"      - {o.model} {o.bfcl_id} BFCL={'valid' if o.bfcl_valid else 'invalid'} "
                  f"ours={'valid' if v.ours else 'invalid'}: {o.raw[:160]!r}")  # fmt: skip
    return out


def _held_out_models() -> frozenset[str]:
    from robustbench_tc.testing.bfcl_result import HELD_OUT

    return HELD_OUT


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpora", type=Path, help="folder holding bfcl_result/ (default: ../shared/corpora)"
    )
    parser.add_argument("--sources", type=Path, help="the pinned sources (default: RBTC_SOURCES)")
    parser.add_argument("--part", choices=("dev", "held_out", "all"), default="all",
                        help="which models to check (work on the rule with `dev`: held-out is read last)")  # fmt: skip
    parser.add_argument("--examples", type=int, default=0, help="outputs printed per class")
    parser.add_argument(
        "--show-held-out", action="store_true", help="print held-out outputs among the examples"
    )
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    corpora = args.corpora or corpora_dir()
    sources = args.sources or sources_dir()
    if corpora is None or sources is None:
        parser.error(
            "the BFCL-Result corpus or the BFCL sources were not found: give --corpora and --sources"
        )
    start = time.perf_counter()
    outputs = read_corpus(corpora, split=None if args.part == "all" else args.part)
    questions = read_questions(sources)
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    check = run_check(outputs, questions)
    scan_s = time.perf_counter() - start
    print(f"{len(outputs):,} outputs of {len({o.model for o in outputs})} models; read {read_s:.1f} s, "
          f"decoded and scored in {scan_s:.1f} s ({scan_s / len(outputs) * 1e6:.0f} us per output)")  # fmt: skip
    figures = report(check, args.examples, args.show_held_out)
    if check.unadjudicated:
        print(f"\n{len(check.unadjudicated)} disagreements with BFCL are not adjudicated yet")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
