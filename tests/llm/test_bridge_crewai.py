"""The CrewAI bridge, exercised by a real Crew in CrewAI's own environment (.venv-crewai, see
scripts/setup_crewai.sh): the agent's LLM calls go through the agentforge module route."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.crewai_env import REPO, crewai_env, crewai_python


def test_a_crew_runs_on_the_module_route() -> None:
    python = crewai_python()
    run = subprocess.run(
        [str(python), str(Path(__file__).with_name("crewai_check.py"))],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
        env=crewai_env(),
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["output"] == "reply from draft@v7"  # CrewAI's stop words cut the trailing "Observation:"
    assert report["calls"] == [{"adapter": "draft@v7", "roles": ["system", "user"]}]
    assert report["function_calling"] is False
