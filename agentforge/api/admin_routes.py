"""The server's own routes, behind its admin key: workspaces and their API keys."""

from __future__ import annotations

import shutil

from fastapi import APIRouter, Response
from pydantic import BaseModel

from agentforge.api.app_routes import Builder
from agentforge.api.schemas import errors
from agentforge.api.tenants import Admin
from agentforge.store.keys import ApiKey
from agentforge.store.tenancy import Tenancy, WorkspaceInfo

router = APIRouter(prefix="/v1/workspaces", tags=["admin"], responses=errors(401, 429))
NO_STORE = "no-store"
"""On answers holding a new key: no cache keeps them, nor the idempotency store."""


class NewWorkspace(BaseModel):
    workspace_id: str
    """1-63 of a-z, 0-9, '-' and '_'."""
    name: str | None = None


class NewKey(BaseModel):
    name: str | None = None
    """What the key is for, shown in lists."""


class WorkspaceOut(BaseModel):
    workspace_id: str
    name: str | None
    created_at: str
    apps: int

    @classmethod
    def of(cls, info: WorkspaceInfo) -> WorkspaceOut:
        return cls(
            workspace_id=info.workspace_id, name=info.name, created_at=info.created_at.isoformat(), apps=info.apps
        )


class KeyOut(BaseModel):
    key_id: str
    """The visible prefix, safe to show and log."""
    workspace_id: str
    name: str | None
    created_at: str
    revoked_at: str | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyOut:
        revoked = key.revoked_at.isoformat() if key.revoked_at else None
        return cls(
            key_id=key.key_id,
            workspace_id=key.workspace_id,
            name=key.name,
            created_at=key.created_at.isoformat(),
            revoked_at=revoked,
        )


class CreatedKey(KeyOut):
    key: str
    """The key itself: shown this once, stored only as a hash."""


class CreatedWorkspace(BaseModel):
    workspace: WorkspaceOut
    key: CreatedKey
    """The workspace's first API key."""


@router.post("", status_code=201, responses=errors(422))
def create_workspace(tenants: Admin, body: NewWorkspace, response: Response) -> CreatedWorkspace:
    """Create a workspace (or rename one) and give it a new API key."""
    response.headers["Cache-Control"] = NO_STORE
    info = Tenancy(tenants.store).create_workspace(body.workspace_id, body.name)
    record, key = tenants.keys.create(info.workspace_id, "first key")
    return CreatedWorkspace(workspace=WorkspaceOut.of(info), key=CreatedKey(**KeyOut.of(record).model_dump(), key=key))


@router.get("")
def list_workspaces(tenants: Admin) -> list[WorkspaceOut]:
    return [WorkspaceOut.of(info) for info in Tenancy(tenants.store).workspaces()]


@router.delete("/{workspace}", status_code=204, responses=errors(404))
def delete_workspace(tenants: Admin, builder: Builder, workspace: str) -> None:
    """Delete the workspace with everything in it: apps, traces, corrections, adapters, jobs, keys, files."""
    Tenancy(tenants.store).delete_workspace(workspace)
    tenants.forget(workspace)
    shutil.rmtree(builder.workspace_dir(workspace), ignore_errors=True)


@router.post("/{workspace}/keys", status_code=201, responses=errors(404))
def create_key(tenants: Admin, workspace: str, body: NewKey, response: Response) -> CreatedKey:
    """A new key for the workspace, shown this once."""
    response.headers["Cache-Control"] = NO_STORE
    Tenancy(tenants.store).workspace(workspace)
    record, key = tenants.keys.create(workspace, body.name)
    return CreatedKey(**KeyOut.of(record).model_dump(), key=key)


@router.get("/{workspace}/keys", responses=errors(404))
def list_keys(tenants: Admin, workspace: str) -> list[KeyOut]:
    Tenancy(tenants.store).workspace(workspace)
    return [KeyOut.of(key) for key in tenants.keys.list(workspace)]


@router.delete("/{workspace}/keys/{key_id}", responses=errors(404))
def revoke_key(tenants: Admin, workspace: str, key_id: str) -> KeyOut:
    """Refuse the key from its next request on."""
    return KeyOut.of(tenants.keys.revoke(workspace, key_id))
