"""The OpenAI-compatible endpoint of a workspace, called by the official `openai` client and LangChain's
`ChatOpenAI` over real HTTP (fake model: the clients and the routing are under test, not the model)."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from langchain_openai import ChatOpenAI

from agentforge.store import Store

from ..store.test_store_conformance import make_adapter
from .test_service import MODULE, SUPPORT_DESK, Server, built, server, zip_of

__all__ = ["server"]  # the fixture, imported for these tests


def _ready(server: Server, workspace: str) -> tuple[str, list[str]]:
    """A workspace with support_desk built; its key and classify_intent's labels."""
    key = server.workspace(workspace)
    with server.client(key) as client:
        assert built(client, workspace, zip_of(SUPPORT_DESK))["state"] == "succeeded"
        labels = client.get(f"/v1/workspaces/{workspace}/modules/{MODULE}").json()["output_schema"]["enum"]
    return key, labels


def test_openai_client_gets_module_outputs_by_module_and_by_adapter(server: Server) -> None:
    key, labels = _ready(server, "oa")
    client = openai.OpenAI(base_url=f"{server.url}/v1/workspaces/oa/v1", api_key=key, max_retries=0)
    answer = client.chat.completions.create(
        model="classify_intent", messages=[{"role": "user", "content": "I lost my card"}]
    )
    assert answer.choices[0].message.content in labels
    assert answer.model_extra is not None and answer.model_extra["agentforge"]["module"] == MODULE
    details = client.chat.completions.create(
        model="support_desk/assistant.py::extract_details",
        messages=[{"role": "user", "content": json.dumps({"message": "card 1234 charged twice"})}],
    )
    assert isinstance(json.loads(details.choices[0].message.content or ""), dict)
    streamed = client.chat.completions.create(
        model="classify_intent", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assert "".join(chunk.choices[0].delta.content or "" for chunk in streamed) in labels
    server.store.add_adapter(make_adapter("classify-intent@0a0000000001", workspace_id="oa", module_id=MODULE))
    ids = [m.id for m in client.models.list()]
    assert MODULE in ids and "classify-intent@0a0000000001" in ids
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="no_such_module", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(
            model="support_desk/assistant.py::draft_reply", messages=[{"role": "system", "content": "x"}]
        )


def test_langchain_chat_openai_gets_a_valid_label(server: Server) -> None:
    key, labels = _ready(server, "lc")
    chat = ChatOpenAI(base_url=f"{server.url}/v1/workspaces/lc/v1", api_key=key, model="classify_intent")
    assert chat.invoke("my card never arrived").content in labels


def test_a_workspace_can_never_route_to_another_workspace_adapter(server: Server, store: Store) -> None:
    key_a, _ = _ready(server, "ta")
    key_b, _ = _ready(server, "tb")
    store.add_adapter(make_adapter("classify-intent@b00000000001", workspace_id="tb", module_id=MODULE))
    a = openai.OpenAI(base_url=f"{server.url}/v1/workspaces/ta/v1", api_key=key_a, max_retries=0)
    with pytest.raises(openai.NotFoundError):
        a.chat.completions.create(model="classify-intent@b00000000001", messages=[{"role": "user", "content": "x"}])
    assert "classify-intent@b00000000001" not in [m.id for m in a.models.list()]
    into_b = openai.OpenAI(base_url=f"{server.url}/v1/workspaces/tb/v1", api_key=key_a, max_retries=0)
    with pytest.raises(openai.NotFoundError):
        into_b.chat.completions.create(model="classify_intent", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{server.url}/v1/workspaces/ta/v1", api_key="sk-nope", max_retries=0).models.list()
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key_b}"}) as b:
        traces = b.get("/v1/workspaces/tb/traces").json()
    assert traces == [], "nothing A sent reached B"
