"""Conformance: the same module contracts (a label, an extraction, a writer) run through the LangGraph, CrewAI and
AutoGen agents, on the library's fake model and on the real default model; every output validates.

CrewAI lives in its own environment (.venv-crewai, `scripts/setup_crewai.sh`), so its runs, like every run on
the real model, go through `framework_check.py` in a subprocess."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from agentforge.catalog import load_catalog
from agentforge.errors import ConfigError
from agentforge.runtime.agents import AgentTask, run_agent
from tests.crewai_env import REPO, crewai_env, crewai_python
from tests.runtime.conftest import make_manifest

from .framework_check import fake_model, run

FRAMEWORKS = ["langgraph", "crewai", "autogen"]
SCHEMAS = {spec.id: spec.output_schema for spec in make_manifest().specs}


def run_in_subprocess(framework: str, *, real: bool) -> dict[str, Any]:
    python = crewai_python() if framework == "crewai" else Path(sys.executable)
    args = [str(python), str(Path(__file__).with_name("framework_check.py")), framework, *(["--real"] if real else [])]
    done = subprocess.run(args, capture_output=True, text=True, timeout=1200, cwd=REPO, env=crewai_env())
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def check_outputs(outputs: dict[str, Any]) -> None:
    assert set(outputs) == set(SCHEMAS)
    for module_id, result in outputs.items():
        assert not result["fallback"], (module_id, result["error"])
        jsonschema.validate(result["output"], SCHEMAS[module_id])


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_every_framework_answers_the_module_contracts_on_the_fake_model(framework: str) -> None:
    if framework == "crewai":
        report = run_in_subprocess(framework, real=False)
        outputs, asked = report["outputs"], report["asked"]
    else:
        model, asked = fake_model()
        outputs = asyncio.run(run(framework, model))
    check_outputs(outputs)
    first, retry = asked[0], asked[1]
    assert len(asked) >= 4  # the first answer was invalid and asked again, then one call per other module
    if framework == "langgraph":  # the module's own prompt, constrained to the labels; the error fed back
        assert first["choices"] == SCHEMAS["app/ai.py::classify"]["enum"]
        assert retry["user"].startswith("That answer was invalid")
    else:  # the contract as a pydantic model: a JSON object whose `value` is the output
        assert first["schema"]["properties"]["value"] == SCHEMAS["app/ai.py::classify"]
    if framework == "crewai":  # CrewAI's task prompt, then its converter asked to fix the invalid answer
        assert "Current Task:" in first["user"] and retry["user"] == "not an answer"
    if framework == "autogen":  # a fresh AssistantAgent, same task
        assert retry["user"] == first["user"] and first["user"].endswith('whose "value" is your answer.')


def test_an_unknown_framework_is_refused_before_any_model_call() -> None:
    model, asked = fake_model()
    manifest = make_manifest()
    spec = manifest.specs[0]
    catalog = load_catalog()
    task = AgentTask(
        kind=catalog.kind("classify"),
        role=catalog.role("classifier"),
        spec=spec,
        messages=[],
        model=model,
        adapter=None,
        max_retries=0,
        timeout_s=5,
    )
    with pytest.raises(ConfigError, match="unknown agent framework 'swarm'; known: langgraph, crewai, autogen"):
        asyncio.run(run_agent("swarm", task))
    assert asked == []


@pytest.mark.slow
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_every_framework_answers_the_module_contracts_on_the_default_model(framework: str) -> None:
    report = run_in_subprocess(framework, real=True)
    check_outputs(report["outputs"])
