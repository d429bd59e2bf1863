"""plan: module specs -> a reviewed `Plan` (kind, agent role, route, framework, policy per module)."""

from agentforge.plan.graph import PlanContext, build_plan_graph, make_plan
from agentforge.plan.mermaid import plan_mermaid
from agentforge.plan.serialize import dump_yaml, plan_from_yaml, plan_to_yaml

__all__ = [
    "PlanContext",
    "build_plan_graph",
    "dump_yaml",
    "make_plan",
    "plan_from_yaml",
    "plan_mermaid",
    "plan_to_yaml",
]
