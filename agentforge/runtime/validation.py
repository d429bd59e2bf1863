"""Check values against a module's output schema, and say which field is wrong."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from agentforge.artifacts import JsonSchema
from agentforge.catalog import KindSpec
from agentforge.errors import InvalidCorrectionError, OutputValidationError


def schema_errors(schema: JsonSchema, value: Any) -> list[SchemaError]:
    return sorted(Draft202012Validator(schema).iter_errors(value), key=lambda e: list(e.path))


def fits(schema: JsonSchema) -> Callable[[Any], bool]:
    """Whether a value fits `schema` (an empty schema admits anything), one validator for many values and each
    distinct value checked once: a vote weighs hundreds of stored answers of a few distinct values."""
    if not schema:
        return lambda value: True
    validator = Draft202012Validator(schema)
    seen: dict[str, bool] = {}

    def check(value: Any) -> bool:
        key = json.dumps(value, sort_keys=True, default=str)
        if key not in seen:
            seen[key] = validator.is_valid(value)
        return seen[key]

    return check


def field_of(error: SchemaError) -> str:
    """`value` for the whole output, else the dotted path of the offending field."""
    if error.validator == "required" and isinstance(error.validator_value, list):
        missing = [f for f in error.validator_value if isinstance(error.instance, dict) and f not in error.instance]
        if missing:
            return ".".join([*(str(p) for p in error.path), missing[0]])
    return ".".join(str(p) for p in error.path) or "value"


def check_correction(schema: JsonSchema, value: Any) -> None:
    errors = schema_errors(schema, value)
    if errors:
        err = errors[0]
        field = field_of(err)
        raise InvalidCorrectionError(f"correction does not fit the output schema at {field!r}: {err.message}", field)


def parse_output(kind: KindSpec, schema: JsonSchema, text: str) -> Any:
    """Turn model text into a value of the module's output type, or raise `OutputValidationError`."""
    raw = text.strip()
    value: Any
    if kind.output == "json":
        start, end = raw.find("{"), raw.rfind("}")
        candidate = raw[start : end + 1] if start != -1 and end > start else raw
        try:
            value = json.loads(candidate)
        except json.JSONDecodeError as exc:
            raise OutputValidationError(f"the answer is not valid JSON: {exc.msg}") from exc
    elif kind.output == "number":
        try:
            value = float(raw.split()[0]) if raw else None
        except ValueError as exc:
            raise OutputValidationError(f"the answer is not a number: {raw[:40]!r}") from exc
        if schema.get("type") == "integer" and value is not None:
            value = round(value)
    else:
        value = raw
        if kind.output == "text" and not raw:
            raise OutputValidationError("the answer is empty")
    errors = schema_errors(schema, value)
    if errors:
        raise OutputValidationError(f"{field_of(errors[0])}: {errors[0].message}")
    return value
