"""The runtime API over real HTTP (uvicorn on loopback), with a fake model: status codes and bodies."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from agentforge.api import create_app
from agentforge.llm.testing import TestModel
from agentforge.runtime import Engine
from agentforge.runtime.host import BackgroundServer
from agentforge.store import Store

from ..runtime.conftest import make_manifest


@pytest.fixture
def client(store: Store) -> Iterator[httpx.Client]:
    store.save_manifest(make_manifest())
    with (
        BackgroundServer(create_app(Engine(store, TestModel()))) as server,
        httpx.Client(base_url=server.url) as c,
    ):
        yield c


def test_health_and_modules(client: httpx.Client) -> None:
    assert client.get("/health").json()["modules"] == 3
    modules = client.get("/v1/modules").json()
    assert {m["kind"] for m in modules} == {"classify", "extract", "generate"}


def test_invoke_trace_and_correction(client: httpx.Client) -> None:
    body = client.post("/v1/invoke", json={"module": "classify", "input": {"message": "hi"}}).json()
    assert body["rung"] == "base"
    trace = client.get(f"/v1/traces/{body['trace_id']}").json()
    assert trace["output"] == body["output"]
    ok = client.post(f"/v1/traces/{body['trace_id']}/corrections", json={"value": "refund_request"})
    assert ok.status_code == 201
    assert ok.json()["module"] == "app/ai.py::classify"


def test_invalid_correction_is_422_naming_the_field_and_stores_nothing(client: httpx.Client, store: Store) -> None:
    body = client.post("/v1/invoke", json={"module": "extract", "input": {"message": "hi"}}).json()
    bad = client.post(f"/v1/traces/{body['trace_id']}/corrections", json={"value": {"amount": "lots"}})
    assert bad.status_code == 422
    assert bad.json()["detail"]["field"] == "amount"
    label = client.post("/v1/invoke", json={"module": "classify", "input": {"message": "hi"}}).json()
    bad_label = client.post(f"/v1/traces/{label['trace_id']}/corrections", json={"value": "not_an_intent"})
    assert bad_label.status_code == 422
    assert bad_label.json()["detail"]["field"] == "value"
    assert store.count_corrections("default", "app/ai.py::extract") == 0
    assert store.count_corrections("default", "app/ai.py::classify") == 0


def test_unknown_ids_are_404(client: httpx.Client) -> None:
    assert client.post("/v1/invoke", json={"module": "nope", "input": {}}).status_code == 404
    assert client.get("/v1/traces/nope").status_code == 404
    assert client.post("/v1/traces/nope/corrections", json={"value": "lost_card"}).status_code == 404


def test_bad_input_is_422(client: httpx.Client) -> None:
    assert client.post("/v1/invoke", json={"module": "classify", "input": {}}).status_code == 422


def test_metrics_exposes_calls(client: httpx.Client) -> None:
    client.post("/v1/invoke", json={"module": "classify", "input": {"message": "hi"}})
    text = client.get("/metrics").text
    assert re.search(
        r'agentforge_calls_total\{adapter="",model="[^"]+",module="app/ai.py::classify",rung="base",'
        r'workspace="default"\} 1.0',
        text,
    )
