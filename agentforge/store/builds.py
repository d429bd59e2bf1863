"""Builds of uploaded apps: durable rows a client polls for the stage and progress of its upload."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field
from sqlalchemy import select

from agentforge.artifacts import new_id, utcnow
from agentforge.errors import NotFoundError
from agentforge.store.store import Store
from agentforge.store.tables import AppBuildRow


class BuildState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (BuildState.SUCCEEDED, BuildState.FAILED)


class AppBuild(BaseModel):
    """One upload on its way to a dynamic app."""

    id: str = Field(default_factory=new_id)
    workspace_id: str
    app_name: str
    state: BuildState = BuildState.QUEUED
    stage: str = "queued"
    """`queued`, `unpacking`, `scanning`, `planning`, `building`, `done` or `failed`."""
    progress: float = 0.0
    """0 to 1."""
    modules: int | None = None
    """Dynamic modules in the built app, once built."""
    error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


def _build(row: AppBuildRow) -> AppBuild:
    return AppBuild(
        id=row.id,
        workspace_id=row.workspace_id,
        app_name=row.app_name,
        state=BuildState(row.state),
        stage=row.stage,
        progress=row.progress,
        modules=row.modules,
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class Builds:
    """Create, advance and read a workspace's builds; every query is scoped by the workspace."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, workspace_id: str, app_name: str) -> AppBuild:
        build = AppBuild(workspace_id=workspace_id, app_name=app_name)
        with self.store.transaction(write=True) as session:
            self.store._touch_workspace(session, workspace_id)
            session.add(
                AppBuildRow(
                    workspace_id=workspace_id,
                    id=build.id,
                    app_name=app_name,
                    state=build.state.value,
                    stage=build.stage,
                    progress=build.progress,
                    created_at=build.created_at,
                    updated_at=build.updated_at,
                )
            )
        return build

    def advance(
        self,
        build: AppBuild,
        *,
        stage: str,
        progress: float,
        state: BuildState = BuildState.RUNNING,
        modules: int | None = None,
        error: str | None = None,
    ) -> AppBuild:
        now = utcnow()
        with self.store.transaction(write=True) as session:
            row = session.get(AppBuildRow, (build.workspace_id, build.id))
            if row is None:  # the workspace was deleted while its build ran
                raise NotFoundError(f"no build {build.id!r} in workspace {build.workspace_id!r}")
            row.state, row.stage, row.progress, row.updated_at = state.value, stage, progress, now
            row.modules, row.error = modules, error
            session.flush()
            return _build(row)

    def get(self, workspace_id: str, build_id: str) -> AppBuild:
        with self.store.transaction() as session:
            row = session.get(AppBuildRow, (workspace_id, build_id))
            if row is None:
                raise NotFoundError(f"no build {build_id!r} in workspace {workspace_id!r}")
            return _build(row)

    def recent(self, workspace_id: str, limit: int = 100) -> list[AppBuild]:
        stmt = (
            select(AppBuildRow)
            .where(AppBuildRow.workspace_id == workspace_id)
            .order_by(AppBuildRow.created_at.desc())
            .limit(limit)
        )
        with self.store.transaction() as session:
            return [_build(row) for row in session.scalars(stmt)]

    def unfinished(self) -> list[AppBuild]:
        """Builds a stopped server left queued or running, in every workspace (for the server that starts next)."""
        active = [BuildState.QUEUED.value, BuildState.RUNNING.value]
        stmt = select(AppBuildRow).where(AppBuildRow.state.in_(active)).order_by(AppBuildRow.created_at)
        with self.store.transaction() as session:
            return [_build(row) for row in session.scalars(stmt)]
