"""Stop answering a caller who left: the model call is cancelled when the client disconnects.

The answer is awaited beside a watcher of the connection; a disconnect cancels the call, so nothing more is
asked of the model for it: a generation still queued for the local model's batcher is dropped before it runs,
retries and fallbacks stop, and no trace is written for an answer nobody receives. (A pass already running on
the model finishes; its result is discarded.)"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

from fastapi import Request

T = TypeVar("T")
log = logging.getLogger("agentforge.api")


class ClientGoneError(Exception):
    """The client disconnected before its answer was ready."""


async def unless_disconnected(request: Request, work: Coroutine[Any, Any, T]) -> T:
    task = asyncio.ensure_future(work)

    async def watch() -> None:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                task.cancel()
                return

    watcher = asyncio.ensure_future(watch())
    try:
        return await task
    except asyncio.CancelledError:
        if watcher.done() and not watcher.cancelled():
            log.info("client disconnected: %s %s cancelled", request.method, request.url.path)
            raise ClientGoneError from None
        raise
    finally:
        watcher.cancel()
