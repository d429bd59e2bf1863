"""Who a request is and which workspace's engine serves it.

A request names its workspace in the path and carries a key (`Authorization: Bearer afk_…`). The key decides
the workspace; a path naming any other workspace, existing or not, answers 404 exactly as an unknown one does,
so a tenant learns nothing about the others. Engines are made once per workspace and share the store, the
model, its fallback back ends and one metrics registry (labelled by workspace). The dependencies are `async`:
a key check is one indexed read, cheaper on the event loop than a hop to the thread pool per request."""

from __future__ import annotations

import hmac
import threading
from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from agentforge.errors import AuthError, NotFoundError
from agentforge.llm.base import Model
from agentforge.runtime import Engine
from agentforge.runtime.metrics import RuntimeMetrics
from agentforge.store import Store
from agentforge.store.keys import REFUSED, KeyStore

bearer = HTTPBearer(auto_error=False, description="A workspace API key (`agentforge keys create`).")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


class Tenants:
    """The engines of a multi-tenant server, one per workspace, made on first use."""

    def __init__(
        self,
        store: Store,
        model: Model,
        *,
        backends: Mapping[str, Model] | None = None,
        train_after: int | None = None,
        admin_key: str | None = None,
    ) -> None:
        self.store = store
        self.model = model
        self.backends = dict(backends or {})
        self.train_after = train_after
        self.metrics = RuntimeMetrics()
        self.keys = KeyStore(store)
        self._admin_key = admin_key
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    def engine(self, workspace_id: str) -> Engine:
        with self._lock:
            engine = self._engines.get(workspace_id)
            if engine is None:
                engine = self._engines[workspace_id] = Engine(
                    self.store,
                    self.model,
                    workspace_id=workspace_id,
                    metrics=self.metrics,
                    backends=self.backends,
                    train_after=self.train_after,
                )
            return engine

    def forget(self, workspace_id: str) -> None:
        """Close the workspace's engine (its pending traces are written) after the workspace was deleted."""
        with self._lock:
            engine = self._engines.pop(workspace_id, None)
        if engine is not None:
            engine.close()

    def close(self) -> None:
        with self._lock:
            engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.close()

    def workspace_of(self, credentials: HTTPAuthorizationCredentials | None) -> str:
        if credentials is None:
            raise AuthError("an API key is required: Authorization: Bearer afk_…")
        return self.keys.workspace_of(credentials.credentials)

    def check_admin(self, credentials: HTTPAuthorizationCredentials | None) -> None:
        """The server's admin key (`--admin-key-env`), compared in constant time; none set: no admin routes."""
        if self._admin_key is None or credentials is None:
            raise AuthError("the admin key is required")
        if not hmac.compare_digest(credentials.credentials.encode(), self._admin_key.encode()):
            raise AuthError(REFUSED)


def tenants(request: Request) -> Tenants:
    found: Tenants = request.app.state.tenants
    return found


async def authorized_workspace(workspace: str, credentials: Credentials, request: Request) -> str:
    """The path's workspace, if the key belongs to it; 404 as for an unknown one otherwise."""
    if tenants(request).workspace_of(credentials) != workspace:
        raise NotFoundError(f"no workspace {workspace!r}")
    return workspace


async def workspace_engine(workspace: Annotated[str, Depends(authorized_workspace)], request: Request) -> Engine:
    return tenants(request).engine(workspace)


async def admin(credentials: Credentials, request: Request) -> Tenants:
    registry = tenants(request)
    registry.check_admin(credentials)
    return registry


WorkspaceId = Annotated[str, Depends(authorized_workspace)]
WorkspaceEngine = Annotated[Engine, Depends(workspace_engine)]
Admin = Annotated[Tenants, Depends(admin)]
