"""CrewAI's own environment (.venv-crewai, made by scripts/setup_crewai.sh), for tests that run code in it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def crewai_python() -> Path:
    """Its interpreter; a test skips without it, and fails in CI, where `make test` makes it."""
    python = Path(os.environ.get("AGENTFORGE_CREWAI_PYTHON", REPO / ".venv-crewai" / "bin" / "python"))
    if not python.is_file():
        message = f"CrewAI's virtualenv is missing ({python}); run scripts/setup_crewai.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return python


def crewai_env() -> dict[str, str]:
    """The environment a subprocess in it runs with: the repository importable, CrewAI's telemetry off."""
    return {**os.environ, "CREWAI_DISABLE_TELEMETRY": "true", "OTEL_SDK_DISABLED": "true", "PYTHONPATH": str(REPO)}
