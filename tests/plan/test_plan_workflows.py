"""Workflows from the call graph: a module that calls other planned modules gets a coordinator using them as
tools; review edits and plan files keep that consistent."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentforge.artifacts import ModuleSpec
from agentforge.errors import PlanError
from agentforge.plan import make_plan, plan_from_yaml, plan_to_yaml
from agentforge.plan.checkpoints import PlanCheckpoints
from agentforge.plan.review import parse_edit
from agentforge.scan import scan_repo

APP = Path(__file__).parent / "composed_app"
REPLY = "helpdesk/ai.py::draft_reply"
TOOLS = ["helpdesk/ai.py::classify_intent", "helpdesk/ai.py::extract_details"]


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> list[ModuleSpec]:
    return scan_repo(APP, cache_dir=tmp_path_factory.mktemp("cache")).modules


def test_a_module_calling_planned_modules_gets_a_coordinator_with_them_as_tools(specs: list[ModuleSpec]) -> None:
    plan = make_plan(specs, root="app", base_model="m")
    reply = plan.for_module(REPLY)
    assert reply is not None
    assert (reply.kind, reply.agent_role, reply.tools, reply.framework) == (
        "generate",
        "coordinator",
        TOOLS,
        "langgraph",
    )
    assert reply.rationale.endswith("calls classify_intent, extract_details: a coordinator uses them as tools")
    assert [m.tools for m in plan.modules if m.module_id != REPLY] == [[], []]
    assert "m2 -->|tool| m0" in plan.mermaid and "m2 -->|tool| m1" in plan.mermaid


def test_a_coordinator_takes_no_team_and_a_module_without_planned_callees_no_tools(specs: list[ModuleSpec]) -> None:
    teamed = make_plan(specs, root="app", base_model="m", teams=True).for_module(REPLY)
    assert teamed is not None and (teamed.agent_role, teamed.reviewer) == ("coordinator", None)
    alone = make_plan([s for s in specs if s.id != TOOLS[0]], root="app", base_model="m").for_module(REPLY)
    assert alone is not None and alone.tools == TOOLS[1:]
    single = make_plan([s for s in specs if s.id not in TOOLS], root="app", base_model="m").for_module(REPLY)
    assert single is not None and (single.agent_role, single.tools) == ("writer", [])


def test_review_edits_keep_tools_consistent(tmp_path: Path, specs: list[ModuleSpec]) -> None:
    def reviewed(*edits: str) -> dict[str, tuple[str, list[str]]]:
        with PlanCheckpoints.open(f"sqlite:///{tmp_path}/plans-{len(list(tmp_path.iterdir()))}.db") as store:
            run = store.run(specs, root="app", base_model="m")
            proposal = run.start()
            assert proposal is not None
            assert next(p for p in proposal if p.module_id == REPLY).tools == TOOLS
            plan = run.resume([parse_edit(e) for e in edits])
        return {m.module_id.rpartition("::")[2]: (m.agent_role, m.tools) for m in plan.modules}

    assert reviewed("classify_intent exclude")["draft_reply"] == ("coordinator", TOOLS[1:])
    assert reviewed("draft_reply role=writer")["draft_reply"] == ("writer", [])
    assert reviewed("draft_reply kind=summarize")["draft_reply"] == ("coordinator", TOOLS)


def test_plan_files_refuse_tools_that_are_not_modules_of_the_plan_or_a_role_that_cannot_call(
    specs: list[ModuleSpec],
) -> None:
    text = plan_to_yaml(make_plan(specs, root="app", base_model="m"))
    assert plan_from_yaml(text).for_module(REPLY) is not None
    with pytest.raises(PlanError, match=r"tools must be other modules of this plan; not: helpdesk/ai\.py::nope"):
        plan_from_yaml(text.replace(f"- {TOOLS[1]}", "- helpdesk/ai.py::nope"))
    with pytest.raises(PlanError, match="role 'writer' cannot call modules"):
        plan_from_yaml(text.replace("agent_role: coordinator", "agent_role: writer"))


def test_plan_mermaid_prints_the_graph_with_the_coordinators_tools(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from agentforge.cli.main import app

    env = {"AGENTFORGE_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    result = CliRunner().invoke(app, ["plan", str(APP), "-o", str(tmp_path / "plan.yaml"), "--mermaid"], env=env)
    assert result.exit_code == 0, result.output
    assert "coordinator (uses classify_intent, extract_details)" in result.output
    assert (
        '    m2["draft_reply<br/>generate / coordinator"]\n    m2 -->|tool| m0\n    m2 -->|tool| m1\n' in result.output
    )
    assert (tmp_path / "plan.mmd").read_text() in result.output
