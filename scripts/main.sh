#!/usr/bin/env bash
# The main job: install, build the dataset from the pinned sources into ./robustbench-tc, and
# serve the leaderboard (seeded with the paper's 21 models) on http://127.0.0.1:7860.
set -euo pipefail
cd "$(dirname "$0")/.."
export RBTC_SOURCES=${RBTC_SOURCES:-$(cd .. && pwd)/shared/sources}
bash scripts/install.sh
robustbench-tc build --sources "$RBTC_SOURCES" --out robustbench-tc
exec robustbench-tc serve --dataset robustbench-tc --db leaderboard.sqlite --host 127.0.0.1 --port 7860
