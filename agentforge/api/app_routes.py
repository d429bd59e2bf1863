"""A workspace's apps over HTTP: upload an archive, follow its build, list, show, download and delete apps,
read their plans (JSON and Mermaid)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse, StreamingResponse
from pydantic import BaseModel

from agentforge.api.schemas import errors
from agentforge.api.tenants import WorkspaceId
from agentforge.api.uploads import AppBuilder, zip_folder
from agentforge.artifacts import Plan
from agentforge.errors import InvalidInputError, NotFoundError, TooLargeError
from agentforge.scan.archives import archive_kind
from agentforge.store.builds import AppBuild
from agentforge.store.tenancy import AppInfo, Tenancy, check_app_name

router = APIRouter(prefix="/v1/workspaces/{workspace}", tags=["apps"], responses=errors(401, 404, 429))
ARCHIVE_TYPES = ("application/zip", "application/gzip", "application/x-tar", "application/octet-stream")
UPLOAD_BODY = {
    "required": True,
    "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in ARCHIVE_TYPES},
}


def app_builder(request: Request) -> AppBuilder:
    found: AppBuilder = request.app.state.builder
    return found


Builder = Annotated[AppBuilder, Depends(app_builder)]


class AppSummary(BaseModel):
    app_name: str
    base_model: str
    built_at: str
    modules: int

    @classmethod
    def of(cls, info: AppInfo) -> AppSummary:
        return cls(
            app_name=info.app_name, base_model=info.base_model, built_at=info.built_at.isoformat(), modules=info.modules
        )


@router.post(
    "/apps",
    status_code=202,
    openapi_extra={"requestBody": UPLOAD_BODY},
    responses=errors(400, 413, 422),
)
async def upload_app(
    workspace: WorkspaceId,
    builder: Builder,
    request: Request,
    name: Annotated[str, Query(description="The app's name; an app of that name is replaced once built.")],
) -> AppBuild:
    """Upload a zip, tar or tar.gz of a prototype as the raw body; a build (unpack → scan → plan → build) starts
    and its record is returned: poll `GET …/builds/{id}`. Nothing uploaded is ever imported or run."""
    check_app_name(name)
    limit = builder.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLargeError(f"the upload is over the limit of {limit} bytes")
    builder.workspace_dir(workspace).mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".upload-", dir=builder.workspace_dir(workspace)))
    try:
        size = 0
        with (staging / "upload").open("wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise TooLargeError(f"the upload is over the limit of {limit} bytes")
                out.write(chunk)
        if size == 0:
            raise InvalidInputError("the body is empty: send the archive's bytes as the request body")
        archive_kind(staging / "upload")  # refuse what is no archive before a build exists
        build = builder.builds.create(workspace, name)
        target = builder.upload_dir(workspace, build.id)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    builder.submit(build)
    return build


@router.get("/builds")
def list_builds(workspace: WorkspaceId, builder: Builder) -> list[AppBuild]:
    """The newest builds first."""
    return builder.builds.recent(workspace)


@router.get("/builds/{build_id}")
def get_build(workspace: WorkspaceId, builder: Builder, build_id: str) -> AppBuild:
    return builder.builds.get(workspace, build_id)


@router.get("/apps")
def list_apps(workspace: WorkspaceId, builder: Builder) -> list[AppSummary]:
    return [AppSummary.of(info) for info in Tenancy(builder.store).apps(workspace)]


@router.get("/apps/{app_name}")
def get_app(workspace: WorkspaceId, builder: Builder, app_name: str) -> AppSummary:
    return AppSummary.of(Tenancy(builder.store).app(workspace, app_name))


@router.delete("/apps/{app_name}", status_code=204)
def delete_app(workspace: WorkspaceId, builder: Builder, app_name: str) -> None:
    """Remove the app with its modules and routes; its traces, corrections and adapters stay for a re-upload."""
    Tenancy(builder.store).delete_app(workspace, app_name)
    shutil.rmtree(builder.app_dir(workspace, app_name), ignore_errors=True)


@router.get("/apps/{app_name}/plan")
def get_plan(workspace: WorkspaceId, builder: Builder, app_name: str) -> Plan:
    return Tenancy(builder.store).manifest(workspace, app_name).plan


@router.get("/apps/{app_name}/plan.mmd", response_class=PlainTextResponse)
def get_mermaid(workspace: WorkspaceId, builder: Builder, app_name: str) -> str:
    """The plan as a Mermaid graph: modules, their kinds and agents, calls between them."""
    return Tenancy(builder.store).manifest(workspace, app_name).plan.mermaid


@router.get(
    "/apps/{app_name}/archive",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}},
)
def download_app(workspace: WorkspaceId, builder: Builder, app_name: str) -> StreamingResponse:
    """The built app (rewritten stubs, manifest, plan) as a zip."""
    Tenancy(builder.store).app(workspace, app_name)
    folder = builder.app_dir(workspace, app_name)
    if not folder.is_dir():
        raise NotFoundError(f"the files of app {app_name!r} are not on this server")
    return StreamingResponse(
        zip_folder(folder),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{app_name}.zip"'},
    )
