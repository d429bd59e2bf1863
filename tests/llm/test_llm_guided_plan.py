"""Which schemas guided decoding supports, and its pure helpers."""

from __future__ import annotations

import subprocess
import sys
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, Field

from agentforge.llm import ValuePlan, plan_schema
from agentforge.llm.guided import (
    ARRAY_MAX_ITEMS,
    finish_number,
    finish_string,
    number_complete,
    number_prefix_ok,
)


class Priority(Enum):
    LOW = "low"
    HIGH = "high"


class Ticket(BaseModel):
    priority: Priority
    urgent: bool
    summary: str
    note: str | None = None
    score: float = Field(ge=0, le=1)
    count: int
    kind: Literal["bug", "question"] | None = None


def test_pydantic_flat_model_is_planned() -> None:
    plan = plan_schema(Ticket.model_json_schema())
    assert plan is not None and plan.kind == "object"
    fields = dict(plan.fields)
    assert list(fields) == ["priority", "urgent", "summary", "note", "score", "count", "kind"]
    assert fields["priority"] == ValuePlan("choice", choices=("low", "high"))
    assert fields["urgent"].choices == (True, False)
    assert fields["summary"].kind == "string" and not fields["summary"].nullable
    assert fields["note"].kind == "string" and fields["note"].nullable
    assert (fields["score"].kind, fields["score"].minimum, fields["score"].maximum) == ("number", 0, 1)
    assert fields["count"].kind == "integer"
    assert fields["kind"].choices == ("bug", "question", None)


def test_other_shapes() -> None:
    nested = {
        "type": "object",
        "properties": {"a": {"type": "object", "properties": {"b": {"type": ["integer", "null"]}}}},
    }
    plan = plan_schema(nested)
    assert plan is not None
    inner = dict(plan.fields)["a"]
    assert inner.kind == "object" and dict(inner.fields)["b"].nullable
    assert plan_schema({"type": "string"}) == ValuePlan("string")
    assert plan_schema({"enum": ["x", "y"], "type": ["string", "null"]}) == ValuePlan(
        "choice", choices=("x", "y", None)
    )
    assert plan_schema({"const": 1}) == ValuePlan("choice", choices=(1,))
    assert plan_schema({"type": "null"}) == ValuePlan("choice", choices=(None,))


def test_arrays() -> None:
    strings = plan_schema({"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 4})
    assert strings == ValuePlan("array", items=ValuePlan("string", min_length=1), min_items=1, max_items=4)
    unbounded = plan_schema({"type": "array", "items": {"enum": ["a", "b"]}})
    assert unbounded == ValuePlan("array", items=ValuePlan("choice", choices=("a", "b")), max_items=ARRAY_MAX_ITEMS)
    nested = plan_schema(
        {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "integer", "minimum": 0}}}}
    )
    assert nested is not None and nested.fields[0][1].items == ValuePlan("integer", minimum=0)


def test_unsupported_schemas() -> None:
    unsupported: list[dict[str, Any]] = [
        {},
        {"type": "object", "properties": {"xs": {"type": "array"}}},
        {"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "string"}},
        {"type": "array", "items": {"type": "string"}, "minItems": 3, "maxItems": 2},
        {"type": ["array", "null"], "items": {"type": "string"}},
        {"type": ["string", "integer"]},
        {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        {"type": "object", "additionalProperties": {"type": "string"}},
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]},
        {"$ref": "https://example.com/x.json"},
    ]
    for schema in unsupported:
        assert plan_schema(schema) is None, schema


def test_number_helpers() -> None:
    assert number_prefix_ok(" ", integer=False, lead=" ")
    assert number_prefix_ok(" -3.", integer=False, lead=" ")
    assert not number_prefix_ok(" -3.", integer=True, lead=" ")
    assert not number_prefix_ok(" 3 4", integer=False, lead=" ")
    assert number_complete(" 12.5", integer=False, lead=" ")
    assert not number_complete(" 12.", integer=False, lead=" ")
    bounded = ValuePlan("number", minimum=0, maximum=1)
    assert finish_number(" 7", bounded) == 1
    assert finish_number(" 0.25", bounded) == 0.25
    assert finish_number(None, bounded) == 0
    assert finish_number(None, ValuePlan("integer", nullable=True)) is None
    assert finish_number(None, ValuePlan("integer", default=5, has_default=True)) == 5
    assert finish_number(" 3", ValuePlan("integer", exclusive_minimum=3)) == 4
    assert finish_number(" 1.5", ValuePlan("integer")) == 0  # not an integer: fallback
    assert finish_number(" 0", ValuePlan("number", exclusive_minimum=0)) > 0


def test_finish_string() -> None:
    assert finish_string("  two\nlines ", ValuePlan("string")) == "two lines"
    assert finish_string("abcdef", ValuePlan("string", max_length=3)) == "abc"
    assert finish_string("", ValuePlan("string", min_length=2)) == "__"


def test_import_does_not_load_torch() -> None:
    code = "import sys, agentforge.llm; print('torch' in sys.modules or 'transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
