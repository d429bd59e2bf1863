"""The fake models: schema-valid answers, recorded requests, adapters."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any, Literal

import jsonschema
import pytest
from pydantic import BaseModel, Field

from agentforge.errors import ModelError
from agentforge.llm import (
    FunctionModel,
    Message,
    Model,
    ModelRequest,
    ModelResponse,
    TestModel,
    minimal_instance,
    run_sync,
)


def _req(**kw: Any) -> ModelRequest:
    return ModelRequest(messages=[Message(role="user", content="hello there")], **kw)


class Color(Enum):
    RED = "red"
    GREEN = "green"


class Inner(BaseModel):
    label: Literal["x", "y"]
    weight: float = Field(gt=0, le=1)


class Outer(BaseModel):
    name: str = Field(min_length=3, max_length=5)
    color: Color
    maybe: str | None = None
    count: int = Field(ge=2, lt=10)
    inner: Inner
    tags: list[str] = Field(min_length=2)
    ids: list[int] = []
    email: str = Field(json_schema_extra={"format": "email"})


SCHEMAS: list[dict[str, Any]] = [
    {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
    {
        "type": "object",
        "properties": {"a": {"enum": ["p", "q"]}, "b": {"type": "integer"}},
        "required": ["a"],
    },
    {
        "type": "object",
        "properties": {"n": {"type": ["number", "null"], "exclusiveMinimum": 0}},
        "required": ["n"],
    },
    {"anyOf": [{"type": "null"}, {"type": "object", "properties": {"z": {"const": 3}}, "required": ["z"]}]},
    {"type": "array", "items": {"type": "boolean"}, "minItems": 3},
    {"type": "array", "items": {"type": "string"}, "minItems": 2, "uniqueItems": True},
    {"type": "string", "format": "date-time"},
    {"type": "number", "minimum": 5, "maximum": 7, "multipleOf": 2},
    {"type": "integer", "exclusiveMinimum": 2.5, "exclusiveMaximum": 10},
    {"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}]},
    {"type": "object", "minProperties": 1, "properties": {"o": {"type": "boolean"}}},
    {},
    Outer.model_json_schema(),
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=range(len(SCHEMAS)))
def test_minimal_instance_validates(schema: dict[str, Any]) -> None:
    jsonschema.validate(minimal_instance(schema), schema)


def test_test_model_json_schema_output_validates() -> None:
    model = TestModel()
    for schema in SCHEMAS:
        resp = run_sync(model.request(_req(json_schema=schema)))
        jsonschema.validate(json.loads(resp.text), schema)
        assert resp.model == "test"
    assert len(model.requests) == len(SCHEMAS)
    Outer.model_validate_json(run_sync(model.request(_req(json_schema=Outer.model_json_schema()))).text)


def test_test_model_choices_and_text() -> None:
    model = TestModel(choice="b")
    resp = run_sync(model.request(_req(choices=["a", "b", "c"])))
    assert resp.text == "b"
    assert resp.choice_scores == {"a": -1.0, "b": 0.0, "c": -1.0}
    assert run_sync(model.request(_req(choices=["x", "y"]))).text == "x"  # configured choice absent
    assert run_sync(model.request(_req())).text == "success (no tool calls)"
    assert TestModel(text="hi").text == "hi"
    assert run_sync(TestModel(json_output={"k": 1}).request(_req(json_schema={}))).text == '{"k": 1}'
    with pytest.raises(ModelError):
        run_sync(model.request(_req(choices=[])))


def test_fakes_are_models() -> None:
    assert isinstance(TestModel(), Model)
    assert isinstance(FunctionModel(lambda r: "x"), Model)


@pytest.mark.parametrize("make", [lambda: TestModel(), lambda: FunctionModel(lambda r: "ok")])
def test_fake_adapters(make: Any, tmp_path: Path) -> None:
    model = make()
    assert not model.has_adapter("a@1")
    with pytest.raises(ModelError):
        run_sync(model.request(_req(adapter="a@1")))
    model.load_adapter("a@1", tmp_path / "one")
    model.load_adapter("a@1", tmp_path / "two")  # a loaded name is a no-op
    assert model.has_adapter("a@1")
    assert model.adapters == {"a@1": tmp_path / "one"}
    resp = run_sync(model.request(_req(adapter="a@1")))
    assert resp.adapter == "a@1"
    assert [r.adapter for r in model.requests] == ["a@1", "a@1"]


def test_function_model() -> None:
    seen: list[ModelRequest] = []

    def fn(req: ModelRequest) -> str:
        seen.append(req)
        return req.messages[-1].content.upper()

    model = FunctionModel(fn)
    resp = run_sync(model.request(_req()))
    assert resp.text == "HELLO THERE"
    assert resp.model == "function"
    assert resp.completion_tokens == 2
    assert model.requests == seen

    picked = run_sync(FunctionModel(lambda r: "b").request(_req(choices=["a", "b"])))
    assert picked.choice_scores == {"a": -1.0, "b": 0.0}

    full = ModelResponse(text="t", model="custom", choice_scores={"t": 1.0})
    assert run_sync(FunctionModel(lambda r: full, name="f").request(_req())) is full

    async def afn(req: ModelRequest) -> str:
        return "async"

    assert run_sync(FunctionModel(afn).request(_req())).text == "async"

    def boom(req: ModelRequest) -> str:
        raise ModelError("down")

    with pytest.raises(ModelError, match="down"):
        run_sync(FunctionModel(boom).request(_req()))
