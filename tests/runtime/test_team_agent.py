"""The writer → reviewer → reviser team on the library's fake model, through the engine."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from agentforge.errors import ConfigError
from agentforge.llm import FunctionModel, ModelRequest
from agentforge.runtime import Engine
from agentforge.runtime.agents.team_agent import VERDICT_SCHEMA
from agentforge.store import Store
from tests.runtime.conftest import make_manifest

DRAFT = "app/ai.py::draft"
MESSAGE = "I was charged twice for one coffee"


def team_engine(tmp_path: Path, respond: object, *, rounds: int = 1, framework: str = "langgraph") -> Engine:
    manifest = make_manifest()
    plan = manifest.plan.modules[2]
    plan.reviewer = "reviewer"
    plan.framework = framework  # type: ignore[assignment]
    plan.policy.review_rounds = rounds
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    store.save_manifest(manifest)
    return Engine(store, FunctionModel(respond))  # type: ignore[arg-type]


def test_a_draft_sent_back_is_revised_with_the_reviewers_problems(tmp_path: Path) -> None:
    asked: list[ModelRequest] = []

    def respond(req: ModelRequest) -> str:
        asked.append(req)
        if req.json_schema == VERDICT_SCHEMA:
            return json.dumps({"verdict": "REVISE", "problems": "say when the refund arrives"})
        revising = "A reviewer asked for changes" in req.messages[-1].content
        return "Your refund arrives within 3 days." if revising else "Sorry."

    engine = team_engine(tmp_path, respond)
    trace = asyncio.run(engine.invoke(DRAFT, {"message": MESSAGE}))
    assert trace.output == "Your refund arrives within 3 days."
    assert [("review" if r.json_schema == VERDICT_SCHEMA else "write") for r in asked] == ["write", "review", "write"]
    review = asked[1].messages
    assert review[0].content.startswith("You are the reviewer of this application.")
    assert "draft for a bank customer message" in review[0].content and '"type": "string"' in review[0].content
    assert review[1].content.endswith("Draft:\nSorry.")
    revision = asked[2].messages
    assert [m.content for m in revision[-2:]] == [
        "Sorry.",
        "A reviewer asked for changes: say when the refund arrives\nWrite the improved answer, exactly in format.",
    ]


def test_an_approved_draft_stands_and_a_broken_revision_keeps_the_reviewed_draft(tmp_path: Path) -> None:
    verdicts = iter(["OK"])

    def approve(req: ModelRequest) -> str:
        if req.json_schema == VERDICT_SCHEMA:
            return json.dumps({"verdict": next(verdicts), "problems": ""})
        return "Sorry, we are on it."

    approved = team_engine(tmp_path / "ok", approve)
    assert asyncio.run(approved.invoke(DRAFT, {"message": MESSAGE})).output == "Sorry, we are on it."

    writes: list[str] = []

    def break_revision(req: ModelRequest) -> str:
        if req.json_schema == VERDICT_SCHEMA:
            return json.dumps({"verdict": "REVISE", "problems": "shorter"})
        writes.append("")
        return "Sorry, we are on it." if len(writes) == 1 else ""  # every revision (and retry) is empty: invalid

    broken = team_engine(tmp_path / "broken", break_revision)
    trace = asyncio.run(broken.invoke(DRAFT, {"message": MESSAGE}))
    assert trace.output == "Sorry, we are on it." and not trace.fallback_used
    assert len(writes) == 1 + 2  # the draft, then a revision and its one retry (max_retries=1), both empty


def test_a_team_is_refused_on_another_framework(tmp_path: Path) -> None:
    engine = team_engine(tmp_path, lambda req: "x", framework="crewai")
    with pytest.raises(ConfigError, match="a writer → reviewer team runs on langgraph, not 'crewai'"):
        asyncio.run(engine.invoke(DRAFT, {"message": MESSAGE}))


@pytest.mark.slow
def test_the_team_answers_on_the_default_model(tmp_path: Path) -> None:
    from agentforge.llm.local import LocalModel

    model = LocalModel.load(threads=1)
    manifest = make_manifest()
    manifest.plan.modules[2].reviewer = "reviewer"
    manifest.plan.modules[2].policy.max_new_tokens = 48  # a short reply keeps the test quick
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    store.save_manifest(manifest)
    seen: list[ModelRequest] = []
    original = model.request

    async def counted(req: ModelRequest) -> object:
        seen.append(req)
        return await original(req)

    model.request = counted  # type: ignore[method-assign]
    trace = asyncio.run(Engine(store, model).invoke(DRAFT, {"message": MESSAGE}))
    assert isinstance(trace.output, str) and trace.output.strip() and not trace.fallback_used
    kinds = ["review" if r.json_schema == VERDICT_SCHEMA else "write" for r in seen]
    assert kinds[0] == "write" and kinds.count("review") == 1  # one round: reviewed once, revised at most once
