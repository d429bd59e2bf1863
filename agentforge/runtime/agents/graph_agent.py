"""The LangGraph agent: answer → check against the module contract → (answer again with the error) → done.

Compiled once per process; each call passes its `AgentTask` as the run's context, so the graph holds no state
of its own and serves concurrent calls."""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agentforge.errors import OutputValidationError
from agentforge.llm.base import Message
from agentforge.runtime.agents.task import AgentTask


class AgentState(TypedDict, total=False):
    messages: list[Message]
    attempts: int
    text: str
    value: Any
    error: str | None


async def answer(state: AgentState, runtime: Runtime[AgentTask]) -> AgentState:
    task = runtime.context
    attempts = state.get("attempts", 0)
    response = await asyncio.wait_for(task.model.request(task.request(state["messages"])), timeout=task.timeout_s)
    task.totals.add(response, retry=attempts > 0)
    return {"text": response.text, "attempts": attempts + 1}


def check(state: AgentState, runtime: Runtime[AgentTask]) -> AgentState:
    """Parse and validate the answer; when it breaks the contract, the error goes back to the model."""
    try:
        return {"value": runtime.context.parse(state["text"]), "error": None}
    except OutputValidationError as exc:
        retry = Message(role="user", content=f"That answer was invalid ({exc}). Answer again, exactly in format.")
        messages = [*state["messages"], Message(role="assistant", content=state["text"]), retry]
        return {"error": str(exc), "messages": messages}


def after_check(state: AgentState, runtime: Runtime[AgentTask]) -> str:
    if state.get("error") is None or state["attempts"] > runtime.context.max_retries:
        return END
    return "answer"


@cache
def single_agent() -> CompiledStateGraph[AgentState, AgentTask, AgentState, AgentState]:
    graph = StateGraph(AgentState, context_schema=AgentTask)
    graph.add_node("answer", answer)
    graph.add_node("check", check)
    graph.add_edge(START, "answer")
    graph.add_edge("answer", "check")
    graph.add_conditional_edges("check", after_check, ["answer", END])
    return graph.compile(name="single_agent")


async def run_graph_agent(task: AgentTask) -> Any:
    """The module's output from a single-call agent, after at most `max_retries` corrected attempts."""
    limit = 2 * (task.max_retries + 1) + 1
    final = await single_agent().ainvoke({"messages": task.messages}, context=task, config={"recursion_limit": limit})
    if final.get("error") is not None:
        raise OutputValidationError(final["error"])
    return final["value"]
