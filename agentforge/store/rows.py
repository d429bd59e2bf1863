"""Artifacts to rows and back. Timestamps are read from their typed columns, so they come back aware UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from agentforge.artifacts import (
    AdapterVersion,
    Correction,
    Manifest,
    ModulePlan,
    ModuleSpec,
    Route,
    Trace,
    TrainingJob,
    utcnow,
)
from agentforge.store.tables import (
    AdapterRow,
    AppRow,
    CorrectionRow,
    ModulePlanRow,
    RouteRow,
    SpecRow,
    TraceRow,
    TrainingJobRow,
)


def dump(artifact: BaseModel) -> dict[str, Any]:
    return artifact.model_dump(mode="json")


def app_row(manifest: Manifest) -> AppRow:
    """The manifest without its specs (each spec has a row of its own)."""
    return AppRow(
        workspace_id=manifest.workspace_id,
        app_name=manifest.app_name,
        source_root=manifest.source_root,
        base_model=manifest.plan.base_model,
        built_at=manifest.built_at,
        data=manifest.model_dump(mode="json", exclude={"specs"}),
    )


def spec_row(workspace_id: str, app_name: str, spec: ModuleSpec, now: datetime) -> SpecRow:
    return SpecRow(
        workspace_id=workspace_id,
        module_id=spec.id,
        app_name=app_name,
        path=spec.path,
        language=spec.language.value,
        source_hash=spec.source_hash,
        updated_at=now,
        data=dump(spec),
    )


def plan_row(workspace_id: str, app_name: str, plan: ModulePlan, now: datetime) -> ModulePlanRow:
    return ModulePlanRow(
        workspace_id=workspace_id,
        module_id=plan.module_id,
        app_name=app_name,
        kind=plan.kind,
        agent_role=plan.agent_role,
        framework=plan.framework,
        updated_at=now,
        data=dump(plan),
    )


def trace_row(trace: Trace) -> TraceRow:
    return TraceRow(
        workspace_id=trace.workspace_id,
        id=trace.id,
        module_id=trace.module_id,
        model=trace.route.model,
        adapter=trace.route.adapter,
        rung=trace.route.rung.value,
        latency_ms=trace.latency_ms,
        fallback_used=trace.fallback_used,
        created_at=trace.created_at,
        data=dump(trace),
    )


def correction_row(correction: Correction) -> CorrectionRow:
    return CorrectionRow(
        workspace_id=correction.workspace_id,
        id=correction.id,
        trace_id=correction.trace_id,
        module_id=correction.module_id,
        created_at=correction.created_at,
        data=dump(correction),
    )


def route_row(workspace_id: str, module_id: str, route: Route) -> RouteRow:
    return RouteRow(
        workspace_id=workspace_id,
        module_id=module_id,
        champion=route.champion,
        updated_at=utcnow(),
        data=dump(route),
    )


def to_trace(row: TraceRow) -> Trace:
    return Trace.model_validate({**row.data, "created_at": row.created_at})


def adapter_row(adapter: AdapterVersion) -> AdapterRow:
    return AdapterRow(
        workspace_id=adapter.workspace_id,
        name=adapter.name,
        module_id=adapter.module_id,
        base_model=adapter.base_model,
        status=adapter.status.value,
        created_at=adapter.created_at,
        data=dump(adapter),
    )


def to_adapter(row: AdapterRow) -> AdapterVersion:
    return AdapterVersion.model_validate({**row.data, "created_at": row.created_at})


JOB_COLUMNS = (
    "state",
    "adapter",
    "trigger",
    "attempts",
    "max_attempts",
    "lease_owner",
    "lease_expires_at",
    "heartbeat_at",
    "run_after",
    "cancel_requested",
    "error",
    "created_at",
    "updated_at",
)
"""Job fields kept in typed columns; the columns win over `data` when reading (queue updates set them in SQL)."""


def job_row(job: TrainingJob) -> TrainingJobRow:
    return TrainingJobRow(
        workspace_id=job.workspace_id,
        id=job.id,
        module_id=job.module_id,
        state=job.state.value,
        adapter=job.adapter,
        trigger=job.trigger.value,
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        lease_owner=job.lease_owner,
        lease_expires_at=job.lease_expires_at,
        heartbeat_at=job.heartbeat_at,
        run_after=job.run_after,
        cancel_requested=job.cancel_requested,
        error=job.error,
        created_at=job.created_at,
        updated_at=job.updated_at,
        data=dump(job),
    )


def to_job(row: TrainingJobRow) -> TrainingJob:
    return TrainingJob.model_validate({**row.data, **{name: getattr(row, name) for name in JOB_COLUMNS}})
