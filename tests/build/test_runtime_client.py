"""The client the rewritten stubs call, against a real HTTP server on 127.0.0.1 (see conftest)."""

from __future__ import annotations

import asyncio
import logging
import time
from enum import StrEnum
from typing import Any

import pytest
from pydantic import BaseModel

from agentforge.runtime.client import AgentforgeClientError, acall_module, call_module

from .conftest import FakeRuntime


class Intent(StrEnum):
    LOST_CARD = "lost_card"
    BILLING = "billing"


class CaseDetails(BaseModel):
    name: str | None = None
    amount: float | None = None


def static_intent() -> Intent:
    return Intent.LOST_CARD


def test_output_is_cast_to_the_enum_and_the_request_is_documented(
    runtime: FakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTFORGE_API_KEY", "sk-test")
    runtime.reply = lambda body: (200, {"output": "billing", "trace_id": "t1"})
    result = call_module("a.py::classify", {"message": "refund?"}, returns=Intent, fallback=static_intent)
    assert result is Intent.BILLING
    [request] = runtime.requests
    assert request["path"] == "/v1/invoke"
    assert request["body"] == {"module": "a.py::classify", "input": {"message": "refund?"}}
    assert request["headers"]["Authorization"] == "Bearer sk-test"


def test_output_is_cast_to_a_pydantic_model_and_inputs_are_made_json(runtime: FakeRuntime) -> None:
    runtime.reply = lambda body: (200, {"output": {"name": "Ada", "amount": "12.5"}})
    inputs: dict[str, Any] = {"intent": Intent.BILLING, "case": CaseDetails(name="x")}
    result = call_module("a.py::extract", inputs, returns=CaseDetails, fallback=CaseDetails)
    assert result == CaseDetails(name="Ada", amount=12.5)
    assert runtime.requests[0]["body"]["input"] == {
        "intent": "billing",
        "case": {"name": "x", "amount": None},
    }


def test_returns_none_passes_the_output_through(runtime: FakeRuntime) -> None:
    runtime.reply = lambda body: (200, {"output": [1, "two"]})
    assert call_module("a.py::f", {}, returns=None, fallback=lambda: None) == [1, "two"]


def test_unreachable_runtime_falls_back_with_a_warning(dead_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="agentforge.client"):
        assert call_module("a.py::classify", {}, returns=Intent, fallback=static_intent) is Intent.LOST_CARD
    assert "a.py::classify falls back to its static value" in caplog.text


@pytest.mark.parametrize(
    ("status", "payload"),
    [
        (500, {"detail": "boom"}),
        (503, "overloaded"),
        (429, {"detail": "slow down"}),
        (200, {"output": "nope"}),
        (200, {"no": "output"}),
        (200, "not json"),
    ],
)
def test_server_failures_and_unusable_answers_fall_back(runtime: FakeRuntime, status: int, payload: Any) -> None:
    runtime.reply = lambda body: (status, payload)
    assert call_module("a.py::classify", {}, returns=Intent, fallback=static_intent) is Intent.LOST_CARD


def test_timeout_falls_back(runtime: FakeRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTFORGE_TIMEOUT", "0.2")

    def slow(body: dict[str, Any]) -> tuple[int, Any]:
        time.sleep(1.0)
        return 200, {"output": "billing"}

    runtime.reply = slow
    assert call_module("a.py::classify", {}, returns=Intent, fallback=static_intent) is Intent.LOST_CARD


@pytest.mark.parametrize(
    ("status", "payload", "message"),
    [
        (
            404,
            {"detail": "unknown module 'a.py::nope'"},
            "refused the call \\(404\\): unknown module 'a.py::nope'",
        ),
        (401, "bad key", "\\(401\\): bad key"),
        (422, {"error": "message is required"}, "message is required"),
    ],
)
def test_refused_calls_raise(runtime: FakeRuntime, status: int, payload: Any, message: str) -> None:
    runtime.reply = lambda body: (status, payload)
    with pytest.raises(AgentforgeClientError, match=message):
        call_module("a.py::nope", {}, returns=Intent, fallback=static_intent)


@pytest.mark.parametrize(("name", "value"), [("AGENTFORGE_URL", "localhost:8765"), ("AGENTFORGE_TIMEOUT", "soon")])
def test_misconfiguration_is_loud(runtime: FakeRuntime, monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(AgentforgeClientError, match=name):
        call_module("a.py::f", {}, returns=None, fallback=lambda: None)


def test_async_client_casts_and_falls_back(runtime: FakeRuntime) -> None:
    async def static() -> Intent:
        return Intent.LOST_CARD

    runtime.reply = lambda body: (200, {"output": "billing"})
    assert asyncio.run(acall_module("a.py::c", {"m": "x"}, returns=Intent, fallback=static)) is Intent.BILLING
    runtime.reply = lambda body: (502, "bad gateway")
    assert asyncio.run(acall_module("a.py::c", {"m": "x"}, returns=Intent, fallback=static)) is Intent.LOST_CARD
    runtime.reply = lambda body: (404, {"detail": "unknown module"})
    with pytest.raises(AgentforgeClientError, match="unknown module"):
        asyncio.run(acall_module("a.py::c", {}, returns=Intent, fallback=static))
