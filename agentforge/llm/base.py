"""The one model interface every back end implements (async; `run_sync` is the only sync facade)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from agentforge.artifacts import JsonSchema

T = TypeVar("T")


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class ModelRequest(BaseModel):
    messages: list[Message]
    adapter: str | None = None
    """Name of a loaded LoRA adapter; `None` answers with the base model."""
    choices: list[str] | None = None
    """When set, the answer is exactly one of these labels (chosen by the model's likelihood)."""
    json_schema: JsonSchema | None = None
    """When set, the answer is JSON meant to fit this schema (the caller still validates)."""
    max_new_tokens: int = 256
    temperature: float = 0.0


class ModelResponse(BaseModel):
    text: str
    model: str
    adapter: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    choice_scores: dict[str, float] | None = None
    """Summed log-likelihood of `label + end-of-turn` per label when `choices` was set (higher is better).

    Always holds the answer; a back end may leave out labels it proved cannot beat it (the local model's
    best-first search does)."""


@runtime_checkable
class Model(Protocol):
    """A model back end. Implementations: `LocalModel` (transformers + PEFT) and the test fakes."""

    @property
    def name(self) -> str: ...

    async def request(self, req: ModelRequest) -> ModelResponse: ...

    def load_adapter(self, name: str, path: Path) -> None:
        """Make an adapter resident under an immutable name; loading a name twice is a no-op."""
        ...

    def has_adapter(self, name: str) -> bool: ...


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code (CLI, tests, the threadpool of a sync endpoint)."""
    return asyncio.run(coro)
