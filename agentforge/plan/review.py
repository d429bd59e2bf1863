"""Human review of a plan: the proposal a reviewer sees, and the edits they may make to it.

The planner's `review` node shows the proposal through LangGraph's `interrupt()` and applies the edits it is
resumed with. An edit names a module (its id, or its name when that is unique) and changes its kind, its agent
role, its team's reviewer (`reviewer=none` for a single agent) or its route's champion, or excludes it (the build
leaves it static). Edits are checked against the
proposal and the catalog before the run resumes, so a typo is refused while the review is still open.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from agentforge.artifacts import ModuleSpec
from agentforge.catalog import Catalog
from agentforge.errors import CatalogError, PlanError
from agentforge.plan.rules import KindDecision, choose_coordinator, choose_role, policy_for

PLAN_TARGET = re.compile(r"^(?:(?:base|backend:[\w.-]+)(?:\+examples(?::[1-9]\d*)?)?|static)$")
"""Champions a plan can name: no adapter exists before the first training run."""
EDIT_KEYS = {
    "kind": "kind",
    "role": "agent_role",
    "agent_role": "agent_role",
    "reviewer": "reviewer",
    "champion": "champion",
}
NO_REVIEWER = "none"
"""`reviewer=none`: no team, a single-call agent."""


class PlanEdit(BaseModel):
    """One reviewer change to one module."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    module: str
    """The module's id, or its name when no other module has it."""
    kind: str | None = None
    agent_role: str | None = None
    """A role that serves the (new) kind; when only the kind changes, the kind's natural role is chosen."""
    reviewer: str | None = None
    """The reviewer role of a writer → reviewer → reviser team, or `none` for a single-call agent."""
    champion: str | None = None
    """The route's first target: `base`, `base+examples:4`, `backend:NAME` or `static`."""
    exclude: bool = False
    """Leave the module static: the build does not rewrite it."""


class ModuleProposal(BaseModel):
    """What the reviewer is shown of one module (JSON, as `interrupt()` payloads must be)."""

    module_id: str
    name: str
    kind: str
    agent_role: str
    reviewer: str | None = None
    tools: list[str] = []
    """The modules a coordinator calls first (while its role may call modules)."""
    champion: str
    decided_by: str
    rationale: str


def parse_edit(text: str) -> PlanEdit:
    """`MODULE [kind=K] [role=R] [reviewer=R|none] [champion=T] [exclude]`, as typed at the review prompt or
    given to `--edit`."""
    words = shlex.split(text)
    if not words:
        raise PlanError("an edit names a module, then kind=K, role=R, reviewer=R, champion=T or exclude")
    fields: dict[str, Any] = {"module": words[0]}
    for word in words[1:]:
        key, eq, value = word.partition("=")
        if word == "exclude":
            fields["exclude"] = True
        elif eq and key in EDIT_KEYS and value:
            fields[EDIT_KEYS[key]] = value
        else:
            raise PlanError(
                f"edit {text!r}: cannot read {word!r} (expected kind=K, role=R, reviewer=R, champion=T or exclude)"
            )
    if len(fields) == 1:
        raise PlanError(f"edit {text!r} changes nothing (add kind=K, role=R, reviewer=R, champion=T or exclude)")
    return PlanEdit.model_validate(fields)


def resolve_module(ref: str, proposal: Sequence[ModuleProposal]) -> str:
    """The id of the module an edit names: an exact id, else a unique name."""
    if any(p.module_id == ref for p in proposal):
        return ref
    named = [p.module_id for p in proposal if p.name == ref]
    if len(named) == 1:
        return named[0]
    if named:
        raise PlanError(f"{ref!r} names {len(named)} modules ({', '.join(named)}); give the module id")
    known = ", ".join(p.name for p in proposal)
    raise PlanError(f"no module {ref!r} in the plan; modules: {known}")


def check_edits(edits: Sequence[PlanEdit], proposal: Sequence[ModuleProposal], catalog: Catalog) -> list[PlanEdit]:
    """The edits with module ids resolved, each checked against the catalog; PlanError names the first bad one."""
    checked: list[PlanEdit] = []
    current = {p.module_id: p for p in proposal}
    for edit in edits:
        module_id = resolve_module(edit.module, proposal)
        kind = edit.kind or current[module_id].kind
        try:
            catalog.kind(kind)
            if edit.agent_role is not None:
                catalog.role_serving(edit.agent_role, kind)
            if edit.reviewer not in (None, NO_REVIEWER):
                catalog.role_serving(edit.reviewer, kind, "langgraph")
        except CatalogError as exc:
            raise PlanError(f"{module_id}: {exc}") from exc
        if edit.champion is not None and not PLAN_TARGET.match(edit.champion):
            raise PlanError(
                f"{module_id}: champion {edit.champion!r} is not base, base+examples[:K], backend:NAME or static"
            )
        checked.append(edit.model_copy(update={"module": module_id}))
    return checked


def proposal_of(specs: Sequence[ModuleSpec], state: dict[str, Any]) -> list[ModuleProposal]:
    return [
        ModuleProposal(
            module_id=spec.id,
            name=spec.name,
            kind=state["kinds"][spec.id].kind,
            agent_role=state["roles"][spec.id].name,
            reviewer=state.get("reviewers", {}).get(spec.id),
            tools=state.get("tools", {}).get(spec.id, []),
            champion=state["routes"][spec.id].champion,
            decided_by=state["kinds"][spec.id].decided_by,
            rationale=state["kinds"][spec.id].rationale,
        )
        for spec in specs
    ]


def read_edits(payload: object) -> list[PlanEdit]:
    """The resume value of the review interrupt: a list of edits (as dicts); anything else is refused."""
    if not isinstance(payload, list):
        raise PlanError(f"a plan review resumes with a list of edits, got {type(payload).__name__}")
    try:
        return [PlanEdit.model_validate(item) for item in payload]
    except ValidationError as exc:
        raise PlanError(f"invalid plan edit: {exc}") from exc


def apply_edits(state: dict[str, Any], edits: Sequence[PlanEdit], catalog: Catalog) -> dict[str, Any]:
    """The state updates a review's (checked) edits make; a changed kind brings its natural role (a composed
    module's coordinator, while it serves the kind) and policy."""
    kinds, roles, reviewers = dict(state["kinds"]), dict(state["roles"]), dict(state.get("reviewers", {}))
    routes, policies = dict(state["routes"]), dict(state["policies"])
    excluded: list[str] = []
    for edit in edits:
        module_id = edit.module
        if edit.exclude:
            excluded.append(module_id)
            continue
        before = kinds[module_id]
        changed: list[str] = []
        if edit.kind is not None and edit.kind != before.kind:
            coordinator = choose_coordinator(edit.kind, catalog) if state.get("tools", {}).get(module_id) else None
            roles[module_id] = coordinator or choose_role(edit.kind, catalog)
            policies[module_id] = policy_for(catalog.kind(edit.kind))
            changed.append(f"kind {before.kind} -> {edit.kind}")
            if module_id in reviewers and edit.kind not in catalog.role(reviewers[module_id]).kinds:
                del reviewers[module_id]  # a reviewer for drafts has nothing to review in, say, a label
        if edit.agent_role is not None:
            roles[module_id] = catalog.role(edit.agent_role)
            changed.append(f"role -> {edit.agent_role}")
        if edit.reviewer == NO_REVIEWER:
            reviewers.pop(module_id, None)
            changed.append("single agent")
        elif edit.reviewer is not None:
            reviewers[module_id] = edit.reviewer
            changed.append(f"reviewer -> {edit.reviewer}")
        if edit.champion is not None:
            routes[module_id] = routes[module_id].model_copy(update={"champion": edit.champion})
            changed.append(f"champion -> {edit.champion}")
        if changed:
            kinds[module_id] = KindDecision(
                kind=edit.kind or before.kind,
                decided_by="review" if edit.kind else before.decided_by,
                rationale=f"{before.rationale}; reviewer: {', '.join(changed)}",
            )
    return {
        "kinds": kinds,
        "roles": roles,
        "reviewers": reviewers,
        "routes": routes,
        "policies": policies,
        "excluded": sorted(excluded),
    }
