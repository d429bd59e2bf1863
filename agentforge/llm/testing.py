"""Fake models for testing orchestration without torch (after pydantic-ai's `FunctionModel`/`TestModel`).

- `TestModel` answers every request with schema-valid output and no intelligence: the first (or a configured)
  choice, a minimal instance of the JSON schema, or a fixed text.
- `FunctionModel` answers with whatever a function of the request returns.

Both record the requests they received (`.requests`), keep adapters by name like `LocalModel` (loading a name
twice is a no-op; a request for an adapter that was never loaded raises `ModelError`), and never sleep.
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from agentforge.artifacts import JsonSchema
from agentforge.errors import ModelError
from agentforge.llm.base import ModelRequest, ModelResponse

DEFAULT_TEXT = "success (no tool calls)"

FunctionResult = str | ModelResponse
ModelFunction = Callable[[ModelRequest], FunctionResult | Awaitable[FunctionResult]]


class _FakeModel:
    """What both fakes share: a name, the recorded requests, the resident adapters."""

    def __init__(self, name: str, *, keep_requests: bool = True) -> None:
        self._name = name
        self.keep_requests = keep_requests
        """False for long runs (a benchmark): the list would grow with every call, and so would each pause of
        the garbage collector."""
        self.requests: list[ModelRequest] = []
        self.adapters: dict[str, Path] = {}
        """Loaded adapters: name → the path it was first loaded from."""

    @property
    def name(self) -> str:
        return self._name

    def load_adapter(self, name: str, path: Path) -> None:
        self.adapters.setdefault(name, Path(path))

    def has_adapter(self, name: str) -> bool:
        return name in self.adapters

    def _receive(self, req: ModelRequest) -> None:
        if self.keep_requests:
            self.requests.append(req)
        if req.adapter is not None and req.adapter not in self.adapters:
            raise ModelError(f"adapter {req.adapter!r} is not loaded in model {self._name}")

    def _response(self, req: ModelRequest, text: str, scores: dict[str, float] | None) -> ModelResponse:
        return ModelResponse(
            text=text,
            model=self._name,
            adapter=req.adapter,
            prompt_tokens=sum(len(m.content.split()) for m in req.messages),
            completion_tokens=len(text.split()),
            latency_ms=0.0,
            choice_scores=scores,
        )


class TestModel(_FakeModel):
    """Schema-valid answers without a model.

    - `choices`: `choice` when it is one of them, else the first; `choice_scores` is 0.0 for the answer and
      -1.0 for every other label.
    - `json_schema`: `json_output` (dumped as JSON) when given, else `minimal_instance(schema)`.
    - otherwise: `text`.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        name: str = "test",
        *,
        text: str = DEFAULT_TEXT,
        choice: str | None = None,
        json_output: Any = None,
        keep_requests: bool = True,
    ) -> None:
        super().__init__(name, keep_requests=keep_requests)
        self.text = text
        self.choice = choice
        self.json_output = json_output

    async def request(self, req: ModelRequest) -> ModelResponse:
        self._receive(req)
        if req.choices is not None:
            if not req.choices:
                raise ModelError("choices is empty")
            answer = self.choice if self.choice in req.choices else req.choices[0]
            scores = {label: (0.0 if label == answer else -1.0) for label in req.choices}
            return self._response(req, answer, scores)
        if req.json_schema is not None:
            value = self.json_output if self.json_output is not None else minimal_instance(req.json_schema)
            return self._response(req, json.dumps(value, ensure_ascii=False), None)
        return self._response(req, self.text, None)


class FunctionModel(_FakeModel):
    """Answers with `fn(request)`: a text, or a whole `ModelResponse`; `fn` may be sync or async.

    A text answer to a request with `choices` gets `choice_scores` of 0.0 for that text (when it is a label)
    and -1.0 for the other labels. Exceptions raised by `fn` propagate (use it to simulate failures).
    """

    def __init__(self, fn: ModelFunction, name: str = "function") -> None:
        super().__init__(name)
        self.fn = fn

    async def request(self, req: ModelRequest) -> ModelResponse:
        self._receive(req)
        result = self.fn(req)
        if inspect.isawaitable(result):
            result = await result
        if isinstance(result, ModelResponse):
            return result
        if not isinstance(result, str):
            raise TypeError(f"FunctionModel function returned {type(result).__name__}, not str/ModelResponse")
        scores = None
        if req.choices is not None:
            scores = {label: (0.0 if label == result else -1.0) for label in req.choices}
        return self._response(req, result, scores)


# --- minimal instances of a JSON Schema -----------------------------------------------------------------

_FORMAT_EXAMPLES = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00Z",
    "email": "a@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "ipv4": "127.0.0.1",
}


def minimal_instance(schema: JsonSchema) -> Any:
    """A small value valid against `schema`: first enum value / const, strings of "a", numbers 0 (moved into
    bounds), `false`, required properties only, arrays of `minItems` items; `anyOf`/`oneOf` take their first
    non-null branch, local `$ref`s are followed. `pattern` is not honoured."""
    return _instance(schema, schema, 0)


def _resolve(schema: Any, root: JsonSchema) -> Any:
    for _ in range(32):
        if not isinstance(schema, dict) or "$ref" not in schema:
            break
        ref = schema["$ref"]
        node: Any = root
        if isinstance(ref, str) and ref.startswith("#"):
            for part in [p for p in ref[1:].split("/") if p]:
                node = node.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(node, dict) else {}
        else:
            node = {}
        schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
    if isinstance(schema, dict) and isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            resolved = _resolve(part, root)
            if isinstance(resolved, dict):
                for key, value in resolved.items():
                    if key == "properties" and "properties" in merged:
                        merged["properties"] = {**merged["properties"], **value}
                    elif key == "required" and "required" in merged:
                        merged["required"] = [*merged["required"], *value]
                    else:
                        merged.setdefault(key, value)
        schema = merged
    return schema


def _instance(schema: Any, root: JsonSchema, depth: int) -> Any:
    if schema is True or schema is None:
        return "a"
    if not isinstance(schema, dict) or depth > 32:
        return None
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            non_null = [b for b in branches if not (isinstance(b, dict) and _resolve(b, root).get("type") == "null")]
            extra = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
            branch = non_null[0] if non_null else branches[0]
            return _instance({**extra, **_resolve(branch, root)}, root, depth + 1)
    types = schema.get("type")
    if isinstance(types, list):
        non_null = [t for t in types if t != "null"]
        types = non_null[0] if non_null else "null"
    if types is None:
        if "properties" in schema or "required" in schema:
            types = "object"
        elif "items" in schema or "prefixItems" in schema:
            types = "array"
        else:
            return "a"
    if types == "null":
        return None
    if types == "boolean":
        return False
    if types in ("integer", "number"):
        return _number(schema, integer=types == "integer")
    if types == "string":
        return _string(schema)
    if types == "array":
        return _array(schema, root, depth)
    if types == "object":
        return _object(schema, root, depth)
    return None


def _number(schema: dict[str, Any], integer: bool) -> int | float:
    value: float = 0
    lo = schema.get("minimum")
    hi = schema.get("maximum")
    ex_lo = schema.get("exclusiveMinimum")
    ex_hi = schema.get("exclusiveMaximum")
    if lo is not None and value < lo:
        value = lo
    if ex_lo is not None and value <= ex_lo:
        value = ex_lo + 1 if integer or ex_hi is None or ex_hi - ex_lo > 1 else (ex_lo + ex_hi) / 2
    if hi is not None and value > hi:
        value = hi
    if ex_hi is not None and value >= ex_hi:
        value = ex_hi - 1 if integer or ex_lo is None or ex_hi - ex_lo > 1 else (ex_lo + ex_hi) / 2
    multiple = schema.get("multipleOf")
    if multiple:
        value = -(-value // multiple) * multiple  # round up to a multiple, staying above the minimum
    if integer:
        return math.ceil(value)
    return value


def _string(schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in _FORMAT_EXAMPLES:
        return _FORMAT_EXAMPLES[fmt]
    size = max(int(schema.get("minLength", 0)), 1)
    max_length = schema.get("maxLength")
    if max_length is not None:
        size = min(size, int(max_length))
    return "a" * size


def _array(schema: dict[str, Any], root: JsonSchema, depth: int) -> list[Any]:
    prefix = schema.get("prefixItems")
    items = schema.get("items", {})
    count = int(schema.get("minItems", 0))
    out: list[Any] = []
    if isinstance(prefix, list):
        out = [_instance(s, root, depth + 1) for s in prefix[: max(count, 0)]]
    while len(out) < count:
        out.append(_instance(items, root, depth + 1))
    if schema.get("uniqueItems") and len(out) > 1:
        unique: list[Any] = []
        for i, v in enumerate(out):
            unique.append(v if v not in unique else _distinct(v, i))
        out = unique
    return out


def _distinct(value: Any, i: int) -> Any:
    if isinstance(value, str):
        return value + str(i)
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + i
    return value


def _object(schema: dict[str, Any], root: JsonSchema, depth: int) -> dict[str, Any]:
    props = schema.get("properties", {}) if isinstance(schema.get("properties"), dict) else {}
    required = [r for r in schema.get("required", []) if isinstance(r, str)]
    names = list(required)
    min_props = int(schema.get("minProperties", 0))
    for name in props:
        if len(names) >= min_props:
            break
        if name not in names:
            names.append(name)
    out: dict[str, Any] = {}
    for name in names:
        sub = props.get(name, schema.get("additionalProperties", {}))
        out[name] = _instance(sub if sub is not False else {}, root, depth + 1)
    return out
