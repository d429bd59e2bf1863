"""Render a module call into chat messages.

Serving and training share this one renderer, so an adapter is always trained on exactly the prompt
it will see at run time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from agentforge.artifacts import Example, JsonSchema, ModuleSpec, ToolCall
from agentforge.catalog import KindSpec, RoleSpec
from agentforge.llm.base import Message

EXAMPLE_CHARS = 1200
"""Longest rendered input (cut beyond) and answer (left out beyond) of one retrieved example in a prompt."""
EXAMPLES_CHARS = 6000
"""Most characters the retrieved examples of one prompt take in all (about 1,500 tokens)."""


COMPACT_LABEL_CHARS = 300
"""A label list longer than this (about 75 tokens) is left out of an `auto` recipe's prompts."""


def compact_labels(prompt: str, spec: ModuleSpec) -> bool:
    """Whether a recipe's `prompt` setting (`auto`, `full`, `compact`) leaves the module's label list out."""
    labels = output_labels(spec.output_schema)
    if not labels or prompt == "full":
        return False
    return prompt == "compact" or len(", ".join(labels)) > COMPACT_LABEL_CHARS


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


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


def fit_examples(
    kind: KindSpec,
    spec: ModuleSpec,
    examples: Sequence[Example],
    *,
    example_chars: int = EXAMPLE_CHARS,
    examples_chars: int = EXAMPLES_CHARS,
) -> list[Example]:
    """The examples a prompt has room for, in the given order (most similar first).

    An example whose answer is longer than `example_chars` is left out (a cut answer would teach a malformed
    one); the examples stop where their rendered turns would pass `examples_chars` in all. Inputs longer than
    `example_chars` count as cut (see `render_messages`).
    """
    kept: list[Example] = []
    used = 0
    for example in examples:
        answer = render_target(kind, spec, example.target)
        if len(answer) > example_chars:
            continue
        asked = _render_user(kind, spec, _trim(render_inputs(example.input), example_chars))
        if used + len(asked) + len(answer) > examples_chars:
            break
        used += len(asked) + len(answer)
        kept.append(example)
    return kept


def render_messages(
    kind: KindSpec,
    role: RoleSpec,
    spec: ModuleSpec,
    inputs: dict[str, Any],
    examples: Sequence[Example] = (),
    *,
    example_chars: int = EXAMPLE_CHARS,
    examples_chars: int = EXAMPLES_CHARS,
    tool_calls: Sequence[ToolCall] = (),
    compact: bool = False,
) -> list[Message]:
    """System turn, then each example as a past user turn with its corrected answer, then the call itself,
    followed by a coordinator's tool answers (`render_tool_calls`). With `compact` (an adapter trained so, see
    `compact_labels`), the system turn says how many labels there are instead of listing them.

    Examples come most similar first and are shown in reverse, the most similar next to the call, each in the
    module's own user template and answer format (`render_target`), so the model's output rules are unchanged.
    Only what `fit_examples` keeps is shown, with inputs cut to `example_chars`.
    """
    labels = output_labels(spec.output_schema) or []
    system = kind.system.format(
        role=f"the {role.name} of this application",
        instructions=role.instructions,
        labels=f"the {len(labels)} labels this module was trained on" if compact and labels else ", ".join(labels),
        schema=json.dumps(spec.output_schema, sort_keys=True),
    )
    shown: list[Message] = []
    for example in fit_examples(kind, spec, examples, example_chars=example_chars, examples_chars=examples_chars):
        asked = _render_user(kind, spec, _trim(render_inputs(example.input), example_chars))
        answer = render_target(kind, spec, example.target)
        shown[:0] = [Message(role="user", content=asked), Message(role="assistant", content=answer)]
    user = _render_user(kind, spec, render_inputs(inputs)) + render_tool_calls(tool_calls)
    return [Message(role="system", content=system.strip()), *shown, Message(role="user", content=user)]


def render_tool_calls(tool_calls: Sequence[ToolCall]) -> str:
    """The answers of the modules a coordinator called, as a section after its call ('' when there are none;
    a call that failed is left out, so the prompt only ever states answers that were given)."""
    answered = [call for call in tool_calls if call.error is None]
    if not answered:
        return ""
    lines = (f"- {call.name}: {_trim(_render_value(call.output), EXAMPLE_CHARS)}" for call in answered)
    return "\n\nAnswers of the modules this one uses:\n" + "\n".join(lines)


def _render_user(kind: KindSpec, spec: ModuleSpec, rendered_inputs: str) -> str:
    return kind.user.format(intent=spec.intent or spec.name, inputs=rendered_inputs).strip()


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
