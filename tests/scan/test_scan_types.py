"""Annotations become JSON Schema statically, across files, for every supported type form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from agentforge.artifacts import ModuleSpec, ScanResult
from agentforge.scan import scan_repo

from .conftest import FIXTURES

A = "shop/assistant.py::"
INTENT = {"type": "string", "title": "Intent", "enum": ["billing", "shipping", "other"]}
ADDRESS = {
    "type": "object",
    "title": "Address",
    "properties": {
        "street": {"type": "string"},
        "city": {"type": "string"},
        "zip_code": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
    },
    "required": ["street", "city"],
}


def output(shop_modules: dict[str, ModuleSpec], name: str) -> dict[str, Any]:
    return shop_modules[A + name].output_schema


def test_enums_carry_their_labels(shop_modules: dict[str, ModuleSpec]) -> None:
    assert output(shop_modules, "classify") == INTENT
    assert output(shop_modules, "urgency") == {"type": "integer", "title": "Priority", "enum": [1, 2]}
    tone = shop_modules[A + "draft_reply"].params[1]
    assert (tone.name, tone.annotation, tone.required) == ("tone", "Tone", False)
    assert tone.json_schema == {
        "type": "string",
        "title": "Tone",
        "enum": ["friendly", "formal"],
        "default": "friendly",
    }


def test_pydantic_model_fields_required_nested_optional_and_literal(
    shop_modules: dict[str, ModuleSpec],
) -> None:
    assert output(shop_modules, "extract_customer") == {
        "type": "object",
        "title": "Customer",
        "description": "Who wrote in.",
        "properties": {
            "name": {"type": "string", "description": "Full name"},
            "email": {"type": "string"},
            "intent": INTENT,
            "tags": {"type": "array", "items": {"type": "string"}},
            "address": {"anyOf": [ADDRESS, {"type": "null"}], "default": None},
            "tier": {
                "type": "string",
                "enum": ["free", "pro"],
                "description": "Billing plan.",
                "default": "free",
            },
        },
        "required": ["name", "email", "intent"],
    }


def test_recursive_model_stops_at_the_second_visit(shop_modules: dict[str, ModuleSpec]) -> None:
    thread = shop_modules[A + "summarize"].input_schema["properties"]["thread"]
    assert thread["properties"]["replies"]["items"] == {"type": "object", "title": "Thread"}
    assert thread["required"] == ["text"]


def test_dataclass_and_typeddicts(shop_modules: dict[str, ModuleSpec]) -> None:
    quote = output(shop_modules, "quote")
    assert quote["required"] == ["amount"]
    assert quote["properties"]["currency"] == {"type": "string", "default": "EUR"}
    assert output(shop_modules, "summarize") == {
        "type": "object",
        "title": "Summary",
        "properties": {
            "title": {"type": "string"},
            "bullets": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["title", "bullets"],
    }
    assert output(shop_modules, "review")["required"] == ["score"]


def test_literal_alias_union_and_collections(shop_modules: dict[str, ModuleSpec]) -> None:
    assert output(shop_modules, "sentiment") == {
        "type": "string",
        "enum": ["positive", "neutral", "negative"],
    }
    assert output(shop_modules, "answer") == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert output(shop_modules, "Assistant.languages") == {"type": "array", "items": {"type": "string"}}
    assert shop_modules[A + "translate"].params[1].json_schema == {
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "default": None,
    }


def test_input_schema_gathers_params_without_self(shop_modules: dict[str, ModuleSpec]) -> None:
    assert shop_modules[A + "Assistant.greet"].input_schema == {
        "type": "object",
        "properties": {"visitor": {"type": "string"}},
        "required": ["visitor"],
    }
    languages = shop_modules[A + "Assistant.languages"]  # a staticmethod has no bound first parameter
    assert [p.name for p in languages.params] == ["region"]
    score = shop_modules[A + "score_lead"].input_schema
    assert score["required"] == ["customer"]
    assert score["properties"]["signals"] == {"type": "array", "items": {"type": "string"}}
    assert score["properties"]["weights"] == {"type": "object", "additionalProperties": {"type": "number"}}
    draft = shop_modules[A + "draft_reply"].input_schema
    assert draft["properties"]["max_words"] == {"type": "integer", "default": 120}


def test_missing_annotations_give_empty_schemas_and_warnings() -> None:
    shop = scan_repo(FIXTURES / "shop", min_confidence=0.0)  # `unannotated` is below the default threshold
    module = next(m for m in shop.modules if m.name == "unannotated")
    assert module.output_schema == {} and module.output_annotation is None
    assert [p.json_schema for p in module.params] == [{}, {"default": 3}]
    messages = {w.message for w in shop.warnings if w.path == "shop/assistant.py" and "unannotated" in w.message}
    assert messages == {
        A + "unannotated: no return annotation; the output schema is empty",
        A + "unannotated: parameter `text` has no type annotation; its schema is empty",
        A + "unannotated: parameter `limit` has no type annotation; its schema is empty",
    }


def test_every_schema_is_valid_and_accepts_the_static_example(shop: ScanResult) -> None:
    for module in shop.modules:
        jsonschema.Draft202012Validator.check_schema(module.output_schema)
        jsonschema.Draft202012Validator.check_schema(module.input_schema)
        if module.static_example is not None:
            jsonschema.validate(module.static_example, module.output_schema)


@pytest.mark.parametrize(
    ("annotation", "schema", "warning"),
    [
        ("Any", {}, "`Any` gives no schema"),
        ("Unknown", {}, "the type `Unknown` is not defined in the repository"),
        ("Plain", {}, "the class `Plain` is not an enum, model, dataclass or TypedDict"),
        ("Callable[[int], str]", {}, "the type `Callable` is not defined in the repository"),
        (
            "tuple[int, str]",
            {
                "type": "array",
                "prefixItems": [{"type": "integer"}, {"type": "string"}],
                "minItems": 2,
                "maxItems": 2,
            },
            None,
        ),
        ("tuple[int, ...]", {"type": "array", "items": {"type": "integer"}}, None),
        ("set[str]", {"type": "array", "items": {"type": "string"}, "uniqueItems": True}, None),
        (
            "dict[str, list[int]]",
            {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "integer"}}},
            None,
        ),
        ("typing.Optional[int]", {"anyOf": [{"type": "integer"}, {"type": "null"}]}, None),
        (
            "Union[int, str, None]",
            {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]},
            None,
        ),
        ("int | str | None", {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]}, None),
        ("Annotated[int, 'meters']", {"type": "integer"}, None),
        ("'Color'", {"type": "string", "title": "Color", "enum": ["red", "green"]}, None),
        ("Literal[Color.RED, 3]", {"enum": ["red", 3]}, None),
        ("datetime", {"type": "string", "format": "date-time"}, None),
        ("Alias", {"type": "array", "items": {"type": "string"}}, None),
        ("Loop", {}, "the type `Loop` is not defined in the repository"),
        ("Pair", {"type": "array", "items": {"type": "integer"}}, None),
        (
            "list[int] | None",
            {"anyOf": [{"type": "array", "items": {"type": "integer"}}, {"type": "null"}]},
            None,
        ),
        (
            "Child",
            {
                "type": "object",
                "title": "Child",
                "properties": {"a": {"type": "integer"}, "b": {"type": "string", "default": "x"}},
                "required": ["a"],
            },
            None,
        ),
        ("Literal[-1, f'x']", {"type": "integer", "enum": [-1]}, "the Literal value `f'x'` cannot be read"),
        ("3", {}, "the type `3` cannot be read statically"),
        ("a().b[int]", {}, "the type `a().b[int]` cannot be read statically"),
        ('f"x"', {}, 'the annotation `f"x"` is not a plain string'),
        ('"list["', {}, "the forward reference 'list[' cannot be parsed"),
    ],
)
def test_annotation_forms(tmp_path: Path, annotation: str, schema: dict[str, Any], warning: str | None) -> None:
    (tmp_path / "app.py").write_text(
        "from enum import Enum\n"
        "from pydantic import BaseModel\n"
        "class Color(Enum):\n    RED = 'red'\n    GREEN = 'green'\n"
        "class Plain:\n    pass\n"
        "Alias = list[str]\n"
        "Loop = Loop | None\n"
        "type Pair = tuple[int, ...]\n"
        "class Base(BaseModel):\n    a: int\n"
        "class Child(Base):\n    b: str = 'x'\n"
        f"def summarize(text: str) -> {annotation}:\n    ...\n"
    )
    result = scan_repo(tmp_path)
    assert result.modules[0].output_schema == schema
    messages = [w.message for w in result.warnings]
    if warning is None:
        assert messages == []
    else:
        assert len(messages) == 1 and warning in messages[0]
