"""Render a module call into chat messages.

Serving and training share this one renderer, so an adapter is always trained on exactly the prompt
it will see at run time.
"""

from __future__ import annotations

import json
from typing import Any

from agentforge.artifacts import JsonSchema, ModuleSpec
from agentforge.catalog import KindSpec, RoleSpec
from agentforge.llm.base import Message


def output_labels(schema: JsonSchema) -> list[str] | None:
    """The label set of an enum/`Literal` output, or `None` when the output is not a label."""
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and all(isinstance(v, str) for v in enum):
        return [str(v) for v in enum]
    return None


def _render_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def render_inputs(inputs: dict[str, Any]) -> str:
    return "\n".join(f"{name}: {_render_value(value)}" for name, value in inputs.items())


def render_messages(kind: KindSpec, role: RoleSpec, spec: ModuleSpec, inputs: dict[str, Any]) -> list[Message]:
    labels = output_labels(spec.output_schema) or []
    system = kind.system.format(
        role=f"the {role.name} of this application",
        instructions=role.instructions,
        labels=", ".join(labels),
        schema=json.dumps(spec.output_schema, sort_keys=True),
    )
    user = kind.user.format(intent=spec.intent or spec.name, inputs=render_inputs(inputs))
    return [Message(role="system", content=system.strip()), Message(role="user", content=user.strip())]


def render_target(kind: KindSpec, spec: ModuleSpec, value: Any) -> str:
    """The assistant text a correct answer corresponds to (the training target).

    JSON keys follow the schema's property order, the order guided decoding writes them in.
    """
    if kind.training_format != "json":
        return str(value)
    if isinstance(value, dict):
        order = list(spec.output_schema.get("properties", {}))
        value = {k: value[k] for k in sorted(value, key=lambda k: order.index(k) if k in order else len(order))}
    return json.dumps(value, ensure_ascii=False)
