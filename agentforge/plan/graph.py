"""The planner as a LangGraph `StateGraph`: one node per decision, so each can be inspected, replaced, or
paused for human review (a checkpointer and `interrupt_before=["emit"]` at compile time) without touching
the others. The catalog and base model travel as a typed run context, never as string-keyed config."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agentforge.artifacts import ModulePlan, ModuleSpec, Plan, Policy, Route
from agentforge.catalog import Catalog, RoleSpec, load_catalog
from agentforge.errors import PlanError
from agentforge.plan.mermaid import plan_mermaid
from agentforge.plan.rules import (
    KindDecision,
    choose_framework,
    choose_kind,
    choose_role,
    initial_route,
    policy_for,
)


@dataclass(frozen=True)
class PlanContext:
    catalog: Catalog
    base_model: str
    """The model every route starts from (`base`), recorded in the plan."""


class PlanInput(TypedDict):
    root: str
    specs: list[ModuleSpec]


class PlanOutput(TypedDict):
    plan: Plan


class PlanState(PlanInput, total=False):
    """Decisions keyed by module id, filled in node by node."""

    kinds: dict[str, KindDecision]
    roles: dict[str, RoleSpec]
    routes: dict[str, Route]
    policies: dict[str, Policy]
    plan: Plan


def classify_kinds(state: PlanState, runtime: Runtime[PlanContext]) -> dict[str, Any]:
    return {"kinds": {spec.id: choose_kind(spec, runtime.context.catalog) for spec in state["specs"]}}


def assign_roles(state: PlanState, runtime: Runtime[PlanContext]) -> dict[str, Any]:
    catalog = runtime.context.catalog
    return {"roles": {mid: choose_role(decision.kind, catalog) for mid, decision in state["kinds"].items()}}


def assign_routes(state: PlanState) -> dict[str, Any]:
    return {"routes": {spec.id: initial_route() for spec in state["specs"]}}


def set_policies(state: PlanState, runtime: Runtime[PlanContext]) -> dict[str, Any]:
    kinds = runtime.context.catalog.kinds
    return {"policies": {mid: policy_for(kinds[decision.kind]) for mid, decision in state["kinds"].items()}}


def emit(state: PlanState, runtime: Runtime[PlanContext]) -> dict[str, Any]:
    modules = [
        ModulePlan(
            module_id=spec.id,
            kind=state["kinds"][spec.id].kind,
            agent_role=state["roles"][spec.id].name,
            route=state["routes"][spec.id],
            framework=choose_framework(state["roles"][spec.id]),
            policy=state["policies"][spec.id],
            decided_by=state["kinds"][spec.id].decided_by,
            rationale=state["kinds"][spec.id].rationale,
        )
        for spec in state["specs"]
    ]
    plan = Plan(root=state["root"], base_model=runtime.context.base_model, modules=modules)
    return {"plan": plan.model_copy(update={"mermaid": plan_mermaid(plan, state["specs"])})}


def build_plan_graph() -> StateGraph[PlanState, PlanContext, PlanInput, PlanOutput]:
    """The uncompiled planner, for callers that compile it with their own checkpointer or interrupts."""
    graph = StateGraph(PlanState, context_schema=PlanContext, input_schema=PlanInput, output_schema=PlanOutput)
    graph.add_node("classify_kinds", classify_kinds)
    graph.add_node("assign_roles", assign_roles)
    graph.add_node("assign_routes", assign_routes)
    graph.add_node("set_policies", set_policies)
    graph.add_node("emit", emit)
    for edge in pairwise([START, "classify_kinds", "assign_roles", "assign_routes", "set_policies", "emit", END]):
        graph.add_edge(*edge)
    return graph


@cache
def _compiled() -> CompiledStateGraph[PlanState, PlanContext, PlanInput, PlanOutput]:
    return build_plan_graph().compile(name="agentforge-plan")


def make_plan(specs: Sequence[ModuleSpec], *, root: str, base_model: str, catalog: Catalog | None = None) -> Plan:
    """Plan every module (kind, role, route, framework, policy) with the built-in catalog unless given."""
    duplicates = sorted(mid for mid, n in Counter(spec.id for spec in specs).items() if n > 1)
    if duplicates:
        raise PlanError(f"module ids must be unique; repeated: {', '.join(duplicates)}")
    context = PlanContext(catalog=catalog or load_catalog(), base_model=base_model)
    result = _compiled().invoke({"root": root, "specs": list(specs)}, context=context)
    plan: Plan = result["plan"]
    return plan
