"""Plans for guided JSON decoding: which JSON Schemas the local model can fill field by field.

Pure Python (no torch), so it is cheap to import and to test. `plan_schema` turns a schema into a
`ValuePlan` tree, or `None` when the schema is outside what guided decoding supports (free-form objects,
tuples, unions of different types, ...); the local model then generates freely and the caller validates.

Supported, at any nesting depth of objects:
- `enum`, `const`, `boolean`, `null`, and unions of those: chosen by scoring every candidate;
- `string` (with `minLength`/`maxLength`; `pattern` and `format` are not enforced);
- `number` / `integer` (with `minimum`/`maximum` and their exclusive forms, by clamping);
- any of the above made nullable by `"type": [..., "null"]` or `anyOf`/`oneOf` with `{"type": "null"}`;
- objects with `properties` (every property is written, in schema order);
- arrays with one `items` schema, `minItems`/`maxItems` (at most `ARRAY_MAX_ITEMS` items when no bound is
  given); string items are never empty, since an empty string in a list carries nothing;
- local `$ref`s (`#/$defs/...`, `#/definitions/...`) and single-element `allOf` (as pydantic emits them).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from agentforge.artifacts import JsonSchema

Kind = Literal["choice", "string", "number", "integer", "object", "array"]

_SCALAR_TYPES = {"string", "number", "integer", "boolean", "null", "object", "array"}
ARRAY_MAX_ITEMS = 8
"""How many items a guided array may hold when its schema sets no `maxItems`: small models rarely stop."""


@dataclass(frozen=True)
class ValuePlan:
    """How to write one JSON value."""

    kind: Kind
    nullable: bool = False
    choices: tuple[Any, ...] = ()
    """For `choice`: the candidate JSON values (`None` is `null`)."""
    fields: tuple[tuple[str, ValuePlan], ...] = ()
    """For `object`: the properties, in schema order."""
    items: ValuePlan | None = None
    """For `array`: how to write each item."""
    min_items: int = 0
    max_items: int = ARRAY_MAX_ITEMS
    min_length: int = 0
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    default: Any = field(default=None, compare=False)
    has_default: bool = False

    def candidates_json(self) -> list[str]:
        """The `choice` candidates as JSON text (`ensure_ascii=False`, like the training targets)."""
        return [dump_json(c) for c in self.choices]


def dump_json(value: Any) -> str:
    """JSON text exactly as the training targets are written (`json.dumps(value, ensure_ascii=False)`)."""
    return json.dumps(value, ensure_ascii=False)


def plan_schema(schema: JsonSchema) -> ValuePlan | None:
    """The guided-decoding plan of `schema`, or `None` when guided decoding does not support it."""
    if not isinstance(schema, dict):
        return None
    try:
        return _plan(schema, schema, depth=0)
    except _Unsupported:
        return None


class _Unsupported(Exception):
    pass


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema:
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise _Unsupported
        node: Any = root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                raise _Unsupported
            node = node[part]
        if not isinstance(node, dict):
            raise _Unsupported
        # keywords next to a $ref (draft 2019+) refine it; keep them
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
        seen += 1
        if seen > 32:
            raise _Unsupported
    all_of = schema.get("allOf")
    if all_of is not None:
        if not isinstance(all_of, list) or len(all_of) != 1 or not isinstance(all_of[0], dict):
            raise _Unsupported
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        return _resolve({**_resolve(all_of[0], root), **rest}, root)
    return schema


def _plan(schema: Any, root: dict[str, Any], depth: int) -> ValuePlan:
    if depth > 8 or not isinstance(schema, dict):
        raise _Unsupported
    schema = _resolve(schema, root)
    default_kw: dict[str, Any] = {"default": schema["default"], "has_default": True} if "default" in schema else {}

    if "const" in schema:
        return ValuePlan("choice", choices=(schema["const"],))
    if "enum" in schema:
        values = schema["enum"]
        if not isinstance(values, list) or not values:
            raise _Unsupported
        types = schema.get("type")
        nullable = types == "null" or (isinstance(types, list) and "null" in types)
        choices = tuple(_dedupe([*values, None] if nullable and None not in values else values))
        return ValuePlan("choice", choices=choices, **default_kw)

    for key in ("anyOf", "oneOf"):
        if key in schema:
            return _plan_union(schema[key], root, depth, default_kw)

    types = schema.get("type")
    if types is None:
        if "properties" in schema:
            types = "object"
        else:
            raise _Unsupported  # anything goes: leave it to free generation
    if isinstance(types, str):
        types = [types]
    if not isinstance(types, list) or not types or any(t not in _SCALAR_TYPES for t in types):
        raise _Unsupported
    nullable = "null" in types
    rest = [t for t in types if t != "null"]
    if not rest:
        return ValuePlan("choice", choices=(None,))
    if len(rest) == 1 and rest[0] == "boolean":
        return ValuePlan("choice", choices=(True, False, None) if nullable else (True, False), **default_kw)
    if len(rest) != 1:
        raise _Unsupported
    kind = rest[0]
    if kind == "string":
        max_length = schema.get("maxLength")
        return ValuePlan(
            "string",
            nullable=nullable,
            min_length=int(schema.get("minLength", 0)),
            max_length=int(max_length) if max_length is not None else None,
            **default_kw,
        )
    if kind in ("number", "integer"):
        return ValuePlan(
            "number" if kind == "number" else "integer",
            nullable=nullable,
            minimum=_num(schema.get("minimum")),
            maximum=_num(schema.get("maximum")),
            exclusive_minimum=_num(schema.get("exclusiveMinimum")),
            exclusive_maximum=_num(schema.get("exclusiveMaximum")),
            **default_kw,
        )
    if nullable:
        raise _Unsupported
    if kind == "array":
        return _plan_array(schema, root, depth)
    # object
    props = schema.get("properties", {})
    if not isinstance(props, dict):
        raise _Unsupported
    required = schema.get("required", [])
    if not isinstance(required, list) or any(r not in props for r in required):
        raise _Unsupported
    if not props and schema.get("additionalProperties") not in (False, None):
        raise _Unsupported  # a free-form mapping
    fields = tuple((str(name), _plan(sub, root, depth + 1)) for name, sub in props.items())
    return ValuePlan("object", fields=fields)


def _plan_array(schema: dict[str, Any], root: dict[str, Any], depth: int) -> ValuePlan:
    items = schema.get("items")
    if not isinstance(items, dict) or "prefixItems" in schema:
        raise _Unsupported  # tuples and untyped lists are left to free generation
    item = _plan(items, root, depth + 1)
    if item.kind == "string" and item.min_length == 0:
        item = replace(item, min_length=1)
    min_items = int(schema.get("minItems", 0))
    max_items = schema.get("maxItems")
    maximum = int(max_items) if max_items is not None else max(ARRAY_MAX_ITEMS, min_items)
    if maximum < min_items:
        raise _Unsupported
    return ValuePlan("array", items=item, min_items=min_items, max_items=maximum)


def _plan_union(members: Any, root: dict[str, Any], depth: int, default_kw: dict[str, Any]) -> ValuePlan:
    if not isinstance(members, list) or not members:
        raise _Unsupported
    plans = [_plan(m, root, depth + 1) for m in members]
    is_null = [p.kind == "choice" and p.choices == (None,) for p in plans]
    nullable = any(is_null)
    others = [p for p, n in zip(plans, is_null, strict=True) if not n]
    if not others:
        return ValuePlan("choice", choices=(None,))
    if all(p.kind == "choice" for p in others):
        values = [c for p in others for c in p.choices]
        if nullable:
            values.append(None)
        return ValuePlan("choice", choices=tuple(_dedupe(values)), **default_kw)
    if len(others) != 1:
        raise _Unsupported
    only = others[0]
    if not nullable:
        return only
    if only.kind in ("object", "array"):
        raise _Unsupported
    return replace(only, nullable=True, **default_kw)


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v)


def _dedupe(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    seen: set[str] = set()
    for v in values:
        key = json.dumps(v, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


# --- numbers -----------------------------------------------------------------------------------------

_NUMBER_PREFIX = re.compile(r"-?\d*(\.\d*)?")
_INTEGER_PREFIX = re.compile(r"-?\d*")
_NUMBER_FULL = re.compile(r"-?\d+(\.\d+)?")
_INTEGER_FULL = re.compile(r"-?\d+")


def number_prefix_ok(text: str, integer: bool, lead: str) -> bool:
    """Whether `text` (generated after the key's colon) can still grow into `lead` + a JSON-ish number."""
    body = _strip_lead(text, lead)
    if body is None:
        return False
    return (_INTEGER_PREFIX if integer else _NUMBER_PREFIX).fullmatch(body) is not None


def number_complete(text: str, integer: bool, lead: str) -> bool:
    body = _strip_lead(text, lead)
    return body is not None and (_INTEGER_FULL if integer else _NUMBER_FULL).fullmatch(body) is not None


def _strip_lead(text: str, lead: str) -> str | None:
    if lead and text.startswith(lead):
        text = text[len(lead) :]
    return None if any(c.isspace() for c in text) else text


def finish_number(text: str | None, plan: ValuePlan) -> Any:
    """The value of a generated number, clamped into the plan's bounds; a fallback when there is none."""
    value: float | int | None = None
    if text is not None:
        body = text.strip()
        try:
            value = int(body) if plan.kind == "integer" or "." not in body else float(body)
        except ValueError:
            value = None
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        if plan.nullable:
            return None
        if plan.has_default and _number_ok(plan.default, plan):
            return plan.default
        value = 0
    return _clamp(value, plan)


def _number_ok(v: Any, plan: ValuePlan) -> bool:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    if plan.kind == "integer" and not (isinstance(v, int) or float(v).is_integer()):
        return False
    return _clamp(v, plan) == v


def _clamp(value: float | int, plan: ValuePlan) -> float | int:
    integer = plan.kind == "integer"
    lo, hi = plan.minimum, plan.maximum
    if plan.exclusive_minimum is not None:
        ex = plan.exclusive_minimum
        step = math.floor(ex) + 1 if integer else math.nextafter(ex, math.inf)
        lo = step if lo is None else max(lo, step)
    if plan.exclusive_maximum is not None:
        ex = plan.exclusive_maximum
        step = math.ceil(ex) - 1 if integer else math.nextafter(ex, -math.inf)
        hi = step if hi is None else min(hi, step)
    if lo is not None and value < lo:
        value = lo
    if hi is not None and value > hi:
        value = hi
    if integer:
        if lo is not None and value == lo:
            value = math.ceil(lo)
        elif hi is not None and value == hi:
            value = math.floor(hi)
        return int(value)
    return value


# --- strings -----------------------------------------------------------------------------------------


def finish_string(raw: str, plan: ValuePlan) -> str:
    """The value of a generated string: one line, trimmed, cut to `maxLength`, padded to `minLength`."""
    text = raw.replace("\r", " ").replace("\n", " ")
    stripped = text.strip()
    if len(stripped) >= plan.min_length:
        text = stripped
    if plan.max_length is not None:
        text = text[: plan.max_length]
    if len(text) < plan.min_length:
        text = text + "_" * (plan.min_length - len(text))
    return text
