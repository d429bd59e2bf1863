"""Agents at run time: the framework a module's plan names answers its calls.

Every framework gets the same `AgentTask` (the rendered prompt, the output contract, the model and adapter the
route chose) and its answer is checked against the same contract, so routes, retrieval, validation, fallbacks
and traces stay the engine's whichever framework runs the agent:

- `langgraph` (the default): a compiled LangGraph agent, answer → check → answer again with the error; or,
  when the plan names a reviewer, a writer → reviewer → reviser team with that agent as its writer;
- `crewai`: a Crew of one Agent with a Task whose `output_pydantic` is the contract (extra `crewai`);
- `autogen`: an AgentChat `AssistantAgent` whose `output_content_type` is the contract (extra `autogen`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from agentforge.artifacts import FRAMEWORKS
from agentforge.errors import ConfigError
from agentforge.runtime.agents.task import AgentTask, ContractOutput, ResponseTotals, output_model


async def run_agent(framework: str, task: AgentTask) -> Any:
    """The module output the framework's agent gives for the task (token counts land in `task.totals`)."""
    runner: Callable[[AgentTask], Awaitable[Any]]
    if task.reviewer is not None and framework != "langgraph":
        raise ConfigError(f"a writer → reviewer team runs on langgraph, not {framework!r}")
    if task.reviewer is not None:
        from agentforge.runtime.agents.team_agent import run_team_agent as runner
    elif framework == "langgraph":
        from agentforge.runtime.agents.graph_agent import run_graph_agent as runner
    elif framework == "crewai":
        from agentforge.runtime.agents.crew_agent import run_crew_agent as runner
    elif framework == "autogen":
        from agentforge.runtime.agents.autogen_agent import run_autogen_agent as runner
    else:
        raise ConfigError(f"unknown agent framework {framework!r}; known: {', '.join(FRAMEWORKS)}")
    return await runner(task)


__all__ = ["FRAMEWORKS", "AgentTask", "ContractOutput", "ResponseTotals", "output_model", "run_agent"]
