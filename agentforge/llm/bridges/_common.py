"""What every bridge shares: role mapping and routing one chat through a module's route."""

from __future__ import annotations

from collections.abc import Sequence

from agentforge.artifacts import JsonSchema
from agentforge.errors import ModelError, NotFoundError
from agentforge.llm.base import Message, Model, ModelRequest, ModelResponse
from agentforge.runtime.engine import Engine

ROLES = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "ai": "assistant",
}


def to_message(role: str, content: str) -> Message:
    mapped = ROLES.get(role)
    if mapped is None:
        raise ModelError(f"a {role!r} message has no place in an agentforge chat (system, user, assistant)")
    return Message.model_validate({"role": mapped, "content": content})


async def answer(
    model: Model,
    messages: Sequence[Message],
    *,
    adapter: str | None,
    engine: Engine | None,
    module: str | None,
    request_id: str | None,
    max_new_tokens: int,
    temperature: float,
    json_schema: JsonSchema | None = None,
) -> ModelResponse:
    """One completion: with a module, through its route (champion or canary adapter, then the fallback chain
    down to the base model); else from `adapter` (or the base model) directly."""
    targets: list[str | None] = [adapter]
    if engine is not None and module is not None:
        targets = engine.route_targets(module, request_id)
    errors: list[str] = []
    for target in targets:
        try:
            if target is not None and engine is not None:
                engine.ensure_adapter(target)
            request = ModelRequest(
                messages=list(messages),
                adapter=target,
                json_schema=json_schema,
                max_new_tokens=max_new_tokens,
                temperature=temperature,
            )
            return await model.request(request)
        except (ModelError, NotFoundError) as exc:
            errors.append(f"{target or 'base'}: {exc}")
    raise ModelError(f"every route failed: {'; '.join(errors) or 'no route'}")
