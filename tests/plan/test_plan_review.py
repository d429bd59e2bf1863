"""Human review of a plan: interrupt → edit → resume, from a real SQLite (and PostgreSQL) checkpoint, and a
planner stopped mid-run or killed at the review prompt picking up where it stopped, each node run once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver

from agentforge.artifacts import ModuleSpec, Plan
from agentforge.catalog import load_catalog
from agentforge.errors import PlanError
from agentforge.plan import make_plan, plan_from_yaml, plan_to_yaml
from agentforge.plan.checkpoints import SERDE, PlanCheckpoints, thread_id
from agentforge.plan.graph import PlanContext, build_plan_graph
from agentforge.plan.review import PlanEdit, check_edits, parse_edit
from agentforge.scan import scan_repo

ROOT = Path(__file__).resolve().parents[2]
DESK = ROOT / "sample_apps" / "support_desk"
NODES = ["classify_kinds", "assign_roles", "assign_routes", "compose_workflows", "set_policies", "review", "emit"]


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> list[ModuleSpec]:
    return scan_repo(DESK, cache_dir=tmp_path_factory.mktemp("cache")).modules


def _same(a: Plan, b: Plan) -> bool:
    return a.model_dump(exclude={"created_at"}) == b.model_dump(exclude={"created_at"})


def test_edits_are_read_from_one_line() -> None:
    assert parse_edit("classify_intent kind=extract role=extractor") == PlanEdit(
        module="classify_intent", kind="extract", agent_role="extractor"
    )
    assert parse_edit("'a b' champion=base+examples:4") == PlanEdit(module="a b", champion="base+examples:4")
    assert parse_edit("draft_reply exclude") == PlanEdit(module="draft_reply", exclude=True)
    for bad, message in [
        ("", "names a module"),
        ("m", "changes nothing"),
        ("m colour=red", "cannot read 'colour=red'"),
    ]:
        with pytest.raises(PlanError, match=message):
            parse_edit(bad)


def test_edits_are_checked_against_the_proposal_and_catalog(tmp_path: Path, specs: list[ModuleSpec]) -> None:
    with PlanCheckpoints.open(f"sqlite:///{tmp_path}/plans.db") as store:
        proposal = store.run(specs, root="desk", base_model="m").start()
    assert proposal is not None
    catalog = load_catalog()
    for edit, message in [
        (PlanEdit(module="nope", kind="extract"), "no module 'nope' in the plan; modules: classify_intent"),
        (PlanEdit(module="classify_intent", kind="poem"), "unknown module kind 'poem'"),
        (PlanEdit(module="classify_intent", agent_role="writer"), "does not serve kind 'classify'"),
        (PlanEdit(module="draft_reply", champion="m@1"), "is not base, base\\+examples"),
    ]:
        with pytest.raises(PlanError, match=message):
            check_edits([edit], proposal, catalog)
    checked = check_edits([PlanEdit(module="classify_intent", champion="base+examples:4")], proposal, catalog)
    assert checked[0].module == specs[0].id


def test_interrupt_edit_resume_across_restarts(tmp_path: Path, specs: list[ModuleSpec]) -> None:
    url = f"sqlite:///{tmp_path}/plans.db"
    with PlanCheckpoints.open(url) as store:
        proposal = store.run(specs, root="desk", base_model="m").start()
    assert proposal is not None
    assert [(p.name, p.kind, p.agent_role, p.champion) for p in proposal] == [
        ("classify_intent", "classify", "classifier", "base"),
        ("extract_details", "extract", "extractor", "base"),
        ("draft_reply", "generate", "writer", "base"),
    ]
    with PlanCheckpoints.open(url) as store:  # a new process: the review is still waiting, unchanged
        run = store.run(specs, root="desk", base_model="m")
        assert run.start() == proposal
        with pytest.raises(PlanError, match="unknown module kind 'poem'"):
            run.resume([PlanEdit(module="classify_intent", kind="poem")])
        assert run.pending() == proposal  # a refused edit leaves the review open
        plan = run.resume(
            [
                parse_edit("classify_intent kind=extract"),
                parse_edit("extract_details exclude"),
                parse_edit("draft_reply champion=base+examples:4"),
            ]
        )
        assert run.steps() == NODES
    by_name = {m.module_id.split("::")[1]: m for m in plan.modules}
    assert sorted(by_name) == ["classify_intent", "draft_reply"]
    assert (by_name["classify_intent"].kind, by_name["classify_intent"].agent_role) == ("extract", "extractor")
    assert by_name["classify_intent"].decided_by == "review"
    assert by_name["classify_intent"].policy.max_retries == 2  # the new kind's policy
    assert "reviewer: kind classify -> extract" in by_name["classify_intent"].rationale
    assert by_name["draft_reply"].route.champion == "base+examples:4"
    assert plan.excluded == [specs[1].id]
    assert "extract_details" not in plan.mermaid
    assert _same(plan_from_yaml(plan_to_yaml(plan)), plan)

    with PlanCheckpoints.open(url) as store:  # finished: the next review starts over
        assert store.run(specs, root="desk", base_model="m").start() == proposal


def test_a_planner_stopped_mid_run_resumes_to_the_same_plan(tmp_path: Path, specs: list[ModuleSpec]) -> None:
    url = f"sqlite:///{tmp_path}/plans.db"
    conn = sqlite3.connect(tmp_path / "plans.db", check_same_thread=False)
    graph = build_plan_graph().compile(checkpointer=SqliteSaver(conn, serde=SERDE), interrupt_before=["assign_routes"])
    config = {"configurable": {"thread_id": thread_id(specs, "desk", "m")}}
    graph.invoke({"root": "desk", "specs": specs}, config, context=PlanContext(load_catalog(), "m", review=True))
    conn.close()
    with PlanCheckpoints.open(url) as store:
        run = store.run(specs, root="desk", base_model="m")
        assert run.start() is not None
        plan = run.resume([])
        assert run.steps() == NODES  # the first two nodes ran before the stop, and not again
    assert _same(plan, make_plan(specs, root="desk", base_model="m"))


def test_plan_review_killed_at_the_prompt_resumes_from_its_checkpoint(tmp_path: Path, specs: list[ModuleSpec]) -> None:
    env = {**os.environ, "AGENTFORGE_HOME": str(tmp_path / "home")}
    out = tmp_path / "plan.yaml"
    command = [sys.executable, "-m", "agentforge", "plan", str(DESK), "--review", "-o", str(out), "--no-cache"]
    proc = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    seen = ""
    while "an empty line accepts" not in seen:
        line = proc.stdout.readline()
        assert line, f"the planner ended before its review prompt: {seen}"
        seen += line if line.endswith("\n") else line + "\n"
        if "edit (" in line:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert "Proposed plan, waiting for review" in seen and not out.exists()

    done = subprocess.run([*command, "--accept"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    plan = plan_from_yaml(out.read_text())
    expected = make_plan(specs, root=str(DESK), base_model="smollm2-135m-instruct")
    assert _same(plan, expected)
    with PlanCheckpoints.open(f"sqlite:///{tmp_path / 'home' / 'plans.db'}") as store:
        assert store.run(specs, root=str(DESK), base_model="smollm2-135m-instruct").steps() == NODES


@pytest.mark.postgres
def test_review_with_postgres_checkpoints(specs: list[ModuleSpec], postgres_admin: str) -> None:
    url = postgres_admin.replace("postgresql+psycopg://", "postgresql://")
    root = f"desk-{os.getpid()}"
    with PlanCheckpoints.open(url) as store:
        run = store.run(specs, root=root, base_model="m")
        assert run.start() is not None
    with PlanCheckpoints.open(url) as store:
        run = store.run(specs, root=root, base_model="m")
        plan = run.resume([parse_edit("draft_reply exclude")])
        assert run.steps() == NODES
        store.saver.delete_thread(run.thread_id)
    assert plan.excluded == [specs[2].id]


def test_plan_review_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from agentforge.cli.main import app

    monkeypatch.setenv("AGENTFORGE_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    out = tmp_path / "plan.yaml"
    base = ["plan", str(DESK), "-o", str(out), "--no-cache"]
    alone = runner.invoke(app, [*base, "--edit", "classify_intent exclude"])
    assert alone.exit_code == 1 and "go with --review" in alone.output

    refused = runner.invoke(app, [*base, "--review", "--edit", "classify_intent kind=poem"])
    assert refused.exit_code == 1 and "unknown module kind 'poem'" in "".join(refused.output.split("\n"))
    assert not out.exists()

    typed = runner.invoke(app, [*base, "--review"], input="classify_intent colour=red\nclassify_intent exclude\n\n")
    assert typed.exit_code == 0, typed.output
    assert (
        "planned (checkpointed): classify_kinds → assign_roles → assign_routes → compose_workflows → set_policies"
        in "".join(typed.output.split("\n"))
    )
    assert "cannot read 'colour=red'" in typed.output
    plan = plan_from_yaml(out.read_text())
    assert [m.module_id.split("::")[1] for m in plan.modules] == ["extract_details", "draft_reply"]
    assert plan.excluded == ["support_desk/assistant.py::classify_intent"]

    given = runner.invoke(app, [*base, "--review", "--edit", "draft_reply champion=base+examples:2"])
    assert given.exit_code == 0, given.output
    assert plan_from_yaml(out.read_text()).modules[2].route.champion == "base+examples:2"
