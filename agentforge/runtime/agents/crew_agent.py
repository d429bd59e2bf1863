"""A module call run by a CrewAI Crew: one Agent (the plan's role) and one Task whose output is the module's
contract as a pydantic model, on the agentforge model through `AgentforgeCrewLLM`.

CrewAI pins many packages of its own and is usually installed in an environment apart (`scripts/setup_crewai.sh`);
it is imported only when a module's plan says `framework: crewai`."""

from __future__ import annotations

import asyncio
from typing import Any

from agentforge.errors import ConfigError, ModelError, OutputValidationError
from agentforge.llm.base import ModelResponse
from agentforge.runtime.agents.task import AgentTask, output_model, retry_attempts


def _load() -> tuple[Any, Any, Any, Any]:
    try:
        from crewai import Agent, Crew, Task

        from agentforge.llm.bridges.crewai import AgentforgeCrewLLM
    except ImportError as exc:
        raise ConfigError(
            f"this module runs on CrewAI, which is not installed here ({exc}): pip install 'agentforge[crewai]' "
            "(CrewAI pins many packages; scripts/setup_crewai.sh makes an environment for it), or plan it with "
            "framework langgraph"
        ) from exc
    return Agent, Crew, Task, AgentforgeCrewLLM


async def run_crew_agent(task: AgentTask) -> Any:
    """The module's output from a one-agent Crew; each failed attempt (an answer that does not fit the contract,
    an error inside CrewAI) is retried with a fresh crew, up to `max_retries` times."""
    agent_cls, crew_cls, task_cls, llm_cls = _load()
    contract = output_model(task.spec)

    async def attempt(number: int) -> Any:
        def counted(response: ModelResponse) -> None:
            task.totals.add(response, retry=number > 0)

        llm = llm_cls(
            model=task.model.name,
            backend=task.model,
            adapter=task.adapter,
            max_new_tokens=task.answer_tokens,
            response_schema=contract.model_json_schema(),
            final_answer=True,
            on_response=counted,
        )
        agent = agent_cls(
            role=task.role.name,
            goal=task.kind.description,
            backstory=task.system,
            llm=llm,
            allow_delegation=False,
            max_iter=1,
            verbose=False,
        )
        crew_task = task_cls(
            description=task.task_text(),  # kickoff without inputs: CrewAI fills no {placeholders} in it
            expected_output=f"the {task.kind.name} answer as a JSON object with one field, value",
            agent=agent,
            output_pydantic=contract,
        )
        crew = crew_cls(agents=[agent], tasks=[crew_task], verbose=False)
        try:
            result = await asyncio.wait_for(asyncio.to_thread(crew.kickoff), timeout=task.timeout_s)
        except (TimeoutError, ModelError):
            raise
        except Exception as exc:  # CrewAI's own errors (a parse failure, a bad conversion): try again
            raise OutputValidationError(f"CrewAI: {type(exc).__name__}: {exc}") from exc
        if result.pydantic is None:
            raise OutputValidationError(f"the crew's answer does not fit the contract: {str(result.raw)[:200]!r}")
        return result.pydantic.value

    return await retry_attempts(task, "CrewAI", attempt)
