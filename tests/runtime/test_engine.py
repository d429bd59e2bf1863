"""Routing, validation with retries, static fallback and corrections, with fake models."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import generate_latest

from agentforge.artifacts import Canary, Route, Rung
from agentforge.errors import InvalidCorrectionError, InvalidInputError, NotFoundError
from agentforge.llm.base import ModelRequest, run_sync
from agentforge.llm.testing import FunctionModel, TestModel
from agentforge.runtime import Engine
from agentforge.runtime.engine import canary_bucket, pick_target
from agentforge.store import Store

from .conftest import INTENTS


def test_label_module_asks_with_the_label_set(app_store: Store) -> None:
    model = TestModel()
    engine = Engine(app_store, model)
    trace = run_sync(engine.invoke("classify", {"message": "my card is gone"}))
    assert trace.output in INTENTS
    assert model.requests[-1].choices == INTENTS
    assert trace.route.rung is Rung.BASE
    assert engine.get_trace(trace.id).output == trace.output


def test_invalid_json_is_retried_with_the_error_fed_back(app_store: Store) -> None:
    answers = iter(["not json", '{"amount": "lots"}', '{"amount": 12.5, "currency": "EUR"}'])
    seen: list[ModelRequest] = []

    def fn(req: ModelRequest) -> str:
        seen.append(req)
        return next(answers)

    trace = run_sync(Engine(app_store, FunctionModel(fn)).invoke("extract", {"message": "12.50 EUR"}))
    assert trace.output == {"amount": 12.5, "currency": "EUR"}
    assert trace.retries == 2
    assert "invalid" in seen[-1].messages[-1].content
    assert "amount" in seen[-1].messages[-1].content


def test_static_fallback_when_every_route_fails(app_store: Store) -> None:
    trace = run_sync(Engine(app_store, FunctionModel(lambda _: "nope")).invoke("extract", {"message": "x"}))
    assert trace.fallback_used
    assert trace.route.rung is Rung.STATIC
    assert trace.output == {"amount": 1.0, "currency": "EUR"}
    assert trace.error and "base" in trace.error


def test_unknown_module_and_bad_input(app_store: Store) -> None:
    engine = Engine(app_store, TestModel())
    with pytest.raises(NotFoundError):
        run_sync(engine.invoke("nope", {"message": "x"}))
    with pytest.raises(InvalidInputError, match="message"):
        run_sync(engine.invoke("classify", {}))


def test_correction_validated_against_the_output_schema(app_store: Store) -> None:
    engine = Engine(app_store, TestModel())
    trace = run_sync(engine.invoke("extract", {"message": "x"}))
    with pytest.raises(InvalidCorrectionError) as err:
        engine.correct(trace.id, {"amount": "twelve"})
    assert err.value.field == "amount"
    assert app_store.count_corrections("default", trace.module_id) == 0
    engine.correct(trace.id, {"amount": 12.0, "currency": None})
    assert [e.target for e in app_store.list_examples("default", trace.module_id)] == [
        {"amount": 12.0, "currency": None}
    ]
    with pytest.raises(NotFoundError):
        engine.correct("missing-trace", "lost_card")


def test_adapter_route_loads_the_adapter_and_falls_back_to_base(app_store: Store, tmp_path: Path) -> None:
    from agentforge.artifacts import AdapterVersion

    module = "app/ai.py::classify"
    app_store.add_adapter(AdapterVersion(name="classify@abc", module_id=module, base_model="fake", path=str(tmp_path)))
    app_store.set_route("default", module, Route(champion="classify@abc"))

    def fn(req: ModelRequest) -> str:
        return "card_declined" if req.adapter == "classify@abc" else "lost_card"

    model = FunctionModel(fn)
    engine = Engine(app_store, model)
    trace = run_sync(engine.invoke("classify", {"message": "x"}))
    assert (trace.output, trace.route.rung, trace.route.adapter) == (
        "card_declined",
        Rung.ADAPTER,
        "classify@abc",
    )
    assert model.has_adapter("classify@abc")

    app_store.set_route("default", module, Route(champion="classify@missing"))
    trace = run_sync(engine.invoke("classify", {"message": "x"}))
    assert (trace.output, trace.route.rung) == ("lost_card", Rung.BASE)
    assert trace.error and "classify@missing" in trace.error


def test_canary_is_sticky_per_request_id() -> None:
    route = Route(champion="base", canary=Canary(target="m@1", fraction=0.3))
    picks = [pick_target(route, f"req-{i}") for i in range(2000)]
    share = picks.count("m@1") / len(picks)
    assert 0.25 < share < 0.35
    assert all(pick_target(route, f"req-{i}") == picks[i] for i in range(50))
    assert pick_target(route, None) == "base"
    assert 0 <= canary_bucket("x") < 1


def test_metrics_count_calls_and_fallbacks(app_store: Store) -> None:
    engine = Engine(app_store, FunctionModel(lambda _: "nope"))
    run_sync(engine.invoke("extract", {"message": "x"}))

    text = generate_latest(engine.metrics.registry).decode()
    assert 'agentforge_static_fallbacks_total{adapter="",model="static",module="app/ai.py::extract"' in text


def test_route_falls_back_to_another_back_end_and_metrics_keep_routes_apart(app_store: Store) -> None:
    from agentforge.errors import ModelUnavailableError

    def down(_: ModelRequest) -> str:
        raise ModelUnavailableError("primary is down")

    module = "app/ai.py::draft"
    app_store.set_route("default", module, Route(champion="base", fallback=["backend:hosted", "static"]))
    hosted = FunctionModel(lambda _: "Sorry to hear that, here is what to do.", name="hosted")
    engine = Engine(app_store, FunctionModel(down, name="primary"), backends={"hosted": hosted})
    trace = run_sync(engine.invoke("draft", {"message": "card lost"}))
    assert (trace.route.model, trace.route.rung) == ("hosted", Rung.BASE)
    assert trace.output == "Sorry to hear that, here is what to do."
    assert trace.error is not None and "primary is down" in trace.error
    assert engine.route_targets(module) == [None]  # bridges follow the engine's own model only

    app_store.set_route("default", module, Route(champion="base", fallback=["backend:missing", "static"]))
    trace = run_sync(engine.invoke("draft", {"message": "card lost"}))
    assert trace.fallback_used and trace.error is not None and "no back end named 'missing'" in trace.error
    text = generate_latest(engine.metrics.registry).decode()
    assert 'agentforge_calls_total{adapter="",model="hosted",module="app/ai.py::draft",rung="base"' in text
    assert 'agentforge_calls_total{adapter="",model="static",module="app/ai.py::draft",rung="static"' in text
