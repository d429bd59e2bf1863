from __future__ import annotations

from itertools import pairwise

import pytest

from agentforge.artifacts import ModuleSpec
from agentforge.errors import PlanError
from agentforge.plan import build_plan_graph, make_plan, plan_mermaid

from .conftest import SpecFactory

NODES = ["classify_kinds", "assign_roles", "assign_routes", "compose_workflows", "set_policies", "review", "emit"]


def three_modules(spec: SpecFactory) -> list[ModuleSpec]:
    return [
        spec("classify_intent", {"type": "string", "enum": ["a", "b"]}),
        spec("extract_details", {"type": "object", "properties": {}}),
        spec(
            "Desk.draft_reply",
            {"type": "string"},
            calls=["app.py::classify_intent", "app.py::extract_details", "app.py::gone"],
        ),
    ]


def test_graph_topology_is_a_chain_of_the_decisions_and_the_review() -> None:
    graph = build_plan_graph().compile().get_graph()
    chain = ["__start__", *NODES, "__end__"]
    assert list(graph.nodes) == chain
    assert sorted((e.source, e.target) for e in graph.edges) == sorted(pairwise(chain))
    drawn = graph.draw_mermaid()
    for node in NODES:
        assert f"\t{node}({node})" in drawn


def test_plan_records_root_model_and_decisions(spec: SpecFactory) -> None:
    plan = make_plan(three_modules(spec), root="/repo", base_model="SmolLM2-135M-Instruct")
    assert (plan.root, plan.base_model) == ("/repo", "SmolLM2-135M-Instruct")
    assert [(m.module_id, m.kind, m.agent_role) for m in plan.modules] == [
        ("app.py::classify_intent", "classify", "classifier"),
        ("app.py::extract_details", "extract", "extractor"),
        ("app.py::Desk.draft_reply", "generate", "coordinator"),
    ]
    assert plan.modules[2].tools == ["app.py::classify_intent", "app.py::extract_details"]  # not the unplanned one
    assert plan.mermaid == plan_mermaid(plan, three_modules(spec))


def test_mermaid_for_three_modules(spec: SpecFactory) -> None:
    plan = make_plan(three_modules(spec), root="/repo", base_model="m")
    assert plan.mermaid == (
        "flowchart LR\n"
        '    m0["classify_intent<br/>classify / classifier"]\n'
        '    m1["extract_details<br/>extract / extractor"]\n'
        '    m2["Desk.draft_reply<br/>generate / coordinator"]\n'
        "    m2 -->|tool| m0\n"
        "    m2 -->|tool| m1\n"
    )


def test_mermaid_escapes_labels(spec: SpecFactory) -> None:
    odd = spec('say"<b>hi</b>', {"type": "string"})
    plan = make_plan([odd], root="/repo", base_model="m")
    assert 'm0["say#quot;#lt;b#gt;hi#lt;/b#gt;<br/>generate / writer"]' in plan.mermaid


def test_duplicate_module_ids_are_refused(spec: SpecFactory) -> None:
    with pytest.raises(PlanError, match=r"repeated: app.py::a"):
        make_plan([spec("a"), spec("a")], root="/repo", base_model="m")


def test_no_modules_gives_an_empty_plan() -> None:
    plan = make_plan([], root="/repo", base_model="m")
    assert plan.modules == []
    assert plan.mermaid == "flowchart LR\n"
