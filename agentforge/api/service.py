"""The multi-tenant server (`agentforge serve --workspaces`): every workspace's apps and runtime behind its keys.

Routes live under `/v1/workspaces/{workspace}/…` (see `workspace_routes`, `app_routes`, and `chat_routes`
for the OpenAI-compatible endpoint); workspaces and keys
are managed with the server's admin key (`admin_routes`) or `agentforge keys` on the server. `/health` is
open; `/metrics` needs the admin key, since its labels name every workspace's modules."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from agentforge import __version__
from agentforge.api import admin_routes, app_routes, chat_routes, workspace_routes
from agentforge.api.errors import install_error_handlers
from agentforge.api.idempotency import Idempotency
from agentforge.api.operations import Operations, RateLimit, freeze_heap, thaw_heap
from agentforge.api.schemas import errors
from agentforge.api.tenants import Admin, Tenants
from agentforge.api.uploads import AppBuilder
from agentforge.llm.base import Model
from agentforge.scan.archives import ArchiveLimits
from agentforge.store import Store
from agentforge.store.idempotency import IdempotencyKeys

UPLOAD = re.compile(r"^/v1/workspaces/[^/]+/apps$")


def _upload(method: str, path: str) -> bool:
    """Uploads bound their own bodies (`max_upload_bytes`), streamed to disk."""
    return method == "POST" and UPLOAD.match(path) is not None


def create_service(
    store: Store,
    model: Model,
    data_dir: Path,
    *,
    backends: Mapping[str, Model] | None = None,
    train_after: int | None = None,
    admin_key: str | None = None,
    limits: ArchiveLimits | None = None,
    max_upload_bytes: int = 64 << 20,
    max_body_bytes: int = 1 << 20,
    rate_limit: RateLimit | None = None,
) -> FastAPI:
    """The server's app. `data_dir` holds each workspace's uploads and built apps; builds a stopped server
    left unfinished are resumed at start-up. Every request gets a request id, a body bound (`max_body_bytes`;
    uploads: `max_upload_bytes`), the caller's `rate_limit` (none: unlimited) and a JSON access-log line."""
    tenants = Tenants(store, model, backends=backends, train_after=train_after, admin_key=admin_key)
    builder = AppBuilder(store, data_dir, limits=limits, max_upload_bytes=max_upload_bytes)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        freeze_heap()
        builder.resume()
        yield
        thaw_heap()
        builder.close()
        tenants.close()  # the last traces reach the store before the server exits

    app = FastAPI(title="agentforge", version=__version__, lifespan=lifespan)
    app.state.tenants = tenants
    app.state.builder = builder
    install_error_handlers(app)
    app.add_middleware(Idempotency, keys=IdempotencyKeys(store))
    app.add_middleware(
        Operations,
        rate_limit=rate_limit,
        max_body_bytes=max_body_bytes,
        streamed=_upload,
    )
    app.include_router(admin_routes.router)
    app.include_router(app_routes.router)
    app.include_router(workspace_routes.router)
    app.include_router(chat_routes.router)

    @app.get("/health", tags=["operations"])
    def health() -> dict[str, Any]:
        return {"status": "ok", "mode": "workspaces", "model": model.name, "backend": type(model).__name__}

    @app.get("/metrics", tags=["operations"], responses=errors(401))
    def metrics(_: Admin) -> Response:
        return Response(generate_latest(tenants.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app
