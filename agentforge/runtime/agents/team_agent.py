"""The writer → reviewer → reviser team, a LangGraph graph with the single-call agent as its writing subgraph.

The writer's draft has passed the contract check (schema, format) before the reviewer sees it; the reviewer
(the plan's reviewer role) then judges it against the module's intent and contract and answers a verdict with
the problems to fix, decoded under a small JSON schema. A draft sent back goes to the writer again with the
problems, as a reviser, at most `review_rounds` times; the last revision stands unreviewed."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agentforge.errors import OutputValidationError
from agentforge.llm.base import Message, ModelRequest
from agentforge.runtime.agents.graph_agent import AgentState, single_agent
from agentforge.runtime.agents.task import AgentTask

VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"verdict": {"type": "string", "enum": ["OK", "REVISE"]}, "problems": {"type": "string"}},
    "required": ["verdict", "problems"],
}
VERDICT_TOKENS = 96


class TeamState(AgentState, total=False):
    revisions: int
    verdict: str
    problems: str
    reviewed: Any
    """The latest draft the reviewer saw (valid), which stands if a revision breaks the contract."""


def reviewer_messages(task: AgentTask, draft: str) -> list[Message]:
    """The reviewer's prompt: its role, what the module must do and the contract, then the call and the draft."""
    assert task.reviewer is not None
    spec, kind = task.spec, task.kind
    system = (
        f"You are the {task.reviewer.name} of this application. {task.reviewer.instructions}\n"
        f"The answer must do this: {spec.intent or spec.name} ({kind.description}).\n"
        f"It must fit this JSON Schema: {json.dumps(spec.output_schema, sort_keys=True)}\n"
        'Reply with a JSON object: "verdict" OK when the draft is right as it is, REVISE when it must change, '
        'and "problems": what to fix (empty when OK).'
    )
    call = task.messages[-1].content
    return [Message(role="system", content=system), Message(role="user", content=f"{call}\n\nDraft:\n{draft}")]


async def review(state: TeamState, runtime: Runtime[AgentTask]) -> TeamState:
    task = runtime.context
    request = ModelRequest(
        messages=reviewer_messages(task, state["text"]),
        adapter=task.adapter,
        json_schema=VERDICT_SCHEMA,
        max_new_tokens=VERDICT_TOKENS,
    )
    response = await task.model.request(request)
    task.totals.add(response, retry=False)
    seen: TeamState = {"reviewed": state["value"]}
    try:
        found = json.loads(response.text)
        return {**seen, "verdict": str(found["verdict"]), "problems": str(found.get("problems", ""))}
    except (json.JSONDecodeError, KeyError, TypeError):  # an unreadable verdict holds nothing back
        return {**seen, "verdict": "OK", "problems": f"unreadable verdict: {response.text[:80]!r}"}


def revise(state: TeamState) -> TeamState:
    """The writer's turn again, as a reviser: its draft and the reviewer's problems added to its chat."""
    ask = Message(
        role="user",
        content=f"A reviewer asked for changes: {state['problems']}\nWrite the improved answer, exactly in format.",
    )
    messages = [*state["messages"], Message(role="assistant", content=state["text"]), ask]
    return {"messages": messages, "attempts": 0, "error": None, "revisions": state.get("revisions", 0) + 1}


def after_write(state: TeamState, runtime: Runtime[AgentTask]) -> str:
    """Review a valid draft while revisions are left (the last revision stands unreviewed)."""
    if state.get("error") is not None or state.get("revisions", 0) >= runtime.context.review_rounds:
        return END
    return "review"


def after_review(state: TeamState) -> str:
    return "revise" if state["verdict"] == "REVISE" else END


@cache
def team_agent() -> CompiledStateGraph[TeamState, AgentTask, TeamState, TeamState]:
    graph = StateGraph(TeamState, context_schema=AgentTask)
    graph.add_node("write", single_agent())
    graph.add_node("review", review)
    graph.add_node("revise", revise)
    graph.add_edge(START, "write")
    graph.add_conditional_edges("write", after_write, ["review", END])
    graph.add_conditional_edges("review", after_review, ["revise", END])
    graph.add_edge("revise", "write")
    return graph.compile(name="writer_reviewer_team")


async def run_team_agent(task: AgentTask) -> Any:
    """The module's output from the team: the last draft that passed the contract check (a revision that
    breaks it leaves the draft the reviewer saw)."""
    limit = (task.review_rounds + 1) * (2 * (task.max_retries + 1) + 4) + 2
    final = await team_agent().ainvoke({"messages": task.messages}, context=task, config={"recursion_limit": limit})
    if final.get("error") is None:
        return final["value"]
    if "reviewed" in final:
        return final["reviewed"]
    raise OutputValidationError(final["error"])
