"""Run by the vLLM venv's python (tests/eval_harness/test_vllm.py): one engine, two runs.

1. prompt mode, the normal protocol (``robustbench-tc run --backend vllm`` does the same);
2. function-calling mode with every pass 1 treated as a call, so pass 2 (the fault injected as a
   tool turn through the model's chat template) runs through the real engine even though the
   tiny random model never emits a parseable call.

Usage: python vllm_offline_driver.py DATASET MODEL OUT_PROMPT OUT_FC
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":  # the engine spawns processes
    from eval_harness.backends import BackendOptions, make_backend
    from eval_harness.manifest import resolve_model
    from eval_harness.runner import RunOptions, run_eval

    dataset, model, out_prompt, out_fc = (Path(a) for a in sys.argv[1:5])
    configs = ("clean", "CD", "transient_timeout")
    common = {"dtype": "float32", "max_tokens": 16, "max_model_len": 4096}
    engine_options = BackendOptions(gpu_memory_utilization=0.3)
    with make_backend("vllm", resolve_model(str(model), **common), engine_options) as backend:
        for mode, out, made_call in (("prompt", out_prompt, None), ("fc", out_fc, lambda s, g: 1)):
            options = RunOptions(
                dataset=dataset,
                out=out,
                backend="vllm",
                configs=configs,
                limit=2,
                progress=False,
                backend_options=engine_options,
            )
            extra = {"made_call": made_call} if made_call else {}
            summary = run_eval(
                resolve_model(str(model), mode=mode, **common), options, backend=backend, **extra
            )
            print(f"{mode}: {summary}", flush=True)
