"""The AutoGen bridge: a `ChatCompletionClient` over agentforge models, driven by a real AssistantAgent."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_core.models import AssistantMessage, SystemMessage, UserMessage
from pydantic import BaseModel

from agentforge.artifacts import AdapterVersion, Route
from agentforge.errors import ModelError
from agentforge.llm import FunctionModel, ModelRequest, minimal_instance
from agentforge.llm.bridges.autogen import AgentforgeChatCompletionClient
from agentforge.runtime import Engine
from agentforge.store import Store
from tests.runtime.conftest import make_manifest


class Verdict(BaseModel):
    label: str
    score: float


def _answer(req: ModelRequest) -> str:
    if req.json_schema is not None:
        return json.dumps(minimal_instance(req.json_schema))
    return f"{req.adapter or 'base'} heard {len(req.messages)} messages, last: {req.messages[-1].content}"


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    store.save_manifest(make_manifest())
    return Engine(store, FunctionModel(_answer))


def test_create_maps_messages_counts_usage_and_structured_output(engine: Engine) -> None:
    client = AgentforgeChatCompletionClient(engine.model)
    messages = [
        SystemMessage(content="Be brief."),
        UserMessage(content="hi", source="user"),
        AssistantMessage(content="hello", source="bot"),
        UserMessage(content=["part one", "part two"], source="user"),
    ]
    result = asyncio.run(client.create(messages))
    assert result.content == "base heard 4 messages, last: part one\npart two"
    assert result.finish_reason == "stop" and client.total_usage() == result.usage == client.actual_usage()
    verdict = asyncio.run(client.create(messages, json_output=Verdict))
    assert Verdict.model_validate_json(str(verdict.content))
    assert client.total_usage().prompt_tokens == result.usage.prompt_tokens + verdict.usage.prompt_tokens
    assert client.model_info["function_calling"] is False and client.remaining_tokens(messages) > 0
    with pytest.raises(ModelError, match="do not call tools"):
        asyncio.run(client.create(messages, tools=[{"name": "f", "parameters": {}}]))


def test_streams_one_chunk_then_the_result(engine: Engine) -> None:
    client = AgentforgeChatCompletionClient(engine.model)

    async def collect() -> list[object]:
        return [chunk async for chunk in client.create_stream([UserMessage(content="x", source="u")])]

    text, result = asyncio.run(collect())
    assert text == "base heard 1 messages, last: x" and getattr(result, "content", None) == text


def test_an_assistant_agent_runs_on_the_module_route(engine: Engine, tmp_path: Path) -> None:
    module = "app/ai.py::draft"
    engine.store.add_adapter(AdapterVersion(name="draft@v3", module_id=module, base_model="fake", path=str(tmp_path)))
    engine.store.set_route("default", module, Route(champion="draft@v3"))
    client = AgentforgeChatCompletionClient(engine.model, engine=engine, module=module)
    agent = AssistantAgent("support", model_client=client, system_message="You answer bank customers.")
    result = asyncio.run(agent.run(task="My card was swallowed by the ATM"))
    reply = result.messages[-1]
    assert getattr(reply, "content", "").startswith("draft@v3 heard 2 messages, last: My card was swallowed")
