"""A module call run by an AutoGen AgentChat `AssistantAgent` whose output content type is the module's contract,
on the agentforge model through `AgentforgeChatCompletionClient`.

AutoGen is in maintenance mode upstream, so this stays thin: one agent, no tools; imported only when a module's
plan says `framework: autogen`."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from pydantic import ValidationError

from agentforge.errors import ConfigError, OutputValidationError
from agentforge.runtime.agents.task import AgentTask, output_model, retry_attempts

JSON_REPLY = '\nReply with one JSON object whose "value" is your answer.'
"""The agent's output type is the contract wrapped in an object; the kind's own prompt asks for the bare answer."""


def _load() -> tuple[Any, Any]:
    try:
        from autogen_agentchat.agents import AssistantAgent

        from agentforge.llm.bridges.autogen import AgentforgeChatCompletionClient
    except ImportError as exc:
        raise ConfigError(
            f"this module runs on AutoGen, which is not installed here ({exc}): pip install 'agentforge[autogen]', "
            "or plan it with framework langgraph"
        ) from exc
    return AssistantAgent, AgentforgeChatCompletionClient


async def run_autogen_agent(task: AgentTask) -> Any:
    """The module's output from a one-agent AutoGen run; an answer that does not fit the contract is retried
    with a fresh agent, up to `max_retries` times."""
    agent_cls, client_cls = _load()
    contract = output_model(task.spec)

    async def attempt(number: int) -> Any:
        client = client_cls(task.model, adapter=task.adapter, max_new_tokens=task.answer_tokens)
        agent = agent_cls(
            name=re.sub(r"\W", "_", task.role.name) or "agent",
            model_client=client,
            system_message=task.system,
            output_content_type=contract,
        )
        try:
            result = await asyncio.wait_for(agent.run(task=task.task_text() + JSON_REPLY), timeout=task.timeout_s)
        except ValidationError as exc:
            message = f"the agent's answer does not fit the contract: {exc.errors()[0]['msg']}"
            raise OutputValidationError(message) from exc
        finally:
            usage = client.total_usage()
            task.totals.count(task.model.name, usage.prompt_tokens, usage.completion_tokens, retry=number > 0)
        content = result.messages[-1].content
        if not isinstance(content, contract):
            raise OutputValidationError(f"the agent answered {type(content).__name__}, not the module's output")
        return content.value

    return await retry_attempts(task, "AutoGen", attempt)
