#!/usr/bin/env bash
# Create .venv-crewai: CrewAI in a virtualenv of its own (it pins its own pydantic, openai and ~90 packages,
# none of which agentforge needs), with agentforge's core installed beside it, for the CrewAI bridge test.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${CREWAI_VENV:-.venv-crewai}
CREWAI_VERSION=1.15.30
PIP_FLAGS=(--quiet --disable-pip-version-check)
pip_install() { "$VENV/bin/pip" install "${PIP_FLAGS[@]}" "$@" 2> >(grep -v "^WARNING: Location" >&2); }

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
pip_install -e . "crewai==$CREWAI_VERSION" pytest
"$VENV/bin/python" -c "import crewai, agentforge; print('crewai', crewai.__version__)"
touch "$VENV/.installed"
