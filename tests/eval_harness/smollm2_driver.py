"""Run by either engine's python (tests/eval_harness/test_smollm2_engines.py): the real
SmolLM2-135M-Instruct GGUF through one backend, with the harness's own device defaults (no
--dtype: float32 on CPU; vLLM's KV cache sized from free memory).

1. prompt mode, the normal protocol;
2. function-calling mode with every pass 1 treated as a call, so the transition config's pass 2
   (the fault as a tool turn through the model's chat template) runs on every sample (SmolLM2
   writes prose, not calls).

Prints one JSON line: engine start seconds, generation seconds and prompts generated.

Usage: python smollm2_driver.py BACKEND DATASET MODEL.gguf OUT_DIR MAX_TOKENS
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

if __name__ == "__main__":  # the vLLM engine spawns processes
    from eval_harness.backends import Backend, BackendOptions, ChatRequest, Generation, make_backend
    from eval_harness.manifest import resolve_model
    from eval_harness.runner import RunOptions, run_eval

    backend_name, dataset, model, out_dir, max_tokens = sys.argv[1:6]
    settings = {"max_tokens": int(max_tokens), "max_model_len": 4096}
    timing = {"load_s": 0.0, "generate_s": 0.0, "prompts": 0}

    class Timed(Backend):
        def __init__(self, inner: Backend) -> None:
            self.inner, self.name = inner, inner.name

        def adapt(self, s):  # type: ignore[no-untyped-def]
            return self.inner.adapt(s)

        def engine_version(self) -> str | None:
            return self.inner.engine_version()

        def model_revision(self) -> str | None:
            return self.inner.model_revision()

        def load(self) -> None:
            start = time.perf_counter()
            self.inner.load()
            timing["load_s"] += time.perf_counter() - start

        def generate(self, requests: list[ChatRequest]) -> list[Generation]:
            start = time.perf_counter()
            out = self.inner.generate(requests)
            timing["generate_s"] += time.perf_counter() - start
            timing["prompts"] += len(requests)
            return out

    options = BackendOptions(batch_size=8)  # the CLI default
    with make_backend(backend_name, resolve_model(model, **settings), options) as engine:
        backend = Timed(engine)
        for mode, made_call in (("prompt", None), ("fc", lambda s, g: 1)):
            run_options = RunOptions(
                dataset=Path(dataset),
                out=Path(out_dir) / f"{backend_name}-{mode}.jsonl",
                backend=backend_name,
                progress=False,
                overwrite=True,
                backend_options=options,
            )
            extra = {"made_call": made_call} if made_call else {}
            run_eval(resolve_model(model, mode=mode, **settings), run_options, backend=backend, **extra)
    print("TIMING " + json.dumps(timing), flush=True)
