"""A workspace's runtime over HTTP: modules, invoke, traces, corrections, training jobs, adapters.

Every route takes the workspace's engine from the key (`WorkspaceEngine`), and every id is looked up in that
workspace only, so an id of another workspace is simply not found (404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from agentforge.api.disconnect import unless_disconnected
from agentforge.api.schemas import (
    CorrectionResponse,
    InvokeResponse,
    ModuleInfo,
    ModuleInput,
    errors,
    module_infos,
)
from agentforge.api.tenants import WorkspaceEngine
from agentforge.artifacts import AdapterVersion, EvalReport, Route, Trace, TrainingJob
from agentforge.errors import NotFoundError
from agentforge.learn.feedback import Feedback, submit_feedback
from agentforge.learn.promotion import RouteChange, promote, rollback
from agentforge.store.queue import JobQueue

router = APIRouter(prefix="/v1/workspaces/{workspace}", responses=errors(401, 404, 429))
Limit = Annotated[int, Query(ge=1, le=1000)]


class TrainRequest(BaseModel):
    recipe: str = "cpu-default"
    """A recipe name from `adapters/`."""


class QueuedJob(BaseModel):
    job: TrainingJob
    created: bool
    """False when the module already had a queued job, which is returned instead (one per module)."""


class RouteChangeResponse(BaseModel):
    module_id: str
    before: Route
    after: Route

    @classmethod
    def of(cls, change: RouteChange) -> RouteChangeResponse:
        return cls(module_id=change.module_id, before=change.before, after=change.after)


@router.get("/modules", tags=["runtime"])
def list_modules(engine: WorkspaceEngine) -> list[ModuleInfo]:
    return module_infos(engine.store, engine.workspace_id)


@router.get("/modules/{module_id:path}", tags=["runtime"])
def get_module(engine: WorkspaceEngine, module_id: str) -> ModuleInfo:
    """A module by its id (`path::name`) or unique function name."""
    spec = engine.spec(module_id)
    return next(m for m in module_infos(engine.store, engine.workspace_id) if m.id == spec.id)


@router.post("/modules/{module_id:path}:invoke", tags=["runtime"], responses=errors(422, 502, 503))
async def invoke_module(engine: WorkspaceEngine, module_id: str, body: ModuleInput, request: Request) -> InvokeResponse:
    """Call a module: its route's model or adapter answers, validated against the module's output schema. A
    client that disconnects cancels the call."""
    call = engine.invoke(module_id, body.input, request_id=body.request_id)
    return InvokeResponse.of(await unless_disconnected(request, call))


@router.post("/modules/{module_id:path}:train", tags=["learning"], status_code=202, responses=errors(409, 422))
def train_module(engine: WorkspaceEngine, module_id: str, body: TrainRequest) -> QueuedJob:
    """Queue the module's retraining (a worker claims it); the module's queued job if it has one."""
    spec = engine.spec(module_id)
    job, created = JobQueue(engine.store).enqueue(engine.workspace_id, spec.id, recipe=body.recipe)
    return QueuedJob(job=job, created=created)


@router.get("/traces", tags=["runtime"])
def list_traces(engine: WorkspaceEngine, module: str | None = None, limit: Limit = 100) -> list[Trace]:
    """The newest calls first, of one module (id or unique name) or of all."""
    module_id = engine.spec(module).id if module else None
    return engine.store.list_traces(engine.workspace_id, module_id, limit=limit)


@router.get("/traces/{trace_id}", tags=["runtime"])
def get_trace(engine: WorkspaceEngine, trace_id: str) -> Trace:
    return engine.get_trace(trace_id)


@router.post("/traces/{trace_id}/corrections", tags=["learning"], status_code=201, responses=errors(422))
def correct_trace(engine: WorkspaceEngine, trace_id: str, body: Feedback) -> CorrectionResponse:
    """Feedback on a call: `{"value": ...}`, `{"rating": "up"|"down"}` or `{"edits": [{"path", "value"}]}`."""
    return CorrectionResponse.of(submit_feedback(engine, trace_id, body))


@router.get("/jobs", tags=["learning"])
def list_jobs(engine: WorkspaceEngine, module: str | None = None) -> list[TrainingJob]:
    module_id = engine.spec(module).id if module else None
    return engine.store.list_jobs(engine.workspace_id, module_id)


@router.get("/jobs/{job_id}", tags=["learning"])
def get_job(engine: WorkspaceEngine, job_id: str) -> TrainingJob:
    return engine.store.get_job(engine.workspace_id, job_id)


@router.post("/jobs/{job_id}:cancel", tags=["learning"], responses=errors(409))
def cancel_job(engine: WorkspaceEngine, job_id: str) -> TrainingJob:
    return JobQueue(engine.store).cancel(engine.workspace_id, job_id)


@router.post("/jobs/{job_id}:retry", tags=["learning"], responses=errors(409))
def retry_job(engine: WorkspaceEngine, job_id: str) -> TrainingJob:
    return JobQueue(engine.store).retry(engine.workspace_id, job_id)


@router.get("/adapters", tags=["learning"])
def list_adapters(engine: WorkspaceEngine, module: str | None = None) -> list[AdapterVersion]:
    module_id = engine.spec(module).id if module else None
    return engine.store.list_adapters(engine.workspace_id, module_id)


@router.get("/adapters/{name}", tags=["learning"])
def get_adapter(engine: WorkspaceEngine, name: str) -> AdapterVersion:
    return engine.store.get_adapter(engine.workspace_id, name)


@router.get("/adapters/{name}/report", tags=["learning"])
def get_report(engine: WorkspaceEngine, name: str) -> EvalReport:
    """The evaluation gate's report on the adapter: every rung's score, the interval and the decision."""
    report = engine.store.get_adapter(engine.workspace_id, name).report
    if report is None:
        raise NotFoundError(f"adapter {name!r} has not been evaluated")
    return report


@router.post("/adapters/{name}:promote", tags=["learning"], responses=errors(409))
def promote_adapter(engine: WorkspaceEngine, name: str, force: bool = False) -> RouteChangeResponse:
    """Make the adapter its module's champion (`force`: even when the gate rejected it)."""
    return RouteChangeResponse.of(promote(engine.store, engine.workspace_id, name, force=force))


@router.post("/modules/{module_id:path}:rollback", tags=["learning"], responses=errors(409))
def rollback_module(engine: WorkspaceEngine, module_id: str) -> RouteChangeResponse:
    """Restore the module's previous champion for the next call."""
    spec = engine.spec(module_id)
    return RouteChangeResponse.of(rollback(engine.store, engine.workspace_id, spec.id))
