#!/usr/bin/env bash
# Appendix H's judge audit with a capable open model, served by vLLM on one GPU.
#
#   scripts/gpu_quality_audit.sh [DATASET_DIR] [MODEL]
#
# DATASET_DIR  a built dataset (default ./robustbench-tc; built from $RBTC_SOURCES if absent)
# MODEL        HF id or local folder of the judge (default Qwen/Qwen2.5-32B-Instruct, bf16 on one
#              80 GB GPU); its name is recorded in the audit and shown in the card
# Environment: N (pairs per type, 50), SEED (0), PORT (8011), MAX_MODEL_LEN (16384),
#              VLLM_SERVE (the server command, default "vllm serve"), PYTHON (python3),
#              AUDIT_OUT (default dataset_builder/quality_audits/judge-<model>.json),
#              OUT (if set, the printed report is also written to $OUT/quality_audit.txt)
#
# Needs vllm and the model on the GPU machine. The audit JSON lands in
# dataset_builder/quality_audits/: commit it and every build's card shows it; the dataset's own
# card is updated at once. Answers are cached (~/.cache/robustbench-tc/judge): a rerun asks nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
DATASET=${1:-robustbench-tc}
MODEL=${2:-Qwen/Qwen2.5-32B-Instruct}
PY=${PYTHON:-python3}
PORT=${PORT:-8011}
N=${N:-50}
SEED=${SEED:-0}
NAME=$(basename "$MODEL")
AUDIT_OUT=${AUDIT_OUT:-dataset_builder/quality_audits/judge-$(echo "$NAME" | tr -c 'A-Za-z0-9._\n-' '-').json}

if [ ! -f "$DATASET/README.md" ]; then
  echo "== building $DATASET (offline rules generators)"
  "$PY" -m robustbench_tc build --sources "${RBTC_SOURCES:?set RBTC_SOURCES or pass a built dataset}" \
    --out "$DATASET" --quiet
fi

LOG=$(mktemp -t vllm-judge.XXXXXX.log)
echo "== starting the judge: $MODEL (log: $LOG)"
# shellcheck disable=SC2086  # VLLM_SERVE may hold a command and its arguments
${VLLM_SERVE:-vllm serve} "$MODEL" --served-model-name "$NAME" --host 127.0.0.1 --port "$PORT" \
  --max-model-len "${MAX_MODEL_LEN:-16384}" --gpu-memory-utilization 0.90 >"$LOG" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 1800); do  # a first start downloads the weights: allow 30 minutes
  if "$PY" -c "import sys, urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/health', timeout=2)" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$SERVER" 2>/dev/null; then
    echo "the judge server exited:" >&2; tail -n 40 "$LOG" >&2; exit 1
  fi
  sleep 1
done

echo "== auditing $DATASET: n=$N per type, seed $SEED, temperature 0"
mkdir -p "$(dirname "$AUDIT_OUT")"
REPORT=$(mktemp)
"$PY" -m robustbench_tc audit-quality --dataset "$DATASET" --judge-model "$NAME" \
  --base-url "http://127.0.0.1:$PORT/v1" --n "$N" --seed "$SEED" --temperature 0 \
  --max-tokens 256 --json-mode --concurrency 8 --out "$AUDIT_OUT" --quiet | tee "$REPORT"
if [ -n "${OUT:-}" ]; then cp "$REPORT" "$OUT/quality_audit.txt"; cp "$AUDIT_OUT" "$OUT/"; fi
echo "== $AUDIT_OUT written; commit it and the next build's card shows it"
