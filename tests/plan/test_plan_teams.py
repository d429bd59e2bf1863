"""Teams in the plan: `teams=True` gives generation modules a reviewer; plan files and review edits are checked."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agentforge.artifacts import ModuleSpec
from agentforge.errors import PlanError
from agentforge.plan import make_plan, plan_from_yaml, plan_to_yaml
from agentforge.plan.checkpoints import PlanCheckpoints
from agentforge.plan.review import PlanEdit
from agentforge.scan import scan_repo

DESK = Path(__file__).resolve().parents[2] / "sample_apps" / "support_desk"


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> list[ModuleSpec]:
    return scan_repo(DESK, cache_dir=tmp_path_factory.mktemp("cache")).modules


def reviewers(plan_modules: list[object]) -> dict[str, str | None]:
    return {m.module_id.rpartition("::")[2]: m.reviewer for m in plan_modules}  # type: ignore[attr-defined]


def test_teams_give_generation_modules_a_reviewer(specs: list[ModuleSpec]) -> None:
    single = make_plan(specs, root="desk", base_model="m")
    team = make_plan(specs, root="desk", base_model="m", teams=True)
    assert set(reviewers(single.modules).values()) == {None}
    assert reviewers(team.modules) == {"classify_intent": None, "extract_details": None, "draft_reply": "reviewer"}
    assert "draft_reply<br/>generate / writer + reviewer" in team.mermaid
    assert plan_from_yaml(plan_to_yaml(team)).modules == team.modules


def test_a_plan_file_with_a_team_that_cannot_work_is_refused(specs: list[ModuleSpec]) -> None:
    data = yaml.safe_load(plan_to_yaml(make_plan(specs, root="desk", base_model="m", teams=True)))
    data["modules"][0]["reviewer"] = "reviewer"  # classify_intent: a label, nothing for a reviewer of drafts
    with pytest.raises(PlanError, match="classify_intent: agent role 'reviewer' does not serve kind 'classify'"):
        plan_from_yaml(yaml.safe_dump(data))
    data["modules"][0]["reviewer"] = None
    data["modules"][2]["framework"] = "crewai"
    with pytest.raises(PlanError, match="draft_reply: a writer → reviewer team runs on langgraph, not 'crewai'"):
        plan_from_yaml(yaml.safe_dump(data))


def test_review_edits_add_drop_and_check_reviewers(tmp_path: Path, specs: list[ModuleSpec]) -> None:
    with PlanCheckpoints.open(f"sqlite:///{tmp_path}/plans.db") as store:
        run = store.run(specs, root="desk", base_model="m", teams=True)
        proposal = run.start()
        assert proposal is not None
        assert [p.reviewer for p in proposal] == [None, None, "reviewer"]
        with pytest.raises(PlanError, match="classify_intent: agent role 'reviewer' does not serve kind 'classify'"):
            run.resume([PlanEdit(module="classify_intent", reviewer="reviewer")])
        plan = run.resume(
            [
                PlanEdit(module="draft_reply", reviewer="none"),
                PlanEdit(module="extract_details", kind="summarize", reviewer="reviewer"),
            ]
        )
    assert reviewers(plan.modules) == {"classify_intent": None, "extract_details": "reviewer", "draft_reply": None}
    assert "reviewer: kind extract -> summarize, role -> writer" not in plan.modules[1].rationale
    assert plan.modules[1].rationale.endswith("reviewer: kind extract -> summarize, reviewer -> reviewer")


def test_a_new_kind_without_drafts_drops_the_reviewer(tmp_path: Path, specs: list[ModuleSpec]) -> None:
    with PlanCheckpoints.open(f"sqlite:///{tmp_path}/plans.db") as store:
        run = store.run(specs, root="desk", base_model="m", teams=True)
        assert run.start() is not None
        plan = run.resume([PlanEdit(module="draft_reply", kind="classify")])
    assert plan.modules[2].reviewer is None and plan.modules[2].agent_role == "classifier"
