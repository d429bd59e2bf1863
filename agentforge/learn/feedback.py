"""User feedback on a trace: a full corrected output, a rating (up/down), or field-level edits.

Each kind becomes one `Correction` tied to the trace and to the route that produced its output, and is
checked against the module's output schema first: an invalid correction, an edit whose path does not exist
or whose result does not fit the schema, or a rating of a trace without an output raises
`InvalidCorrectionError` (HTTP 422) and nothing is stored.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from agentforge.artifacts import Correction, FeedbackKind, FieldEdit, JsonSchema, ModuleSpec, Trace
from agentforge.errors import InvalidCorrectionError
from agentforge.runtime import Engine
from agentforge.runtime.validation import check_correction

__all__ = ["Feedback", "apply_edits", "make_feedback", "submit_feedback"]


class Feedback(BaseModel):
    """One of three shapes: `{"value": ...}`, `{"rating": "up" | "down"}` or `{"edits": [{"path", "value"}]}`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    value: Any = None
    """The output the module should have given (a full correction; `null` is a value when given)."""
    rating: Literal["up", "down"] | None = None
    edits: list[FieldEdit] | None = None
    """JSON-pointer edits applied, in order, to the trace's output."""

    @model_validator(mode="after")
    def _one_shape(self) -> Feedback:
        given = [f for f in ("value", "rating", "edits") if f in self.model_fields_set]
        if len(given) != 1:
            raise ValueError(f"give exactly one of value, rating or edits (got {', '.join(given) or 'none'})")
        if self.edits is not None and not self.edits:
            raise ValueError("edits is empty")
        return self

    @property
    def kind(self) -> FeedbackKind:
        if "rating" in self.model_fields_set:
            return FeedbackKind.RATING
        return FeedbackKind.EDIT if "edits" in self.model_fields_set else FeedbackKind.CORRECTION


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise InvalidCorrectionError(f"edit path {path!r} is not a JSON pointer (it must start with '/')", path)
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _declared(schema: JsonSchema, parts: list[str]) -> bool:
    """Whether the output schema declares the field at `parts` (object properties, array items)."""
    for part in parts:
        properties = schema.get("properties")
        if isinstance(properties, dict) and part in properties:
            schema = properties[part]
        elif isinstance(schema.get("items"), dict) and part.isdigit():
            schema = schema["items"]
        else:
            return False
    return True


def apply_edits(output: Any, edits: list[FieldEdit], schema: JsonSchema) -> Any:
    """The output with each edit's value at its path.

    A path must name a field or item that exists in the output, or a field the output schema declares
    (an optional field the model left out) in an object that exists.
    """
    result = copy.deepcopy(output)
    for edit in edits:
        parts = _pointer(edit.path)
        if not parts:
            result = copy.deepcopy(edit.value)
            continue
        parent = result
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            key: str | int
            if isinstance(parent, dict) and (part in parent or (last and _declared(schema, parts))):
                key = part
            elif isinstance(parent, list) and part.isdigit() and int(part) < len(parent):
                key = int(part)
            else:
                where = "/" + "/".join(parts[: depth + 1])
                raise InvalidCorrectionError(f"edit path {edit.path!r}: {where!r} does not exist in the output", where)
            if last:
                parent[key] = copy.deepcopy(edit.value)
            else:
                parent = parent[key]
    return result


def make_feedback(trace: Trace, spec: ModuleSpec, feedback: Feedback) -> Correction:
    """The validated `Correction` for `feedback` on `trace` (not stored)."""
    kind = feedback.kind
    if kind is not FeedbackKind.CORRECTION and trace.output is None:
        raise InvalidCorrectionError(f"trace {trace.id} has no output to {kind.value}", "output")
    if kind is FeedbackKind.EDIT:
        value = apply_edits(trace.output, feedback.edits or [], spec.output_schema)
        check_correction(spec.output_schema, value)
    elif kind is FeedbackKind.RATING and feedback.rating == "up":
        if trace.fallback_used:
            raise InvalidCorrectionError(f"trace {trace.id} is the static fallback, not a model output", "output")
        value = trace.output
        check_correction(spec.output_schema, value)
    elif kind is FeedbackKind.RATING:
        value = None
    else:
        value = feedback.value
        check_correction(spec.output_schema, value)
    return Correction(
        workspace_id=trace.workspace_id,
        trace_id=trace.id,
        module_id=trace.module_id,
        value=value,
        kind=kind,
        rating=feedback.rating,
        edits=feedback.edits or [],
        route=trace.route,
    )


def submit_feedback(engine: Engine, trace_id: str, feedback: Feedback) -> Correction:
    """Validate and store feedback on a recorded call (NotFoundError for an unknown trace)."""
    trace = engine.get_trace(trace_id)
    spec = engine.store.get_spec(engine.workspace_id, trace.module_id)
    return engine.add_feedback(make_feedback(trace, spec, feedback))
