"""Request and response bodies shared by the single-app API and the multi-tenant service."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from agentforge.artifacts import Correction, Route, RouteTaken, Trace
from agentforge.store import Store


class ErrorDetail(BaseModel):
    message: str
    field: str | None = None
    """The offending field of a refused correction, when there is one."""
    request_id: str | None = None
    """The request's id (`X-Request-ID`), as the server's logs name it."""


class ErrorBody(BaseModel):
    detail: ErrorDetail


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error codes a route can answer, all with the same body."""
    text = {
        400: "A refused upload (a hostile or damaged archive)",
        401: "Missing, invalid or revoked API key",
        404: "No such workspace, or no such id in it",
        409: "The request conflicts with the current state",
        413: "The request body is over the limit",
        422: "The body or input does not fit the contract",
        429: "Rate limit reached; retry after `Retry-After` seconds",
        502: "The model gave no output that fits the module's contract",
        503: "The model back end is unavailable",
    }
    return {code: {"model": ErrorBody, "description": text[code]} for code in codes}


class InvokeRequest(BaseModel):
    module: str
    """Module id (`path::name`) or a unique function name."""
    input: dict[str, Any] = Field(default_factory=dict)
    request_id: str | None = None
    """Makes canary routing sticky for this caller."""


class ModuleInput(BaseModel):
    input: dict[str, Any] = Field(default_factory=dict)
    """The module's arguments by name, checked against its input schema."""
    request_id: str | None = None
    """Makes canary routing sticky for this caller."""


class InvokeResponse(BaseModel):
    trace_id: str
    module: str
    output: Any
    model: str
    adapter: str | None
    rung: str
    fallback_used: bool
    retries: int
    latency_ms: float

    @classmethod
    def of(cls, trace: Trace) -> InvokeResponse:
        return cls(
            trace_id=trace.id,
            module=trace.module_id,
            output=trace.output,
            model=trace.route.model,
            adapter=trace.route.adapter,
            rung=trace.route.rung.value,
            fallback_used=trace.fallback_used,
            retries=trace.retries,
            latency_ms=trace.latency_ms,
        )


class CorrectionResponse(BaseModel):
    id: str
    trace_id: str
    module: str
    kind: str
    """`correction`, `rating` or `edit`."""
    value: Any
    """The output the feedback says the module should give (`null` for a down-rating)."""
    route: RouteTaken | None
    """The route that produced the output the feedback is about."""

    @classmethod
    def of(cls, correction: Correction) -> CorrectionResponse:
        return cls(
            id=correction.id,
            trace_id=correction.trace_id,
            module=correction.module_id,
            kind=correction.kind.value,
            value=correction.value,
            route=correction.route,
        )


class ModuleInfo(BaseModel):
    id: str
    name: str
    kind: str
    agent_role: str
    route: Route
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]


def module_infos(store: Store, workspace_id: str) -> list[ModuleInfo]:
    out = []
    for spec in store.list_specs(workspace_id):
        plan = store.get_module_plan(workspace_id, spec.id)
        out.append(
            ModuleInfo(
                id=spec.id,
                name=spec.name,
                kind=plan.kind,
                agent_role=plan.agent_role,
                route=plan.route,
                input_schema=spec.input_schema,
                output_schema=spec.output_schema,
            )
        )
    return out
