"""agentforge errors as HTTP answers, the same for every app: one body shape (`ErrorBody`), one status each."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from agentforge.api.disconnect import ClientGoneError
from agentforge.errors import (
    AgentforgeError,
    ArchiveError,
    AuthError,
    InvalidCorrectionError,
    InvalidInputError,
    JobError,
    ModelError,
    NotFoundError,
    OutputValidationError,
    PromotionError,
    TooLargeError,
)

CLIENT_GONE = 499
"""nginx's "client closed request": written to the access log only, nobody is there to read it."""

STATUS: dict[type[AgentforgeError], int] = {
    ArchiveError: 400,
    AuthError: 401,
    NotFoundError: 404,
    JobError: 409,
    PromotionError: 409,
    TooLargeError: 413,
    InvalidCorrectionError: 422,
    InvalidInputError: 422,
    OutputValidationError: 502,
    ModelError: 503,
}


def error_response(status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": {"message": message, **extra}}, headers=headers)


async def _answer(request: Request, exc: Exception) -> JSONResponse:
    status = next(code for kind, code in STATUS.items() if isinstance(exc, kind))
    extra: dict[str, Any] = {"field": exc.field} if isinstance(exc, InvalidCorrectionError) else {}
    request_id = getattr(request.state, "request_id", None)
    if request_id is not None:
        extra["request_id"] = request_id
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return error_response(status, str(exc), headers=headers, **extra)


async def _gone(_: Request, exc: Exception) -> JSONResponse:
    return error_response(CLIENT_GONE, "the client disconnected; the call was cancelled")


def install_error_handlers(app: FastAPI) -> None:
    for kind in STATUS:
        app.add_exception_handler(kind, _answer)
    app.add_exception_handler(ClientGoneError, _gone)
