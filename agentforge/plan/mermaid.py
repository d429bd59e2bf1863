"""Draw a plan as a Mermaid flowchart: one node per module, an edge per call between modules."""

from __future__ import annotations

from collections.abc import Sequence

from agentforge.artifacts import ModuleSpec, Plan

_ESCAPES = {'"': "#quot;", "<": "#lt;", ">": "#gt;"}


def _text(value: str) -> str:
    """Mermaid entity codes, so a name can never close the label or inject HTML into it."""
    return "".join(_ESCAPES.get(char, char) for char in value)


def plan_mermaid(plan: Plan, specs: Sequence[ModuleSpec]) -> str:
    """`flowchart LR` with nodes `m0, m1, ...` in plan order, labelled `name<br/>kind / role` (`role + reviewer`
    for a team), and an edge `caller --> callee` for every `spec.calls` entry whose both ends are in the plan,
    labelled `tool` where the caller's coordinator calls the callee."""
    by_id = {spec.id: spec for spec in specs}
    node = {module.module_id: f"m{i}" for i, module in enumerate(plan.modules)}
    lines = ["flowchart LR"]
    for module in plan.modules:
        spec = by_id.get(module.module_id)
        name = spec.name if spec else module.module_id.rpartition("::")[2]
        agents = module.agent_role + (f" + {module.reviewer}" if module.reviewer else "")
        label = f"{_text(name)}<br/>{_text(module.kind)} / {_text(agents)}"
        lines.append(f'    {node[module.module_id]}["{label}"]')
    tools = {(module.module_id, tool) for module in plan.modules for tool in module.tools}
    edges = (
        f"    {node[spec.id]} -->{'|tool|' if (spec.id, callee) in tools else ''} {node[callee]}"
        for spec in specs
        if spec.id in node
        for callee in spec.calls
        if callee in node
    )
    lines.extend(dict.fromkeys(edges))
    return "\n".join(lines) + "\n"
