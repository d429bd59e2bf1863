"""Durable job queue: attempts, leases, heartbeats, run_after, trigger, cancel flag, last error; one queued
job per module.

Jobs left unfinished by the in-process trainer of 0001 had no lease and died with their process: they are
marked failed, so nothing waits on a worker that will never come back.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

INTERRUPTED = "interrupted before the durable job queue existed (store migration 0002); retry it"


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("trigger", sa.String(), server_default="manual", nullable=False))
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("max_attempts", sa.Integer(), server_default="3", nullable=False))
        batch.add_column(sa.Column("lease_owner", sa.String(), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("run_after", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("cancel_requested", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("error", sa.String(), nullable=True))
    op.execute("UPDATE jobs SET run_after = created_at")
    jobs = sa.table("jobs", sa.column("state", sa.String()), sa.column("error", sa.String()))
    op.execute(
        jobs.update()
        .where(jobs.c.state.in_(["queued", "running", "evaluating"]))
        .values(state="failed", error=INTERRUPTED)
    )
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("run_after", existing_type=sa.DateTime(timezone=True), nullable=False)
    op.create_index("ix_jobs_state_run_after", "jobs", ["state", "run_after"])
    op.create_index(
        "uq_jobs_one_queued_per_module",
        "jobs",
        ["workspace_id", "module_id"],
        unique=True,
        sqlite_where=sa.text("state = 'queued'"),
        postgresql_where=sa.text("state = 'queued'"),
    )


def downgrade() -> None:
    op.drop_index("uq_jobs_one_queued_per_module", "jobs")
    op.drop_index("ix_jobs_state_run_after", "jobs")
    with op.batch_alter_table("jobs") as batch:
        for column in (
            "error",
            "cancel_requested",
            "run_after",
            "heartbeat_at",
            "lease_expires_at",
            "lease_owner",
            "max_attempts",
            "attempts",
            "trigger",
        ):
            batch.drop_column(column)
