"""When the planner's rules cannot tell a module's kind apart, the model may choose, and the plan says so.

The question is a label choice (the model's likelihood over the candidate kinds' names), asked with the
module's name, intent, signature and output type and each candidate's description. The decision records the
model's name, the candidates and the margin of its choice over the runner-up, so a reviewer can weigh it.
"""

from __future__ import annotations

import math

from agentforge.artifacts import ModuleSpec
from agentforge.catalog import Catalog
from agentforge.errors import AgentforgeError, PlanError
from agentforge.llm.base import Message, Model, ModelRequest, run_sync
from agentforge.plan.rules import KindDecision

SYSTEM = (
    "You sort the functions of a program by the kind of work they do. Answer with exactly one kind name "
    "from this list:\n{kinds}"
)


def ask_model(spec: ModuleSpec, decision: KindDecision, catalog: Catalog, model: Model) -> KindDecision:
    """The model's pick among `decision.ambiguous_among`; the rules' decision stands when there is no choice.

    Raises PlanError when the model cannot answer (the plan must not silently fall back on a guess it
    was told to replace)."""
    candidates = list(decision.ambiguous_among)
    if len(candidates) < 2:
        return decision
    kinds = "\n".join(f"- {name}: {catalog.kind(name).description}" for name in candidates)
    params = ", ".join(f"{p.name}: {p.annotation or 'any'}" for p in spec.params)
    user = (
        f"Function: {spec.name}({params}) -> {spec.output_annotation or 'untyped'}\n"
        f"What it is for: {spec.intent or 'not documented'}\n"
        "Kind:"
    )
    request = ModelRequest(
        messages=[Message(role="system", content=SYSTEM.format(kinds=kinds)), Message(role="user", content=user)],
        choices=candidates,
        max_new_tokens=16,
    )
    try:
        response = run_sync(model.request(request))
    except AgentforgeError as exc:
        raise PlanError(f"{spec.id}: asking {model.name} for the module kind failed: {exc}") from exc
    if response.text not in candidates:
        raise PlanError(f"{spec.id}: {model.name} answered {response.text!r}, not one of {candidates}")
    scores = response.choice_scores or {}
    others = [v for k, v in scores.items() if k != response.text]
    margin = scores.get(response.text, 0.0) - max(others) if others else math.inf
    shown = f"margin {margin:.2f} nats over the next" if math.isfinite(margin) else "the others scored lower"
    return KindDecision(
        kind=response.text,
        decided_by=f"model:{model.name}",
        rationale=f"{decision.rationale}; rules could not tell {', '.join(candidates)} apart; "
        f"{model.name} chose {response.text} ({shown})",
    )
