"""An OpenAI-compatible face per workspace: `POST /v1/workspaces/{ws}/v1/chat/completions`, `GET …/v1/models`.

`model` names one of the workspace's modules (id or unique function name: the module's route answers) or one of
its adapters (that adapter answers its module, whatever the route says). The last user message is the input:
a JSON object with the module's argument names, or plain text for a module that takes one text argument. The
module's own prompt and contract apply, so system messages and sampling parameters are not used; the answer is
the module's validated output (text as is, anything else as JSON). Official clients (`openai`, LangChain's
`ChatOpenAI`) work with `base_url=<server>/v1/workspaces/<ws>/v1` and the workspace's key as `api_key`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from agentforge.api.disconnect import unless_disconnected
from agentforge.api.schemas import errors
from agentforge.api.tenants import WorkspaceEngine
from agentforge.artifacts import ModuleSpec, Trace
from agentforge.errors import InvalidInputError, NotFoundError
from agentforge.runtime import Engine

router = APIRouter(prefix="/v1/workspaces/{workspace}/v1", tags=["openai"], responses=errors(401, 404, 429))


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    """The fields agentforge reads; the others an OpenAI client sends are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str
    """A module id or unique function name, or an adapter name (`<module-slug>@<hash12>`)."""
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    user: str | None = None
    """Makes canary routing sticky for this caller."""


class ChatChoice(BaseModel):
    index: int = 0
    message: dict[str, str]
    finish_reason: Literal["stop"] = "stop"


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage
    agentforge: dict[str, Any]
    """The trace id, the rung and adapter that answered, whether the static fallback did."""


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


def _text(message: ChatMessage) -> str:
    if isinstance(message.content, list):
        return "".join(str(part.get("text", "")) for part in message.content if part.get("type") == "text")
    return message.content or ""


def chat_input(spec: ModuleSpec, messages: list[ChatMessage]) -> dict[str, Any]:
    """The module's arguments from the last user message: a JSON object of them, or the text of a module with
    one text argument."""
    users = [m for m in messages if m.role == "user"]
    if not users:
        raise InvalidInputError("no user message: the last user message is the module's input")
    text = _text(users[-1])
    properties: dict[str, Any] = spec.input_schema.get("properties", {})
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and parsed and set(parsed) <= set(properties):
        return parsed
    strings = [name for name, schema in properties.items() if schema.get("type") == "string"]
    if len(properties) == 1 and strings:
        return {strings[0]: text}
    names = ", ".join(properties) or "nothing"
    raise InvalidInputError(f"{spec.id} takes ({names}): send the user message as a JSON object with those fields")


def _content(output: Any) -> str:
    return output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)


def _completion(model: str, trace: Trace) -> ChatCompletion:
    return ChatCompletion(
        id=f"chatcmpl-{trace.id}",
        created=int(trace.created_at.timestamp()),
        model=model,
        choices=[ChatChoice(message={"role": "assistant", "content": _content(trace.output)})],
        usage=Usage(
            prompt_tokens=trace.prompt_tokens,
            completion_tokens=trace.completion_tokens,
            total_tokens=trace.prompt_tokens + trace.completion_tokens,
        ),
        agentforge={
            "trace_id": trace.id,
            "module": trace.module_id,
            "rung": trace.route.rung.value,
            "adapter": trace.route.adapter,
            "fallback_used": trace.fallback_used,
        },
    )


def _chunks(completion: ChatCompletion) -> Iterator[str]:
    """The whole, already validated answer as one content chunk, then the end (OpenAI's SSE framing)."""
    base = {"id": completion.id, "object": "chat.completion.chunk", "created": completion.created}
    content = completion.choices[0].message["content"]
    first = {"index": 0, "delta": {"role": "assistant", "content": content}, "finish_reason": None}
    last = {"index": 0, "delta": {}, "finish_reason": "stop"}
    for choice in (first, last):
        yield f"data: {json.dumps({**base, 'model': completion.model, 'choices': [choice]})}\n\n"
    yield "data: [DONE]\n\n"


def _target(engine: Engine, model: str) -> tuple[str, str | None]:
    """(module id, forced target) for a module or an adapter name of this workspace."""
    try:
        return engine.spec(model).id, None
    except NotFoundError:
        if "@" not in model:
            raise
    adapter = engine.store.get_adapter(engine.workspace_id, model)
    return adapter.module_id, adapter.name


@router.post("/chat/completions", response_model=ChatCompletion, responses=errors(422, 502, 503))
async def chat_completions(engine: WorkspaceEngine, body: ChatRequest, request: Request) -> Any:
    """A module (or an adapter) answering as an OpenAI chat model; `stream` sends the answer as one chunk. A
    client that disconnects cancels the call."""
    module_id, target = _target(engine, body.model)
    inputs = chat_input(engine.spec(module_id), body.messages)
    call = engine.invoke(module_id, inputs, request_id=body.user, target=target)
    trace = await unless_disconnected(request, call)
    completion = _completion(body.model, trace)
    if body.stream:
        return StreamingResponse(_chunks(completion), media_type="text/event-stream")
    return completion


@router.get("/models")
def list_models(engine: WorkspaceEngine) -> ModelList:
    """Every module (by id) and adapter (by name) of the workspace, as `model` values."""
    now = int(time.time())
    cards = [
        ModelCard(id=spec.id, created=now, owned_by="module") for spec in engine.store.list_specs(engine.workspace_id)
    ]
    cards += [
        ModelCard(id=a.name, created=int(a.created_at.timestamp()), owned_by=f"adapter of {a.module_id}")
        for a in engine.store.list_adapters(engine.workspace_id)
    ]
    return ModelList(data=cards)
