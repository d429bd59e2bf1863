"""Workspaces and their apps, as a multi-tenant server manages them: create, list, show, delete.

Every app-level method takes the workspace and filters on it, so a caller holding one workspace's id cannot
reach another's rows by passing a name that exists there. Deleting an app removes its modules, plans and
routes; its traces, corrections, adapters and jobs stay (keyed by module id), so uploading it again keeps what
it learned. Deleting a workspace removes everything in it, keys included (foreign keys cascade)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from agentforge.artifacts import Manifest, ModuleSpec
from agentforge.errors import InvalidInputError, NotFoundError
from agentforge.store.store import Store
from agentforge.store.tables import AppRow, ModulePlanRow, SpecRow, WorkspaceRow

WORKSPACE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
APP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_workspace_id(workspace_id: str) -> str:
    if not WORKSPACE_ID.match(workspace_id):
        raise InvalidInputError(
            f"invalid workspace id {workspace_id!r}: 1-63 of a-z, 0-9, '-' and '_', starting with a letter or digit"
        )
    return workspace_id


def check_app_name(name: str) -> str:
    if not APP_NAME.match(name) or ".." in name:
        raise InvalidInputError(
            f"invalid app name {name!r}: 1-100 of letters, digits, '.', '-' and '_', starting with a letter or digit"
        )
    return name


@dataclass(frozen=True)
class WorkspaceInfo:
    workspace_id: str
    name: str | None
    created_at: datetime
    apps: int


@dataclass(frozen=True)
class AppInfo:
    workspace_id: str
    app_name: str
    base_model: str
    built_at: datetime
    modules: int


class Tenancy:
    """The workspaces of a store and the apps built into each."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create_workspace(self, workspace_id: str, name: str | None = None) -> WorkspaceInfo:
        """Create the workspace (or rename it when it exists)."""
        self.store.ensure_workspace(check_workspace_id(workspace_id), name)
        return self.workspace(workspace_id)

    def workspaces(self) -> list[WorkspaceInfo]:
        apps = select(AppRow.workspace_id, func.count().label("n")).group_by(AppRow.workspace_id).subquery()
        stmt = (
            select(WorkspaceRow, func.coalesce(apps.c.n, 0))
            .outerjoin(apps, apps.c.workspace_id == WorkspaceRow.workspace_id)
            .order_by(WorkspaceRow.workspace_id)
        )
        with self.store.transaction() as session:
            return [WorkspaceInfo(w.workspace_id, w.name, w.created_at, int(n)) for w, n in session.execute(stmt)]

    def workspace(self, workspace_id: str) -> WorkspaceInfo:
        with self.store.transaction() as session:
            row = session.get(WorkspaceRow, workspace_id)
            if row is None:
                raise NotFoundError(f"no workspace {workspace_id!r}")
            count = session.scalar(select(func.count()).where(AppRow.workspace_id == workspace_id))
            return WorkspaceInfo(row.workspace_id, row.name, row.created_at, int(count or 0))

    def delete_workspace(self, workspace_id: str) -> None:
        with self.store.transaction(write=True) as session:
            row = session.get(WorkspaceRow, workspace_id)
            if row is None:
                raise NotFoundError(f"no workspace {workspace_id!r}")
            session.delete(row)
        self.store.revision += 1

    def apps(self, workspace_id: str) -> list[AppInfo]:
        modules = (
            select(SpecRow.app_name, func.count().label("n"))
            .where(SpecRow.workspace_id == workspace_id)
            .group_by(SpecRow.app_name)
            .subquery()
        )
        stmt = (
            select(AppRow, func.coalesce(modules.c.n, 0))
            .outerjoin(modules, modules.c.app_name == AppRow.app_name)
            .where(AppRow.workspace_id == workspace_id)
            .order_by(AppRow.app_name)
        )
        with self.store.transaction() as session:
            return [
                AppInfo(a.workspace_id, a.app_name, a.base_model, a.built_at, int(n)) for a, n in session.execute(stmt)
            ]

    def app(self, workspace_id: str, app_name: str) -> AppInfo:
        found = [info for info in self.apps(workspace_id) if info.app_name == app_name]
        if not found:
            raise NotFoundError(f"no app {app_name!r} in workspace {workspace_id!r}")
        return found[0]

    def manifest(self, workspace_id: str, app_name: str) -> Manifest:
        """The app's manifest as it was built (specs, plan with its Mermaid graph, catalog entries)."""
        with self.store.transaction() as session:
            row = session.get(AppRow, (workspace_id, app_name))
            if row is None:
                raise NotFoundError(f"no app {app_name!r} in workspace {workspace_id!r}")
            specs = session.scalars(
                select(SpecRow.data)
                .where(SpecRow.workspace_id == workspace_id, SpecRow.app_name == app_name)
                .order_by(SpecRow.module_id)
            )
            return Manifest.model_validate({**row.data, "specs": [ModuleSpec.model_validate(s) for s in specs]})

    def delete_app(self, workspace_id: str, app_name: str) -> None:
        """Remove the app, its modules, plans and routes; what its modules learned stays."""
        with self.store.transaction(write=True) as session:
            row = session.get(AppRow, (workspace_id, app_name))
            if row is None:
                raise NotFoundError(f"no app {app_name!r} in workspace {workspace_id!r}")
            for table in (ModulePlanRow, SpecRow):  # routes go with their plans (foreign key, cascade)
                session.execute(delete(table).where(table.workspace_id == workspace_id, table.app_name == app_name))
            session.delete(row)
        self.store.revision += 1
