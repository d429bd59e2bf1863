"""`Idempotency-Key` on POSTs: the same key with the same request gets the first answer again (and creates
nothing new); with another request, 422; while the first is still being answered, 409.

The request is the method, the path with its query and the body's sha256; the body is read first (spooled to
disk past 1 MB, so an upload stays bounded in memory) and handed to the route unchanged. Keys are per caller
(the hash of the presented credential), kept in the store (`IdempotencyKeys`), so every node agrees. An answer
marked `Cache-Control: no-store` (one holding a new API key) is never saved: its repeat is refused (409)."""

from __future__ import annotations

import hashlib
import re
import tempfile
from typing import IO

import anyio.to_thread
from fastapi import HTTPException

from agentforge.api.errors import CLIENT_GONE
from agentforge.api.operations import ASGIApp, Message, Receive, Scope, Send, caller, header, json_error
from agentforge.store.idempotency import IdempotencyKeys

KEY = re.compile(r"^[A-Za-z0-9._:-]{1,255}$")
CHUNK = 1 << 16
MAX_SAVED_BODY = 1 << 20
NOT_KEPT = "agentforge/not-kept"
"""Saved as the content type of an answer marked `Cache-Control: no-store` (a new API key), without its body."""


class Idempotency:
    def __init__(self, app: ASGIApp, *, keys: IdempotencyKeys) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = header(scope, b"idempotency-key") if scope["type"] == "http" and scope["method"] == "POST" else None
        if key is None:
            await self.app(scope, receive, send)
            return
        if not KEY.match(key):
            for message in json_error(422, "an Idempotency-Key is 1-255 of A-Za-z0-9._:-", []):
                await send(message)
            return
        with tempfile.SpooledTemporaryFile(max_size=1 << 20) as body:
            try:
                digest = await _read(receive, body, scope)
            except HTTPException as exc:  # over the body bound (`Operations`): answered here, outside the routes
                detail = exc.detail if isinstance(exc.detail, dict) else {"message": str(exc.detail)}
                for message in json_error(exc.status_code, str(detail.get("message")), []):
                    await send(message)
                return
            who = caller(scope)
            claim = await anyio.to_thread.run_sync(self.keys.claim, who, key, digest)
            if claim.outcome != "new":
                for message in _answer_for(claim.outcome, claim.status, claim.content_type, claim.body):
                    await send(message)
                return
            body.seek(0)
            await self._answer(scope, _replay(body, receive), send, who, key)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, who: str, key: str) -> None:
        status, content_type, saved, kept = 500, None, bytearray(), False

        async def capture(message: Message) -> None:
            nonlocal status, content_type, kept
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = dict(message.get("headers", []))
                content_type = headers[b"content-type"].decode() if b"content-type" in headers else None
                if headers.get(b"cache-control") == b"no-store":
                    content_type = NOT_KEPT
            elif message["type"] == "http.response.body":
                saved.extend(message.get("body", b""))
                answered = status < 500 and status != CLIENT_GONE
                if not message.get("more_body", False) and answered and len(saved) <= MAX_SAVED_BODY:
                    # saved before the client has the answer, so its repeat finds it
                    body = None if content_type == NOT_KEPT else saved.decode("utf-8", "replace")
                    await anyio.to_thread.run_sync(self.keys.complete, who, key, status, content_type, body)
                    kept = True
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            if not kept:  # a failed or unsaveable answer: the client may try again with the same key
                await anyio.to_thread.run_sync(self.keys.release, who, key)


async def _read(receive: Receive, body: IO[bytes], scope: Scope) -> str:
    digest = hashlib.sha256(f"{scope['method']} {scope['path']}?{scope.get('query_string', b'').decode()}\n".encode())
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        digest.update(chunk)
        body.write(chunk)
        if not message.get("more_body", False):
            break
    return digest.hexdigest()


def _replay(body: IO[bytes], receive: Receive) -> Receive:
    """The body again, chunk by chunk; then the connection's own messages (a disconnect, say)."""
    done = False

    async def replayed() -> Message:
        nonlocal done
        if done:
            return await receive()
        chunk = body.read(CHUNK)
        done = len(chunk) < CHUNK
        return {"type": "http.request", "body": chunk, "more_body": not done}

    return replayed


def _answer_for(outcome: str, status: int | None, content_type: str | None, body: str | None) -> list[Message]:
    if outcome == "mismatch":
        return list(json_error(422, "this Idempotency-Key was used with another request; use a new key", []))
    if outcome == "pending":
        return list(json_error(409, "a request with this Idempotency-Key is still being answered; retry later", []))
    if content_type == NOT_KEPT:
        message = "the first answer to this request held a secret shown once, which is not kept; list the keys"
        return list(json_error(409, message, []))
    data = (body or "").encode()
    headers = [(b"content-length", str(len(data)).encode()), (b"idempotent-replayed", b"true")]
    if content_type:
        headers.append((b"content-type", content_type.encode()))
    return [
        {"type": "http.response.start", "status": status or 200, "headers": headers},
        {"type": "http.response.body", "body": data},
    ]
