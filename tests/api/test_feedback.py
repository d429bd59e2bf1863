"""Feedback kinds over real HTTP (correction, rating, field edit), on SQLite and PostgreSQL, with a fake model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from agentforge.api import create_app
from agentforge.artifacts import FeedbackKind, RouteTaken, Trace
from agentforge.learn.dataset import dedupe_counted
from agentforge.llm.testing import TestModel
from agentforge.runtime import Engine
from agentforge.runtime.host import BackgroundServer
from agentforge.store import Store

from ..runtime.conftest import make_manifest

EXTRACT, CLASSIFY = "app/ai.py::extract", "app/ai.py::classify"


@pytest.fixture
def client(store: Store) -> Iterator[httpx.Client]:
    store.save_manifest(make_manifest())
    with (
        BackgroundServer(create_app(Engine(store, TestModel()))) as server,
        httpx.Client(base_url=server.url) as c,
    ):
        yield c


def _call(client: httpx.Client, module: str, message: str = "hi") -> dict[str, Any]:
    body = client.post("/v1/invoke", json={"module": module, "input": {"message": message}})
    assert body.status_code == 200, body.text
    result: dict[str, Any] = body.json()
    return result


def _feedback(client: httpx.Client, trace_id: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(f"/v1/traces/{trace_id}/corrections", json=body)


def test_an_up_rating_makes_the_output_an_example_tied_to_its_route(client: httpx.Client, store: Store) -> None:
    call = _call(client, "classify")
    ok = _feedback(client, call["trace_id"], {"rating": "up"})
    assert ok.status_code == 201, ok.text
    assert ok.json()["kind"] == "rating" and ok.json()["value"] == call["output"]
    assert ok.json()["route"] == {"model": call["model"], "adapter": None, "rung": "base", "examples": []}
    [example] = store.list_examples("default", CLASSIFY)
    assert (example.target, example.feedback) == (call["output"], FeedbackKind.RATING)


def test_a_field_edit_corrects_one_field_of_the_output(client: httpx.Client, store: Store) -> None:
    call = _call(client, "extract")
    edits = [{"path": "/amount", "value": 12.5}, {"path": "/currency", "value": "USD"}]
    ok = _feedback(client, call["trace_id"], {"edits": edits})
    assert ok.status_code == 201, ok.text
    assert ok.json()["value"] == {**call["output"], "amount": 12.5, "currency": "USD"}
    [example] = store.list_examples("default", EXTRACT)
    assert example.target == {**call["output"], "amount": 12.5, "currency": "USD"}
    assert (example.model_output, example.feedback) == (call["output"], FeedbackKind.EDIT)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"edits": [{"path": "/amount", "value": "lots"}]}, "amount"),  # the edited output breaks the schema
        ({"edits": [{"path": "/nope", "value": 1}]}, "/nope"),  # no such field
        ({"edits": [{"path": "amount", "value": 1}]}, "amount"),  # not a JSON pointer
    ],
)
def test_a_bad_edit_is_422_and_stores_nothing(
    client: httpx.Client, store: Store, body: dict[str, Any], field: str
) -> None:
    call = _call(client, "extract")
    bad = _feedback(client, call["trace_id"], body)
    assert bad.status_code == 422, bad.text
    assert bad.json()["detail"]["field"] == field
    assert store.count_corrections("default", EXTRACT) == 0


@pytest.mark.parametrize("body", [{}, {"value": "lost_card", "rating": "up"}, {"rating": "sideways"}, {"edits": []}])
def test_a_body_of_no_single_shape_is_422(client: httpx.Client, store: Store, body: dict[str, Any]) -> None:
    call = _call(client, "classify")
    assert _feedback(client, call["trace_id"], body).status_code == 422
    assert store.count_corrections("default", CLASSIFY) == 0


def test_rating_a_trace_without_output_is_422(client: httpx.Client, store: Store) -> None:
    trace = Trace(module_id=CLASSIFY, input={"message": "hi"}, output=None, route=RouteTaken(model="fake"))
    store.add_trace(trace)
    bad = _feedback(client, trace.id, {"rating": "down"})
    assert bad.status_code == 422 and "has no output" in bad.json()["detail"]["message"]
    assert store.count_corrections("default", CLASSIFY) == 0


def test_down_ratings_are_preference_data_and_the_latest_correction_wins(client: httpx.Client, store: Store) -> None:
    rated = _call(client, "classify", "where is my card")
    assert _feedback(client, rated["trace_id"], {"rating": "down"}).status_code == 201
    assert store.list_examples("default", CLASSIFY) == []  # a down-rating alone has no target

    first = _call(client, "classify", "where is my card")
    second = _call(client, "classify", "where is my card")
    assert _feedback(client, first["trace_id"], {"value": "card_declined"}).status_code == 201
    assert _feedback(client, second["trace_id"], {"value": "lost_card"}).status_code == 201
    assert _feedback(client, first["trace_id"], {"value": "refund_request"}).status_code == 201  # re-corrected, latest

    examples = store.list_examples("default", CLASSIFY)
    kept, counts = dedupe_counted(examples)
    assert [e.target for e in kept] == ["refund_request"]
    assert (counts.duplicates, counts.contradictions) == (0, 1)
    assert all(e.rejected == ([rated["output"]] if rated["output"] != e.target else []) for e in examples)
