"""The planner as a LangGraph `StateGraph`: one node per decision, so each can be inspected or replaced without
touching the others. The `review` node pauses for a person when the run asks for it (`interrupt()`, resumed
with their edits; `plan/checkpoints.py` runs it with a durable checkpointer). The catalog, base model and
whether to review travel as a typed run context, never as string-keyed config."""

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
from langgraph.types import interrupt

from agentforge.artifacts import ModulePlan, ModuleSpec, Plan, Policy, Route
from agentforge.catalog import Catalog, RoleSpec, load_catalog
from agentforge.errors import PlanError
from agentforge.llm.base import Model
from agentforge.plan.mermaid import plan_mermaid
from agentforge.plan.model_choice import ask_model
from agentforge.plan.review import apply_edits, check_edits, proposal_of, read_edits
from agentforge.plan.rules import (
    MODULE_TOOLS,
    KindDecision,
    choose_coordinator,
    choose_framework,
    choose_kind,
    choose_reviewer,
    choose_role,
    initial_route,
    module_tools,
    policy_for,
)


@dataclass(frozen=True)
class PlanContext:
    catalog: Catalog
    base_model: str
    """The model every route starts from (`base`), recorded in the plan."""
    review: bool = False
    """Pause at the `review` node for a person's edits (needs a checkpointer)."""
    model: Model | None = None
    """Asked to choose a module's kind where the rules are ambiguous (`plan/model_choice.py`); None: rules only."""
    teams: bool = False
    """Give generation modules a writer → reviewer → reviser team where the catalog has a reviewer."""


class PlanInput(TypedDict):
    root: str
    specs: list[ModuleSpec]


class PlanOutput(TypedDict):
    plan: Plan


class PlanState(PlanInput, total=False):
    """Decisions keyed by module id, filled in node by node."""

    kinds: dict[str, KindDecision]
    roles: dict[str, RoleSpec]
    reviewers: dict[str, str]
    """Module id → the reviewer role of its team (modules without a team are absent)."""
    routes: dict[str, Route]
    tools: dict[str, list[str]]
    """Module id → the modules its coordinator calls (composed modules only)."""
    policies: dict[str, Policy]
    excluded: list[str]
    plan: Plan


def classify_kinds(state: PlanState, runtime: Runtime[PlanContext]) -> dict[str, Any]:
    catalog, model = runtime.context.catalog, runtime.context.model
    kinds: dict[str, KindDecision] = {}
    for spec in state["specs"]:
        decision = choose_kind(spec, catalog)
        if model is not None and decision.ambiguous_among:
            decision = ask_model(spec, decision, catalog, model)
        kinds[spec.id] = decision
    return {"kinds": kinds}


def assign_roles(state: PlanState, runtime: Runtime[PlanContext]) -> dict[str, Any]:
    """An agent role per module, or with `teams` a writer → reviewer team where the kind allows one."""
    catalog = runtime.context.catalog
    roles = {mid: choose_role(decision.kind, catalog) for mid, decision in state["kinds"].items()}
    reviewers: dict[str, str] = {}
    if runtime.context.teams:
        for mid, decision in state["kinds"].items():
            reviewer = choose_reviewer(catalog.kind(decision.kind), catalog)
            if reviewer is not None and choose_framework(roles[mid]) == "langgraph":
                reviewers[mid] = reviewer.name
    return {"roles": roles, "reviewers": reviewers}


def assign_routes(state: PlanState) -> dict[str, Any]:
    return {"routes": {spec.id: initial_route() for spec in state["specs"]}}


def compose_workflows(state: PlanState, runtime: Runtime[PlanContext]) -> dict[str, Any]:
    """A module that calls other planned modules becomes a workflow: a coordinator calls them as tools and
    answers with their answers in its prompt (a team's reviewer gives way to it)."""
    planned = {spec.id for spec in state["specs"]}
    roles, reviewers = dict(state["roles"]), dict(state.get("reviewers", {}))
    tools: dict[str, list[str]] = {}
    for spec in state["specs"]:
        callees = module_tools(spec, planned)
        coordinator = choose_coordinator(state["kinds"][spec.id].kind, runtime.context.catalog) if callees else None
        if coordinator is not None:
            roles[spec.id], tools[spec.id] = coordinator, callees
            reviewers.pop(spec.id, None)
    return {"roles": roles, "reviewers": reviewers, "tools": tools}


def _tools(state: PlanState, module_id: str, excluded: list[str]) -> list[str]:
    """The module's tools, when its (possibly reviewed) role may call modules, less those left static."""
    if MODULE_TOOLS not in state["roles"][module_id].tools:
        return []
    return [tool for tool in state.get("tools", {}).get(module_id, []) if tool not in excluded]


def _rationale(state: PlanState, module_id: str, tools: list[str]) -> str:
    rationale = state["kinds"][module_id].rationale
    if not tools:
        return rationale
    names = ", ".join(tool.rpartition("::")[2] for tool in tools)
    return f"{rationale}; calls {names}: a coordinator uses them as tools"


def set_policies(state: PlanState, runtime: Runtime[PlanContext]) -> dict[str, Any]:
    kinds = runtime.context.catalog.kinds
    return {"policies": {mid: policy_for(kinds[decision.kind]) for mid, decision in state["kinds"].items()}}


def review(state: PlanState, runtime: Runtime[PlanContext]) -> dict[str, Any]:
    """Show the proposal and apply the edits the run is resumed with; a pass-through unless asked to review.

    LangGraph reruns a node from its start on resume, so everything before `interrupt()` is pure."""
    if not runtime.context.review:
        return {}
    catalog = runtime.context.catalog
    proposal = proposal_of(state["specs"], dict(state))
    payload = interrupt({"modules": [p.model_dump() for p in proposal]})
    return apply_edits(dict(state), check_edits(read_edits(payload), proposal, catalog), catalog)


def emit(state: PlanState, runtime: Runtime[PlanContext]) -> dict[str, Any]:
    excluded = state.get("excluded", [])
    specs = [spec for spec in state["specs"] if spec.id not in excluded]
    modules = [
        ModulePlan(
            module_id=spec.id,
            kind=state["kinds"][spec.id].kind,
            agent_role=state["roles"][spec.id].name,
            route=state["routes"][spec.id],
            framework=choose_framework(state["roles"][spec.id]),
            reviewer=state.get("reviewers", {}).get(spec.id),
            tools=_tools(state, spec.id, excluded),
            policy=state["policies"][spec.id],
            decided_by=state["kinds"][spec.id].decided_by,
            rationale=_rationale(state, spec.id, _tools(state, spec.id, excluded)),
        )
        for spec in specs
    ]
    plan = Plan(root=state["root"], base_model=runtime.context.base_model, modules=modules, excluded=excluded)
    return {"plan": plan.model_copy(update={"mermaid": plan_mermaid(plan, specs)})}


def build_plan_graph() -> StateGraph[PlanState, PlanContext, PlanInput, PlanOutput]:
    """The uncompiled planner, for callers that compile it with their own checkpointer or interrupts."""
    graph = StateGraph(PlanState, context_schema=PlanContext, input_schema=PlanInput, output_schema=PlanOutput)
    graph.add_node("classify_kinds", classify_kinds)
    graph.add_node("assign_roles", assign_roles)
    graph.add_node("assign_routes", assign_routes)
    graph.add_node("compose_workflows", compose_workflows)
    graph.add_node("set_policies", set_policies)
    graph.add_node("review", review)
    graph.add_node("emit", emit)
    nodes = ["classify_kinds", "assign_roles", "assign_routes", "compose_workflows", "set_policies", "review", "emit"]
    for edge in pairwise([START, *nodes, END]):
        graph.add_edge(*edge)
    return graph


@cache
def _compiled() -> CompiledStateGraph[PlanState, PlanContext, PlanInput, PlanOutput]:
    return build_plan_graph().compile(name="agentforge-plan")


def make_plan(
    specs: Sequence[ModuleSpec],
    *,
    root: str,
    base_model: str,
    catalog: Catalog | None = None,
    model: Model | None = None,
    teams: bool = False,
) -> Plan:
    """Plan every module (kind, role or team, route, coordinator tools, framework, policy) with the built-in
    catalog unless given; with a `model`, it chooses the kinds the rules leave ambiguous; with `teams`,
    generation modules get a writer → reviewer → reviser team."""
    duplicates = sorted(mid for mid, n in Counter(spec.id for spec in specs).items() if n > 1)
    if duplicates:
        raise PlanError(f"module ids must be unique; repeated: {', '.join(duplicates)}")
    context = PlanContext(catalog=catalog or load_catalog(), base_model=base_model, model=model, teams=teams)
    result = _compiled().invoke({"root": root, "specs": list(specs)}, context=context)
    plan: Plan = result["plan"]
    return plan
