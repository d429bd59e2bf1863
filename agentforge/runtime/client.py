"""What a built app's rewritten stubs call: one HTTP request to the agentforge runtime per invocation.

Kept tiny and standalone (httpx, pydantic and the standard library only) because it runs inside the user's
app, not inside agentforge. The contract: an unreachable or failing runtime (connection error, timeout,
5xx, 408/429, an answer that does not fit the return type) degrades to the prototype's own static value
with a logged warning; a request the runtime refuses (404 unknown module, 401/403, 422 bad input) is a
misconfiguration and raises `AgentforgeClientError`, loudly.

Settings come from the environment on every call: `AGENTFORGE_URL` (default `http://127.0.0.1:8765`),
`AGENTFORGE_API_KEY` (sent as a bearer token when set), `AGENTFORGE_TIMEOUT` (seconds, default 120).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError, to_jsonable_python

__all__ = [
    "DEFAULT_URL",
    "AgentforgeClientError",
    "acall_module",
    "astream_module",
    "call_module",
    "pieces",
    "stream_module",
]

DEFAULT_URL = "http://127.0.0.1:8765"
DEFAULT_TIMEOUT_S = 120.0
UNAVAILABLE_STATUSES = frozenset({408, 429})
"""Client-error statuses that mean "not now" rather than "wrong request": they fall back too."""

logger = logging.getLogger("agentforge.client")

T = TypeVar("T")


class AgentforgeClientError(RuntimeError):
    """The runtime refused the call (unknown module, bad key, bad input), or the client is misconfigured."""


class _Unavailable(Exception):
    """Internal: the runtime could not give a usable answer; the caller falls back."""


@dataclass(frozen=True)
class _Request:
    url: str
    timeout: float
    headers: dict[str, str]
    body: dict[str, Any]


def _request(module_id: str, inputs: dict[str, Any]) -> _Request:
    base = os.environ.get("AGENTFORGE_URL", DEFAULT_URL).rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise AgentforgeClientError(f"AGENTFORGE_URL must start with http:// or https://, got {base!r}")
    raw_timeout = os.environ.get("AGENTFORGE_TIMEOUT", str(DEFAULT_TIMEOUT_S))
    try:
        timeout = float(raw_timeout)
    except ValueError:
        raise AgentforgeClientError(f"AGENTFORGE_TIMEOUT must be a number of seconds, got {raw_timeout!r}") from None
    key = os.environ.get("AGENTFORGE_API_KEY")
    try:
        payload = to_jsonable_python(inputs)
    except PydanticSerializationError as exc:
        raise AgentforgeClientError(f"{module_id}: the inputs cannot be sent as JSON: {exc}") from exc
    return _Request(
        url=f"{base}/v1/invoke",
        timeout=timeout,
        headers={"Authorization": f"Bearer {key}"} if key else {},
        body={"module": module_id, "input": payload},
    )


def _server_message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text.strip() or response.reason_phrase
    if isinstance(data, dict):
        for key in ("detail", "error", "message"):
            if key in data:
                return str(data[key])
    return str(data)


def _output(module_id: str, response: httpx.Response, returns: Any) -> Any:
    """The validated output of a runtime answer; `_Unavailable` when it is unusable, an error when refused."""
    if response.status_code >= 500 or response.status_code in UNAVAILABLE_STATUSES:
        raise _Unavailable(f"runtime answered {response.status_code}: {_server_message(response)}")
    if not response.is_success:
        raise AgentforgeClientError(
            f"{module_id}: the agentforge runtime refused the call ({response.status_code}): "
            f"{_server_message(response)}"
        )
    try:
        output = response.json()["output"]
    except (ValueError, KeyError, TypeError):
        raise _Unavailable("the runtime's answer has no JSON `output` field") from None
    if returns is None:
        return output
    try:
        return TypeAdapter(returns).validate_python(output)
    except ValidationError as exc:
        raise _Unavailable(f"the output does not fit {returns!r}: {exc.error_count()} validation errors") from exc


def _warn(module_id: str, exc: Exception) -> None:
    logger.warning("agentforge: %s falls back to its static value: %s", module_id, exc)


def call_module(module_id: str, inputs: dict[str, Any], *, returns: Any, fallback: Callable[[], T]) -> T:
    """Invoke `module_id` on the runtime and return its output cast to `returns` (a type, or None for no
    cast); return `fallback()` when the runtime is unreachable or its answer unusable."""
    request = _request(module_id, inputs)
    try:
        with httpx.Client(timeout=request.timeout) as client:
            response = client.post(request.url, json=request.body, headers=request.headers)
        result: T = _output(module_id, response, returns)
    except (httpx.RequestError, _Unavailable) as exc:
        _warn(module_id, exc)
        return fallback()
    return result


async def acall_module(
    module_id: str, inputs: dict[str, Any], *, returns: Any, fallback: Callable[[], Awaitable[T]]
) -> T:
    """`call_module` for async stubs; the fallback is the stub's original body as a coroutine function."""
    request = _request(module_id, inputs)
    try:
        async with httpx.AsyncClient(timeout=request.timeout) as client:
            response = await client.post(request.url, json=request.body, headers=request.headers)
        result: T = _output(module_id, response, returns)
    except (httpx.RequestError, _Unavailable) as exc:
        _warn(module_id, exc)
        return await fallback()
    return result


def pieces(answer: Any) -> Iterator[Any]:
    """The runtime's answer as a stream: a text word by word (spaces kept, so the pieces join back into the
    answer), a list item by item, anything else whole."""
    if isinstance(answer, str):
        yield from re.findall(r"\S+\s*|\s+", answer) or [answer]
    elif isinstance(answer, list):
        yield from answer
    else:
        yield answer


def stream_module(module_id: str, inputs: dict[str, Any], *, fallback: Callable[[], Iterable[Any]]) -> Iterator[Any]:
    """What a rewritten generator stub yields: the runtime's answer in `pieces`, or, when the runtime cannot
    be reached, the prototype's own stream (`fallback`, the stub's original generator)."""
    unreached = object()
    answer = call_module(module_id, inputs, returns=None, fallback=lambda: unreached)
    yield from fallback() if answer is unreached else pieces(answer)


async def astream_module(
    module_id: str, inputs: dict[str, Any], *, fallback: Callable[[], AsyncIterable[Any]]
) -> AsyncIterator[Any]:
    """`stream_module` for async generator stubs."""
    unreached = object()

    async def not_reached() -> object:
        return unreached

    answer = await acall_module(module_id, inputs, returns=None, fallback=not_reached)
    if answer is unreached:
        async for piece in fallback():
            yield piece
    else:
        for piece in pieces(answer):
            yield piece
