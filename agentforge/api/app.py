"""The HTTP face of one workspace's runtime: invoke, traces, corrections, metrics, health."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from agentforge import __version__
from agentforge.api.errors import install_error_handlers
from agentforge.api.operations import freeze_heap, thaw_heap
from agentforge.api.schemas import (
    CorrectionResponse,
    InvokeRequest,
    InvokeResponse,
    ModuleInfo,
    errors,
    module_infos,
)
from agentforge.artifacts import Trace
from agentforge.learn.feedback import Feedback, submit_feedback
from agentforge.runtime import Engine


def create_app(engine: Engine, *, app_name: str = "agentforge") -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        freeze_heap()
        yield
        thaw_heap()
        engine.close()  # the last traces reach the store before the server exits

    app = FastAPI(title=f"agentforge: {app_name}", version=__version__, lifespan=lifespan)
    install_error_handlers(app)

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
        return module_infos(engine.store, engine.workspace_id)

    @app.post("/v1/invoke", responses=errors(404, 422, 502, 503))
    async def invoke(body: InvokeRequest) -> InvokeResponse:
        return InvokeResponse.of(await engine.invoke(body.module, body.input, request_id=body.request_id))

    @app.get("/v1/traces/{trace_id}", responses=errors(404))
    def get_trace(trace_id: str) -> Trace:
        return engine.get_trace(trace_id)

    @app.post("/v1/traces/{trace_id}/corrections", status_code=201, responses=errors(404, 422))
    def correct(trace_id: str, body: Feedback) -> CorrectionResponse:
        """Feedback on a call: `{"value": ...}`, `{"rating": "up"|"down"}` or `{"edits": [{"path", "value"}]}`."""
        return CorrectionResponse.of(submit_feedback(engine, trace_id, body))

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(engine.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app
