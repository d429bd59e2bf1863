from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agentforge.catalog import load_catalog
from agentforge.errors import PlanError
from agentforge.plan import make_plan, plan_from_yaml, plan_to_yaml

from .conftest import SpecFactory


@pytest.fixture
def plan_yaml(spec: SpecFactory) -> str:
    specs = [
        spec("classify_intent", {"type": "string", "enum": ["a", "b"]}),
        spec("draft_reply", {"type": "string"}, intent="Draft a reply.\nBe kind.", calls=["app.py::classify_intent"]),
    ]
    return plan_to_yaml(make_plan(specs, root="/repo", base_model="m"))


def test_round_trip(plan_yaml: str) -> None:
    plan = plan_from_yaml(plan_yaml)
    assert plan_to_yaml(plan) == plan_yaml
    assert plan.modules[0].kind == "classify"
    assert (plan.modules[1].agent_role, plan.modules[1].tools) == ("coordinator", ["app.py::classify_intent"])


def test_multi_line_text_is_written_as_a_block(plan_yaml: str) -> None:
    assert "mermaid: |\n  flowchart LR\n" in plan_yaml
    assert "&id" not in plan_yaml


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("root: [unclosed", "not valid YAML"),
        ("- just\n- a list\n", "must be a YAML mapping"),
        ("root: /r\n", r"does not fit the Plan schema(.|\n)*base_model"),
        ("root: /r\nbase_model: m\nmodules:\n- module_id: x\n  kind: classify\n", "agent_role"),
        ("root: /r\nbase_model: m\nsurprise: 1\n", "surprise"),
    ],
)
def test_invalid_plans_raise_plan_error(text: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        plan_from_yaml(text)


def test_unknown_kind_or_wrong_role_is_refused(plan_yaml: str) -> None:
    data = yaml.safe_load(plan_yaml)
    data["modules"][0]["kind"] = "clasify"
    with pytest.raises(PlanError, match=r"app.py::classify_intent: unknown module kind 'clasify'; known: classify"):
        plan_from_yaml(yaml.safe_dump(data))
    data["modules"][0]["kind"] = "classify"
    data["modules"][0]["agent_role"] = "writer"
    with pytest.raises(PlanError, match="role 'writer' does not serve kind 'classify'; roles that do: classifier"):
        plan_from_yaml(yaml.safe_dump(data))


def test_a_framework_the_role_cannot_run_on_is_refused(plan_yaml: str, tmp_path: Path) -> None:
    data = yaml.safe_load(plan_yaml)
    data["modules"][0]["framework"] = "swarm"
    with pytest.raises(PlanError, match="does not fit the Plan schema"):
        plan_from_yaml(yaml.safe_dump(data))
    (tmp_path / "agents").mkdir()
    role = {"name": "classifier", "description": "d", "instructions": "i", "kinds": ["classify"]}
    (tmp_path / "agents" / "classifier.yaml").write_text(yaml.safe_dump({**role, "frameworks": ["langgraph"]}))
    data["modules"][0]["framework"] = "crewai"
    assert plan_from_yaml(yaml.safe_dump(data)).modules[0].framework == "crewai"
    only_langgraph = load_catalog([tmp_path])
    with pytest.raises(PlanError, match="role 'classifier' does not run on 'crewai'; it runs on: langgraph"):
        plan_from_yaml(yaml.safe_dump(data), catalog=only_langgraph)
