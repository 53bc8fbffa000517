#!/usr/bin/env bash
# The harness on one GPU (prepared for the lent H100/H200 machine; under 10 minutes):
#   1. GPU defaults: no --dtype keeps the checkpoint's dtype (bf16), not the CPU's float32;
#   2. adaptive chunks: the sizes a GPU reaches (expect 16, 64, 256, then up to the cap);
#   3. harness overhead over the bare engine (benchmarks/harness_overhead.py), target <= 1.05;
#   4. SIGTERM: time until the run and every process it started are gone;
#   5. where `import vllm` works (not on the lent machine: the wheel is too large to carry), 1-4
#      again with --backend vllm.
# The model is Qwen2.5-3B-shaped with random weights (no weights exist on that machine) and the
# tests' tiny tokenizer. Needs torch (CUDA), transformers, pydantic, tqdm, psutil.
#   bash benchmarks/gpu_harness.sh            # writes its log and files under ${OUT:-/tmp/rbtc-gpu}
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=$PWD HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
OUT=${OUT:-/tmp/rbtc-gpu}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"

python - "$OUT" <<'PY'
import sys
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, Qwen2Config

from robustbench_tc.testing.tiny_model import build_tiny_model
from robustbench_tc.testing.mini_dataset import write_mini_dataset

out = Path(sys.argv[1])
tiny = build_tiny_model(out / "tiny")
tok = AutoTokenizer.from_pretrained(tiny)
config = Qwen2Config(  # Qwen2.5-3B's shape
    vocab_size=len(tok), hidden_size=2048, intermediate_size=11008, num_hidden_layers=36,
    num_attention_heads=16, num_key_value_heads=2, max_position_embeddings=32768, tie_word_embeddings=True,
    bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, dtype="bfloat16",
)
model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
model.save_pretrained(out / "q3b")
tok.save_pretrained(out / "q3b")
write_mini_dataset(out / "dataset", copies=40)
print("model and dataset ready", flush=True)
PY

backends=(transformers)
python -c "import vllm" 2>/dev/null && backends+=(vllm)
for backend in "${backends[@]}"; do
  echo "== $backend: defaults and adaptive chunks"
  timeout 240 python -m robustbench_tc run --dataset "$OUT/dataset" --model "$OUT/q3b" --backend "$backend" \
    --out "$OUT/$backend.jsonl" --max-tokens 64 --max-model-len 4096 --overwrite --no-progress
  python - "$OUT/$backend.jsonl" <<'PY'
import json, sys
header = json.loads(open(sys.argv[1]).readline())["header"]
print("dtype recorded:", header["extra"]["dtype"], "(expected: auto, the checkpoint's bf16)")
PY
  echo "== $backend: overhead"
  timeout 240 python benchmarks/harness_overhead.py --backend "$backend" --copies 40 --repeats 3 || true
  echo "== $backend: SIGTERM"
  python -m robustbench_tc run --dataset "$OUT/dataset" --model "$OUT/q3b" --backend "$backend" \
    --out "$OUT/$backend-term.jsonl" --max-tokens 512 --max-model-len 4096 --overwrite --no-progress \
    --chunk-size 8 2>"$OUT/$backend-term.err" &
  pid=$!
  until [ "$(wc -l <"$OUT/$backend-term.jsonl" 2>/dev/null || echo 0)" -ge 9 ] || ! kill -0 $pid 2>/dev/null; do sleep 0.5; done
  kids=$(pgrep -P $pid | tr '\n' ' ' || true)
  start=$(date +%s.%N); kill -TERM $pid; wait $pid || echo "exit status $?"
  echo "SIGTERM -> exit in $(echo "$(date +%s.%N) - $start" | bc) s; children left: $(for k in $kids; do kill -0 "$k" 2>/dev/null && echo "$k"; done)"
  tail -1 "$OUT/$backend-term.err"
done
