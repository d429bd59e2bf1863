"""The ORM tables. Typed columns for what we query on, plus `data`: the artifact's full JSON dump.

Every table carries `workspace_id` and every query filters on it. The hand-written migration in
`migrations/versions/` must create exactly these tables (a test compares the two).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on PostgreSQL (timestamptz) and SQLite (fixed-width UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = as_utc(value)
        # SQLite keeps text; a naive UTC value gives one fixed-width format that sorts chronologically.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        str: String(),
        float: Double(),  # explicit: SQLAlchemy 2.0 and 2.1 map `float` differently
    }


def _workspace_fk() -> Mapped[str]:
    return mapped_column(ForeignKey("workspaces.workspace_id", ondelete="CASCADE"), primary_key=True)


class WorkspaceRow(Base):
    __tablename__ = "workspaces"

    workspace_id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str | None]
    created_at: Mapped[datetime]


class AppRow(Base):
    """A built app; `data` is its Manifest without the specs (those live in `specs`)."""

    __tablename__ = "apps"

    workspace_id: Mapped[str] = _workspace_fk()
    app_name: Mapped[str] = mapped_column(primary_key=True)
    source_root: Mapped[str]
    base_model: Mapped[str]
    built_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]


class SpecRow(Base):
    __tablename__ = "specs"

    workspace_id: Mapped[str] = _workspace_fk()
    module_id: Mapped[str] = mapped_column(primary_key=True)
    app_name: Mapped[str]
    path: Mapped[str]
    language: Mapped[str]
    source_hash: Mapped[str]
    updated_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]


class ModulePlanRow(Base):
    """The plan for one module; `data.route` is the route as planned, the current one is in `routes`."""

    __tablename__ = "module_plans"

    workspace_id: Mapped[str] = _workspace_fk()
    module_id: Mapped[str] = mapped_column(primary_key=True)
    app_name: Mapped[str]
    kind: Mapped[str]
    agent_role: Mapped[str]
    framework: Mapped[str]
    updated_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]


class RouteRow(Base):
    __tablename__ = "routes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "module_id"],
            ["module_plans.workspace_id", "module_plans.module_id"],
            ondelete="CASCADE",
        ),
    )

    workspace_id: Mapped[str] = _workspace_fk()
    module_id: Mapped[str] = mapped_column(primary_key=True)
    champion: Mapped[str]
    updated_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]


class TraceRow(Base):
    __tablename__ = "traces"
    __table_args__ = (
        UniqueConstraint("workspace_id", "id"),
        Index("ix_traces_workspace_module_created", "workspace_id", "module_id", "created_at"),
        Index("ix_traces_workspace_created", "workspace_id", "created_at"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    """Insertion order: breaks ties between equal timestamps."""
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.workspace_id", ondelete="CASCADE"))
    id: Mapped[str]
    module_id: Mapped[str]
    model: Mapped[str]
    adapter: Mapped[str | None]
    rung: Mapped[str]
    latency_ms: Mapped[float]
    fallback_used: Mapped[bool]
    created_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]


class CorrectionRow(Base):
    __tablename__ = "corrections"
    __table_args__ = (
        UniqueConstraint("workspace_id", "id"),
        ForeignKeyConstraint(["workspace_id", "trace_id"], ["traces.workspace_id", "traces.id"], ondelete="CASCADE"),
        Index("ix_corrections_workspace_module", "workspace_id", "module_id"),
        Index("ix_corrections_workspace_trace", "workspace_id", "trace_id"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.workspace_id", ondelete="CASCADE"))
    id: Mapped[str]
    trace_id: Mapped[str]
    module_id: Mapped[str]
    created_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]


class AdapterRow(Base):
    __tablename__ = "adapters"
    __table_args__ = (Index("ix_adapters_workspace_module_created", "workspace_id", "module_id", "created_at"),)

    workspace_id: Mapped[str] = _workspace_fk()
    name: Mapped[str] = mapped_column(primary_key=True)
    module_id: Mapped[str]
    base_model: Mapped[str]
    status: Mapped[str]
    created_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]


class TrainingJobRow(Base):
    """A queue entry. The typed columns are the queue's truth (claims update them in SQL); `data` mirrors them."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_workspace_module_created", "workspace_id", "module_id", "created_at"),
        Index("ix_jobs_state_created", "state", "created_at"),
        Index("ix_jobs_state_run_after", "state", "run_after"),
        Index(
            "uq_jobs_one_queued_per_module",
            "workspace_id",
            "module_id",
            unique=True,
            sqlite_where=text("state = 'queued'"),
            postgresql_where=text("state = 'queued'"),
        ),
    )

    workspace_id: Mapped[str] = _workspace_fk()
    id: Mapped[str] = mapped_column(primary_key=True)
    module_id: Mapped[str]
    state: Mapped[str]
    adapter: Mapped[str | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]
    trigger: Mapped[str] = mapped_column(server_default="manual")
    attempts: Mapped[int] = mapped_column(server_default="0")
    max_attempts: Mapped[int] = mapped_column(server_default="3")
    lease_owner: Mapped[str | None]
    lease_expires_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    run_after: Mapped[datetime]
    cancel_requested: Mapped[bool] = mapped_column(server_default=false())
    error: Mapped[str | None]


class ApiKeyRow(Base):
    """A workspace's API key: its visible prefix and the hash of the whole key, never the key itself."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_workspace_id", "workspace_id"),)

    key_id: Mapped[str] = mapped_column(primary_key=True)
    """The visible prefix (`afk_` and 12 hex digits): what lists and logs show."""
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.workspace_id", ondelete="CASCADE"))
    secret_hash: Mapped[str]
    """sha256 of the whole key, hex."""
    name: Mapped[str | None]
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class AppBuildRow(Base):
    """An upload being turned into a dynamic app (unpack → scan → plan → build), with its progress."""

    __tablename__ = "app_builds"
    __table_args__ = (Index("ix_app_builds_workspace_created", "workspace_id", "created_at"),)

    workspace_id: Mapped[str] = _workspace_fk()
    id: Mapped[str] = mapped_column(primary_key=True)
    app_name: Mapped[str]
    state: Mapped[str]
    stage: Mapped[str]
    progress: Mapped[float]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    modules: Mapped[int | None]
    error: Mapped[str | None]


class IdempotencyRow(Base):
    """A POST's `Idempotency-Key`: the request it was first used with and the answer it got (the Stripe pattern)."""

    __tablename__ = "idempotency_keys"

    caller: Mapped[str] = mapped_column(primary_key=True)
    """Who sent it: the hash of the presented credential, or the client address."""
    key: Mapped[str] = mapped_column(primary_key=True)
    request_hash: Mapped[str]
    status: Mapped[int | None]
    """None while the first request is still being answered."""
    content_type: Mapped[str | None]
    body: Mapped[str | None]
    created_at: Mapped[datetime]
