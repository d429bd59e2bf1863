"""Initial schema: workspaces, apps, specs, module plans, routes, traces, corrections, adapters, jobs.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

WS_FK = "workspaces.workspace_id"


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, nullable: bool = False, primary_key: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(), nullable=nullable, primary_key=primary_key)


def _ws(primary_key: bool = True) -> sa.Column[object]:
    return sa.Column(
        "workspace_id",
        sa.String(),
        sa.ForeignKey(WS_FK, ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


def _data() -> sa.Column[object]:
    return sa.Column("data", sa.JSON(), nullable=False)


def upgrade() -> None:
    op.create_table("workspaces", _str("workspace_id", primary_key=True), _str("name", True), _ts("created_at"))
    op.create_table(
        "apps",
        _ws(),
        _str("app_name", primary_key=True),
        _str("source_root"),
        _str("base_model"),
        _ts("built_at"),
        _data(),
    )
    op.create_table(
        "specs",
        _ws(),
        _str("module_id", primary_key=True),
        _str("app_name"),
        _str("path"),
        _str("language"),
        _str("source_hash"),
        _ts("updated_at"),
        _data(),
    )
    op.create_table(
        "module_plans",
        _ws(),
        _str("module_id", primary_key=True),
        _str("app_name"),
        _str("kind"),
        _str("agent_role"),
        _str("framework"),
        _ts("updated_at"),
        _data(),
    )
    op.create_table(
        "routes",
        _ws(),
        _str("module_id", primary_key=True),
        _str("champion"),
        _ts("updated_at"),
        _data(),
        sa.ForeignKeyConstraint(
            ["workspace_id", "module_id"],
            ["module_plans.workspace_id", "module_plans.module_id"],
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "traces",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        _ws(primary_key=False),
        _str("id"),
        _str("module_id"),
        _str("model"),
        _str("adapter", True),
        _str("rung"),
        sa.Column("latency_ms", sa.Double(), nullable=False),
        sa.Column("fallback_used", sa.Boolean(), nullable=False),
        _ts("created_at"),
        _data(),
        sa.UniqueConstraint("workspace_id", "id"),
    )
    op.create_index("ix_traces_workspace_module_created", "traces", ["workspace_id", "module_id", "created_at"])
    op.create_index("ix_traces_workspace_created", "traces", ["workspace_id", "created_at"])
    op.create_table(
        "corrections",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        _ws(primary_key=False),
        _str("id"),
        _str("trace_id"),
        _str("module_id"),
        _ts("created_at"),
        _data(),
        sa.UniqueConstraint("workspace_id", "id"),
        sa.ForeignKeyConstraint(["workspace_id", "trace_id"], ["traces.workspace_id", "traces.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_corrections_workspace_module", "corrections", ["workspace_id", "module_id"])
    op.create_index("ix_corrections_workspace_trace", "corrections", ["workspace_id", "trace_id"])
    op.create_table(
        "adapters",
        _ws(),
        _str("name", primary_key=True),
        _str("module_id"),
        _str("base_model"),
        _str("status"),
        _ts("created_at"),
        _data(),
    )
    op.create_index("ix_adapters_workspace_module_created", "adapters", ["workspace_id", "module_id", "created_at"])
    op.create_table(
        "jobs",
        _ws(),
        _str("id", primary_key=True),
        _str("module_id"),
        _str("state"),
        _str("adapter", True),
        _ts("created_at"),
        _ts("updated_at"),
        _data(),
    )
    op.create_index("ix_jobs_workspace_module_created", "jobs", ["workspace_id", "module_id", "created_at"])
    op.create_index("ix_jobs_state_created", "jobs", ["state", "created_at"])


def downgrade() -> None:
    for table in ("jobs", "adapters", "corrections", "traces", "routes", "module_plans", "specs", "apps"):
        op.drop_table(table)
    op.drop_table("workspaces")
