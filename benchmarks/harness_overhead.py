"""Harness overhead over the bare engine on the same prompts, as a ratio measured in one run.

The harness run (``run_eval``: loading samples, building chats, dedupe, transition parsing,
fsynced appends, final rewrite) goes through a recording wrapper around the backend; then the
recorded batches are replayed straight into the same warm backend (the bare engine doing exactly
the same generation work). Ratio = harness wall time / bare wall time; target <= 1.05.

    python benchmarks/harness_overhead.py                       # transformers, tiny model
    python benchmarks/harness_overhead.py --backend vllm        # needs vLLM (e.g. .venv-vllm)
    python benchmarks/harness_overhead.py --dataset DIR         # a built dataset instead of the mini one

With ``--backend vllm`` from the main environment the script re-runs itself with the vLLM venv's
python (``RBTC_VLLM_PYTHON``, default ``.venv-vllm/bin/python``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", choices=["transformers", "vllm"], default="transformers")
    p.add_argument("--dataset", type=Path, help="built dataset (default: the tests' mini dataset)")
    p.add_argument("--configs", nargs="+", help="configs to run (default: all in the dataset)")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument(
        "--max-tokens",
        type=int,
        default=128,
        help="tokens per answer; the random model never stops early, so every answer is this "
        "long (128 is a typical tool-call answer: a short thought and one JSON call)",
    )
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--copies", type=int, default=20, help="mini dataset: copies of each sample")
    p.add_argument("--chunk-size", type=int, default=None, help="fixed chunks (default: adaptive, as `run`)")
    return p.parse_args()


def main() -> int:
    args = _parse()
    if args.backend == "vllm":
        try:
            import vllm  # noqa: F401
        except ImportError:
            python = Path(os.environ.get("RBTC_VLLM_PYTHON", REPO_ROOT / ".venv-vllm" / "bin" / "python"))
            if not python.is_file():
                print(f"vLLM not available here nor at {python}; skipping the vLLM figure")
                return 0
            env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
            return subprocess.call([str(python), __file__, *sys.argv[1:]], env=env)

    from eval_harness.backends import Backend, BackendOptions, ChatRequest, Generation, make_backend
    from eval_harness.manifest import resolve_model
    from eval_harness.runner import RunOptions, run_eval
    from robustbench_tc.testing.mini_dataset import write_mini_dataset
    from robustbench_tc.testing.tiny_model import build_tiny_model

    work = Path(tempfile.mkdtemp(prefix="rbtc-overhead-"))
    model = build_tiny_model(work / "tiny")
    dataset = args.dataset or write_mini_dataset(work / "dataset", copies=args.copies)
    settings = resolve_model(str(model), dtype="float32", max_tokens=args.max_tokens, max_model_len=4096)
    options = BackendOptions(batch_size=8)  # the device defaults (CPU: KV cache sized from free memory)

    class Recording(Backend):
        def __init__(self, inner: Backend) -> None:
            self.inner, self.name, self.batches = inner, inner.name, []

        def engine_version(self) -> str | None:
            return self.inner.engine_version()

        def model_revision(self) -> str | None:
            return self.inner.model_revision()

        def generate(self, requests: Sequence[ChatRequest]) -> list[Generation]:
            self.batches.append(list(requests))
            return self.inner.generate(requests)

    with make_backend(args.backend, settings, options) as engine:
        probe = [ChatRequest([{"role": "user", "content": "warm up"}])]
        engine.generate(probe)  # load + warm the engine outside both timings
        harness_times, bare_times, n_prompts = [], [], 0
        for repeat in range(args.repeats):
            recorder = Recording(engine)
            run_opts = RunOptions(
                dataset=dataset,
                out=work / f"run{repeat}.jsonl",
                backend=args.backend,
                configs=tuple(args.configs) if args.configs else None,
                limit=args.limit,
                chunk_size=args.chunk_size,
                progress=False,
                overwrite=True,
                backend_options=options,
            )
            start = time.perf_counter()
            run_eval(settings, run_opts, backend=recorder)
            harness_times.append(time.perf_counter() - start)
            n_prompts = sum(len(b) for b in recorder.batches)
            for _ in range(2 if repeat == 0 else 1):  # first replay doubles as a warm-up check
                start = time.perf_counter()
                for batch in recorder.batches:
                    engine.generate(batch)
                bare_times.append(time.perf_counter() - start)
    harness, bare = statistics.median(harness_times), statistics.median(bare_times)
    best = min(harness_times) / min(bare_times)
    print(f"backend={args.backend} prompts={n_prompts} (per run, after dedupe) repeats={args.repeats}")
    print(f"harness run   median {harness:8.3f} s  ({', '.join(f'{t:.3f}' for t in harness_times)})")
    print(f"bare engine   median {bare:8.3f} s  ({', '.join(f'{t:.3f}' for t in bare_times)})")
    per_prompt_ms = 1000 * (harness - bare) / max(n_prompts, 1)
    print(f"harness cost  {per_prompt_ms:8.3f} ms per prompt (median difference / prompts)")
    print(
        f"overhead ratio harness/bare = {harness / bare:.3f} (medians), {best:.3f} (best of each)"
        "  (target <= 1.05)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
