"""A workspace's own catalog reaches every stage: `plan`/`build --catalog` plan with it, the built app's manifest
carries it, and an engine opened on the app's store (as `serve` and the worker open one) prompts with it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from agentforge.build import load_manifest
from agentforge.catalog import catalog_with
from agentforge.cli.main import app
from agentforge.errors import CatalogError
from agentforge.llm import FunctionModel, ModelRequest
from agentforge.runtime import Engine
from agentforge.runtime.host import open_app

runner = CliRunner()
MODULE = "desk.py::sort_ticket"

TRIAGE = {
    "name": "triage",
    "description": "Decide how soon a support ticket needs a person.",
    "output": "label",
    "metric": "exact_match",
    "training_format": "label",
    "system": "You are {role}. {instructions}\nTRIAGE DESK RULES: safety first. Labels: {labels}.",
    "user": "Ticket: {inputs}\nUrgency:",
    "detection": {"output_types": ["enum", "literal"], "name_hints": ["sort_ticket"]},
}
CLASSIFIER = {
    "name": "classifier",
    "description": "Puts inputs into one label.",
    "instructions": "Answer with the label only (workspace classifier).",
    "kinds": ["classify", "triage"],
    "frameworks": ["langgraph"],
}


def _workspace(tmp_path: Path) -> tuple[Path, Path]:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "desk.py").write_text(
        "from typing import Literal\n\n\n"
        'def sort_ticket(message: str) -> Literal["urgent", "normal"]:\n'
        '    """How soon the ticket needs a person."""\n'
        '    return "normal"\n'
    )
    catalog = tmp_path / "catalog"
    for folder, entry in (("modules", TRIAGE), ("agents", CLASSIFIER)):
        (catalog / folder).mkdir(parents=True)
        (catalog / folder / f"{entry['name']}.yaml").write_text(yaml.safe_dump(entry))
    return repo, catalog


def test_a_workspace_catalog_is_planned_with_built_in_and_served(tmp_path: Path) -> None:
    repo, catalog = _workspace(tmp_path)
    out = tmp_path / "app"
    home = {"AGENTFORGE_HOME": str(tmp_path / "home")}
    planned = runner.invoke(
        app, ["plan", str(repo), "-o", str(tmp_path / "p.yaml"), "--catalog", str(catalog)], env=home
    )
    assert planned.exit_code == 0, planned.output
    assert "triage" in planned.output
    built = runner.invoke(app, ["build", str(repo), "-o", str(out), "--catalog", str(catalog)], env=home)
    assert built.exit_code == 0, built.output

    manifest = load_manifest(out)
    module = manifest.plan.modules[0]
    assert (module.kind, module.agent_role) == ("triage", "classifier")
    assert sorted(manifest.catalog.kinds) == ["triage"] and sorted(manifest.catalog.roles) == ["classifier"]

    seen: list[ModelRequest] = []

    def answer(req: ModelRequest) -> str:
        seen.append(req)
        return "urgent"

    opened = open_app(out)
    try:
        engine = Engine(opened.store, FunctionModel(answer), workspace_id=manifest.workspace_id)
        trace = asyncio.run(engine.invoke(MODULE, {"message": "The ATM kept my card and I am abroad"}))
    finally:
        opened.close()
    assert trace.output == "urgent"
    system, user = seen[0].messages[0].content, seen[0].messages[-1].content
    assert "TRIAGE DESK RULES" in system and "(workspace classifier)" in system
    assert user.startswith("Ticket: message: The ATM kept my card")


def test_without_the_catalog_the_built_in_one_plans_and_bad_entries_are_refused(tmp_path: Path) -> None:
    repo, _ = _workspace(tmp_path)
    home = {"AGENTFORGE_HOME": str(tmp_path / "home")}
    plain = runner.invoke(app, ["build", str(repo), "-o", str(tmp_path / "plain")], env=home)
    assert plain.exit_code == 0, plain.output
    manifest = load_manifest(tmp_path / "plain")
    assert manifest.plan.modules[0].kind == "classify" and manifest.catalog.kinds == {}

    missing = runner.invoke(app, ["build", str(repo), "-o", str(tmp_path / "x"), "--catalog", str(repo)], env=home)
    assert missing.exit_code == 1 and "has no modules/ or agents/ folder" in " ".join(missing.output.split())
    assert not (tmp_path / "x").exists()

    entries = manifest.catalog.model_copy(update={"roles": {"classifier": {**CLASSIFIER, "kinds": ["poem"]}}})
    with pytest.raises(CatalogError, match=r"workspace w/agents/classifier\.yaml: agent role 'classifier' serves"):
        catalog_with(entries, source="workspace w")  # the same checks as for files, naming where it came from
