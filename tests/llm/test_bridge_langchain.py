"""The LangChain bridge: a `BaseChatModel` that follows a module's route, used from LangChain and LangGraph."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TypedDict

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langgraph.graph import END, START, StateGraph

from agentforge.artifacts import AdapterVersion, Route
from agentforge.errors import ModelError
from agentforge.llm import FunctionModel, ModelRequest
from agentforge.llm.bridges.langchain import AgentforgeChatModel
from agentforge.runtime import Engine
from agentforge.store import Store
from tests.runtime.conftest import make_manifest

MODULE = "app/ai.py::draft"


def _answer(req: ModelRequest) -> str:
    roles = "/".join(m.role for m in req.messages)
    return f"{req.adapter or 'base'} answered {roles}: {req.messages[-1].content} STOP ignored"


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    store.save_manifest(make_manifest())
    return Engine(store, FunctionModel(_answer))


def test_direct_calls_map_roles_usage_and_stop_words(engine: Engine) -> None:
    chat = AgentforgeChatModel(model=engine.model)
    reply = chat.invoke([SystemMessage("Be brief."), HumanMessage("hi"), AIMessage("hello"), HumanMessage("card?")])
    assert reply.content == "base answered system/user/assistant/user: card? STOP ignored"
    assert reply.usage_metadata is not None and reply.response_metadata["model_name"] == "function"
    assert chat.invoke("card?", stop=[" STOP"]).content == "base answered user: card?"
    with pytest.raises(ModelError, match="'tool' message"):
        chat.invoke([ToolMessage("x", tool_call_id="1")])


def test_module_route_uses_the_promoted_adapter_then_falls_back(engine: Engine, tmp_path: Path) -> None:
    store = engine.store
    store.add_adapter(AdapterVersion(name="draft@v2", module_id=MODULE, base_model="fake", path=str(tmp_path)))
    store.set_route("default", MODULE, Route(champion="draft@v2"))
    chat = AgentforgeChatModel(model=engine.model, engine=engine, module="draft")
    assert str(chat.invoke("refund?").content).startswith("draft@v2 answered user: refund?")
    store.set_route("default", MODULE, Route(champion="draft@gone"))  # not registered: the chain goes on to base
    assert str(chat.invoke("refund?").content).startswith("base answered")


def test_usable_as_a_langgraph_node_sync_and_async(engine: Engine) -> None:
    chat = AgentforgeChatModel(model=engine.model, engine=engine, module=MODULE)

    class State(TypedDict):
        question: str
        answer: str

    def node(state: State) -> dict[str, str]:
        return {"answer": str(chat.invoke(state["question"]).content)}

    graph = StateGraph(State)
    graph.add_node("ask", node)
    graph.add_edge(START, "ask")
    graph.add_edge("ask", END)
    compiled = graph.compile()
    assert compiled.invoke({"question": "lost card", "answer": ""})["answer"].startswith("base answered user: lost")
    reply = asyncio.run(chat.ainvoke("async call"))
    assert str(reply.content).startswith("base answered user: async call")


@pytest.mark.slow
def test_the_real_default_model_answers_through_langchain(agentforge_home: Path) -> None:
    from agentforge.config import Paths
    from agentforge.llm.local import LocalModel

    chat = AgentforgeChatModel(model=LocalModel.load(paths=Paths(home=agentforge_home), threads=1), max_new_tokens=16)
    reply = chat.invoke([SystemMessage("Answer in one word."), HumanMessage("What colour is the sky on a clear day?")])
    assert isinstance(reply.content, str) and reply.content.strip()
    assert reply.usage_metadata is not None and reply.usage_metadata["output_tokens"] > 0
