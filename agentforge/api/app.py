"""The HTTP face of one workspace's runtime: invoke, traces, corrections, metrics, health."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from agentforge import __version__
from agentforge.artifacts import Route, RouteTaken, Trace
from agentforge.errors import (
    InvalidCorrectionError,
    InvalidInputError,
    ModelError,
    NotFoundError,
    OutputValidationError,
)
from agentforge.learn.feedback import Feedback, submit_feedback
from agentforge.runtime import Engine


class InvokeRequest(BaseModel):
    module: str
    """Module id (`path::name`) or a unique function name."""
    input: dict[str, Any] = Field(default_factory=dict)
    request_id: str | None = None
    """Makes canary routing sticky for this caller."""


class InvokeResponse(BaseModel):
    trace_id: str
    module: str
    output: Any
    model: str
    adapter: str | None
    rung: str
    fallback_used: bool
    retries: int
    latency_ms: float


class CorrectionResponse(BaseModel):
    id: str
    trace_id: str
    module: str
    kind: str
    """`correction`, `rating` or `edit`."""
    value: Any
    """The output the feedback says the module should give (`null` for a down-rating)."""
    route: RouteTaken | None
    """The route that produced the output the feedback is about."""


class ModuleInfo(BaseModel):
    id: str
    name: str
    kind: str
    agent_role: str
    route: Route
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": {"message": message, **extra}})


def create_app(engine: Engine, *, app_name: str = "agentforge") -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        engine.close()  # the last traces reach the store before the server exits

    app = FastAPI(title=f"agentforge: {app_name}", version=__version__, lifespan=lifespan)

    @app.exception_handler(NotFoundError)
    async def not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return _error(404, str(exc))

    @app.exception_handler(InvalidCorrectionError)
    async def bad_correction(_: Request, exc: InvalidCorrectionError) -> JSONResponse:
        return _error(422, str(exc), field=exc.field)

    @app.exception_handler(InvalidInputError)
    async def bad_input(_: Request, exc: InvalidInputError) -> JSONResponse:
        return _error(422, str(exc))

    @app.exception_handler(OutputValidationError)
    async def no_valid_output(_: Request, exc: OutputValidationError) -> JSONResponse:
        return _error(502, str(exc))

    @app.exception_handler(ModelError)
    async def model_failed(_: Request, exc: ModelError) -> JSONResponse:
        return _error(503, str(exc))

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "app": app_name,
            "workspace": engine.workspace_id,
            "model": engine.model.name,
            "backend": type(engine.model).__name__,
            "modules": len(engine.store.list_specs(engine.workspace_id)),
        }

    @app.get("/v1/modules")
    def modules() -> list[ModuleInfo]:
        out = []
        for spec in engine.store.list_specs(engine.workspace_id):
            plan = engine.store.get_module_plan(engine.workspace_id, spec.id)
            out.append(
                ModuleInfo(
                    id=spec.id,
                    name=spec.name,
                    kind=plan.kind,
                    agent_role=plan.agent_role,
                    route=plan.route,
                    input_schema=spec.input_schema,
                    output_schema=spec.output_schema,
                )
            )
        return out

    @app.post("/v1/invoke")
    async def invoke(body: InvokeRequest) -> InvokeResponse:
        trace = await engine.invoke(body.module, body.input, request_id=body.request_id)
        return InvokeResponse(
            trace_id=trace.id,
            module=trace.module_id,
            output=trace.output,
            model=trace.route.model,
            adapter=trace.route.adapter,
            rung=trace.route.rung.value,
            fallback_used=trace.fallback_used,
            retries=trace.retries,
            latency_ms=trace.latency_ms,
        )

    @app.get("/v1/traces/{trace_id}")
    def get_trace(trace_id: str) -> Trace:
        return engine.get_trace(trace_id)

    @app.post("/v1/traces/{trace_id}/corrections", status_code=201)
    def correct(trace_id: str, body: Feedback) -> CorrectionResponse:
        """Feedback on a call: `{"value": ...}`, `{"rating": "up"|"down"}` or `{"edits": [{"path", "value"}]}`."""
        correction = submit_feedback(engine, trace_id, body)
        return CorrectionResponse(
            id=correction.id,
            trace_id=correction.trace_id,
            module=correction.module_id,
            kind=correction.kind.value,
            value=correction.value,
            route=correction.route,
        )

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(engine.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app
