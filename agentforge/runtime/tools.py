"""A coordinator's tools: the modules it calls in the prototype, answered by the engine before it answers.

Arguments come from the coordinator's own inputs where a tool's parameter has the same name; the parameters
left over are asked of the model, decoded under the tool's input schema. Each tool call is a full module call
(its own route, adapter, retries, fallback and trace), so improving a tool improves every coordinator using it.
A call chain never re-enters a module already in it and stops at MAX_DEPTH, so cycles in the call graph end."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from agentforge.artifacts import ModuleSpec, ToolCall, Trace
from agentforge.errors import AgentforgeError
from agentforge.llm.base import Message, Model, ModelRequest
from agentforge.runtime.prompts import render_inputs

MAX_DEPTH = 4
"""Most coordinators one call may pass through (a coordinator calling a coordinator, ...)."""
ARGUMENT_TOKENS = 256

_CHAIN: ContextVar[tuple[str, ...]] = ContextVar("agentforge_tool_chain", default=())

Invoke = Callable[[str, dict[str, Any]], Awaitable[Trace]]
"""Calls a module by id with inputs (the engine's `invoke`, with the caller's request id and recording)."""


@contextmanager
def entered(module_id: str) -> Iterator[None]:
    """Mark `module_id` as part of the current call chain while its call runs."""
    token = _CHAIN.set((*_CHAIN.get(), module_id))
    try:
        yield
    finally:
        _CHAIN.reset(token)


def unavailable(tool_id: str) -> str | None:
    """Why a tool cannot be called from the current chain (None: it can)."""
    chain = _CHAIN.get()
    if tool_id in chain:
        return f"{tool_id} is already in this call chain ({' → '.join(chain)})"
    if len(chain) >= MAX_DEPTH:
        return f"call chain deeper than {MAX_DEPTH} modules"
    return None


def _missing(tool: ModuleSpec, args: dict[str, Any]) -> list[str]:
    required = tool.input_schema.get("required", [p.name for p in tool.params if p.required])
    return [name for name in required if name not in args]


def arguments_request(caller: ModuleSpec, tool: ModuleSpec, inputs: dict[str, Any], missing: list[str]) -> ModelRequest:
    """Ask the model for the parameters of `tool` the caller's inputs do not name, as a JSON object."""
    properties = tool.input_schema.get("properties", {})
    schema = {
        "type": "object",
        "properties": {name: properties.get(name, {}) for name in missing},
        "required": missing,
    }
    system = (
        f"You prepare the arguments of the function {tool.name} ({tool.intent or tool.name}) for a call made "
        f"while doing this: {caller.intent or caller.name}. Reply with one JSON object fitting this JSON Schema: "
        f"{json.dumps(schema, sort_keys=True)}"
    )
    return ModelRequest(
        messages=[Message(role="system", content=system), Message(role="user", content=render_inputs(inputs))],
        json_schema=schema,
        max_new_tokens=ARGUMENT_TOKENS,
    )


async def tool_arguments(caller: ModuleSpec, tool: ModuleSpec, inputs: dict[str, Any], model: Model) -> dict[str, Any]:
    """The tool's inputs: the caller's inputs of the same name, the rest from the model."""
    names = set(tool.input_schema.get("properties", {})) or {p.name for p in tool.params}
    args = {name: value for name, value in inputs.items() if name in names}
    missing = _missing(tool, args)
    if not missing:
        return args
    response = await model.request(arguments_request(caller, tool, inputs, missing))
    try:
        filled = json.loads(response.text)
    except json.JSONDecodeError as exc:
        raise AgentforgeError(f"the model gave no arguments for {tool.name}: {response.text[:80]!r}") from exc
    if not isinstance(filled, dict):
        raise AgentforgeError(f"the model gave no argument object for {tool.name}: {response.text[:80]!r}")
    return {**args, **{name: filled[name] for name in missing if name in filled}}


async def call_tools(
    caller: ModuleSpec,
    tool_ids: Sequence[str],
    inputs: dict[str, Any],
    model: Model,
    spec_of: Callable[[str], ModuleSpec],
    invoke: Invoke,
) -> list[ToolCall]:
    """Call each tool in order, inside the caller's chain; a tool that cannot answer (unknown, on a cycle, no
    arguments, every route failed) is recorded with the reason and the coordinator goes on without it."""
    calls: list[ToolCall] = []
    with entered(caller.id):
        for tool_id in tool_ids:
            call = ToolCall(module_id=tool_id, name=tool_id.rpartition("::")[2].rsplit(".", 1)[-1])
            call.error = unavailable(tool_id)
            if call.error is None:
                try:
                    tool = spec_of(tool_id)
                    call.input = await tool_arguments(caller, tool, inputs, model)
                    trace = await invoke(tool_id, call.input)
                    call.output, call.trace_id = trace.output, trace.id
                except (AgentforgeError, TimeoutError) as exc:
                    call.error = str(exc) or type(exc).__name__
            calls.append(call)
    return calls
