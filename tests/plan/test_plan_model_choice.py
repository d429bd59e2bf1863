"""Where the rules cannot tell a module's kind apart, the model may choose, and the plan records it."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentforge.catalog import load_catalog
from agentforge.errors import ModelError, PlanError
from agentforge.llm.base import ModelRequest
from agentforge.llm.testing import FunctionModel
from agentforge.plan import make_plan
from agentforge.plan.rules import choose_kind

from .conftest import SpecFactory

TEXT = {"type": "string"}


def test_the_rules_say_when_they_are_unsure(spec: SpecFactory) -> None:
    catalog = load_catalog()
    plain = choose_kind(spec("handle", TEXT), catalog)
    assert plain.decided_by == "string_default" and plain.ambiguous_among[0] == plain.kind
    assert set(plain.ambiguous_among) == {"generate", "rewrite", "summarize"}
    tie = choose_kind(spec("summary_rewrite", TEXT), catalog)
    assert tie.decided_by == "string_name_hint" and set(tie.ambiguous_among) == {"rewrite", "summarize"}
    assert choose_kind(spec("summarize_ticket", TEXT), catalog).ambiguous_among == ()
    assert choose_kind(spec("pick", {"type": "string", "enum": ["a", "b"]}), catalog).ambiguous_among == ()


def test_the_model_decides_only_the_ambiguous_modules(spec: SpecFactory) -> None:
    model = FunctionModel(lambda req: "summarize", name="judge")
    specs = [
        spec("handle", TEXT, intent="Make the customer's long message short."),
        spec("classify_intent", {"type": "string", "enum": ["a", "b"]}),
        spec("summarize_ticket", TEXT),
    ]
    plan = make_plan(specs, root="/repo", base_model="m", model=model)
    assert [(m.kind, m.decided_by) for m in plan.modules] == [
        ("summarize", "model:judge"),
        ("classify", "enum_output"),
        ("summarize", "string_name_hint"),
    ]
    assert "rules could not tell generate, rewrite, summarize apart; judge chose summarize" in plan.modules[0].rationale
    assert plan.modules[0].agent_role == "writer"
    (asked,) = model.requests
    assert set(asked.choices or []) == {"generate", "rewrite", "summarize"}
    assert (
        "handle(" in asked.messages[-1].content
        and "Make the customer's long message short." in asked.messages[-1].content
    )
    assert make_plan(specs, root="/repo", base_model="m").modules[0].decided_by == "string_default"


def test_a_model_that_cannot_answer_fails_the_plan(spec: SpecFactory) -> None:
    def broken(req: ModelRequest) -> str:
        raise ModelError("no weights")

    with pytest.raises(PlanError, match="asking broken for the module kind failed: no weights"):
        make_plan([spec("handle", TEXT)], root="/repo", base_model="m", model=FunctionModel(broken, name="broken"))
    with pytest.raises(PlanError, match="answered 'poem', not one of"):
        make_plan([spec("handle", TEXT)], root="/repo", base_model="m", model=FunctionModel(lambda r: "poem"))


@pytest.mark.slow
def test_the_default_model_chooses_a_kind(spec: SpecFactory, agentforge_home: Path) -> None:
    from agentforge.llm.local import LocalModel

    model = LocalModel.load()
    handle = spec("handle", TEXT, intent="Shorten the customer's long message to one sentence for the agent.")
    (module,) = make_plan([handle], root="/repo", base_model="m", model=model).modules
    assert module.decided_by == f"model:{model.name}"
    assert module.kind in {"generate", "rewrite", "summarize"}
    assert f"{model.name} chose {module.kind} (margin " in module.rationale
