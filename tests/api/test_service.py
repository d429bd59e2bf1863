"""The multi-tenant server over real HTTP (uvicorn on loopback), SQLite and PostgreSQL, with a fake model:
workspaces and keys, upload → build → app, the runtime per workspace, and tenants kept apart."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from agentforge.api import create_service
from agentforge.llm.testing import TestModel
from agentforge.runtime.host import BackgroundServer
from agentforge.scan.archives import ArchiveLimits
from agentforge.store import Store

from ..store.test_store_conformance import make_adapter

ROOT = Path(__file__).resolve().parents[2]
SUPPORT_DESK = ROOT / "sample_apps" / "support_desk"
ADMIN = "admin-" + "x" * 40
MODULE = "support_desk/assistant.py::classify_intent"


def zip_of(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, (Path(folder.name) / path.relative_to(folder)).as_posix())
    return buffer.getvalue()


@dataclass
class Server:
    url: str
    data: Path
    store: Store

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def workspace(self, workspace_id: str) -> str:
        """Create the workspace through the admin route; its first key."""
        with self.client(ADMIN) as admin:
            created = admin.post("/v1/workspaces", json={"workspace_id": workspace_id})
        assert created.status_code == 201, created.text
        key: str = created.json()["key"]["key"]
        return key


@pytest.fixture
def server(store: Store, tmp_path: Path) -> Iterator[Server]:
    app = create_service(
        store,
        TestModel(),
        tmp_path / "data",
        admin_key=ADMIN,
        limits=ArchiveLimits(max_total_bytes=4 << 20, max_file_bytes=2 << 20),
        max_upload_bytes=1 << 20,
    )
    with BackgroundServer(app, lifespan=True) as running:
        yield Server(running.url, tmp_path / "data", store)


def built(client: httpx.Client, workspace: str, body: bytes, name: str = "support_desk") -> dict[str, Any]:
    """Upload an archive and wait for its build to end; the build record."""
    started = client.post(
        f"/v1/workspaces/{workspace}/apps",
        params={"name": name},
        content=body,
        headers={"Content-Type": "application/zip"},
    )
    assert started.status_code == 202, started.text
    build_id = started.json()["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        build: dict[str, Any] = client.get(f"/v1/workspaces/{workspace}/builds/{build_id}").json()
        if build["state"] in ("succeeded", "failed"):
            return build
        time.sleep(0.2)
    raise AssertionError(f"build {build_id} did not end")


def test_upload_build_invoke_correct_download(server: Server) -> None:
    key = server.workspace("acme")
    with server.client(key) as client:
        build = built(client, "acme", zip_of(SUPPORT_DESK))
        assert (build["state"], build["stage"], build["progress"], build["modules"]) == ("succeeded", "done", 1.0, 3)
        apps = client.get("/v1/workspaces/acme/apps").json()
        assert [(a["app_name"], a["modules"]) for a in apps] == [("support_desk", 3)]
        plan = client.get("/v1/workspaces/acme/apps/support_desk/plan").json()
        assert {m["module_id"] for m in plan["modules"]} >= {MODULE}
        mermaid = client.get("/v1/workspaces/acme/apps/support_desk/plan.mmd")
        assert mermaid.headers["content-type"].startswith("text/plain") and "classify_intent" in mermaid.text

        module = client.get(f"/v1/workspaces/acme/modules/{MODULE}").json()
        answer = client.post(f"/v1/workspaces/acme/modules/{MODULE}:invoke", json={"input": {"message": "my card"}})
        assert answer.status_code == 200, answer.text
        call = answer.json()
        assert call["output"] in module["output_schema"]["enum"]
        label = next(v for v in module["output_schema"]["enum"] if v != call["output"])
        fixed = client.post(f"/v1/workspaces/acme/traces/{call['trace_id']}/corrections", json={"value": label})
        assert fixed.status_code == 201 and fixed.json()["value"] == label
        assert [t["id"] for t in client.get("/v1/workspaces/acme/traces", params={"module": MODULE}).json()] == [
            call["trace_id"]
        ]
        queued = client.post(f"/v1/workspaces/acme/modules/{MODULE}:train", json={})
        assert queued.status_code == 202 and queued.json()["created"] is True
        job = queued.json()["job"]
        assert client.get(f"/v1/workspaces/acme/jobs/{job['id']}").json()["state"] == "queued"
        assert client.post(f"/v1/workspaces/acme/jobs/{job['id']}:cancel").json()["state"] == "cancelled"
        assert client.post(f"/v1/workspaces/acme/jobs/{job['id']}:cancel").status_code == 409

        download = client.get("/v1/workspaces/acme/apps/support_desk/archive")
        assert download.headers["content-type"] == "application/zip"
        names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
        assert {"agentforge.yaml", "agentforge.plan.mmd", "support_desk/assistant.py"} <= set(names)
        rewritten = zipfile.ZipFile(io.BytesIO(download.content)).read("support_desk/assistant.py").decode()
        assert "agentforge" in rewritten and rewritten != (SUPPORT_DESK / "support_desk/assistant.py").read_text()

        assert client.delete("/v1/workspaces/acme/apps/support_desk").status_code == 204
        assert client.get("/v1/workspaces/acme/apps/support_desk").status_code == 404
        assert client.post(f"/v1/workspaces/acme/modules/{MODULE}:invoke", json={"input": {}}).status_code == 404
        assert not (server.data / "workspaces" / "acme" / "apps" / "support_desk").exists()
        again = built(client, "acme", zip_of(SUPPORT_DESK))
        assert again["state"] == "succeeded"
        kept = client.get("/v1/workspaces/acme/traces", params={"module": MODULE}).json()
        assert [t["id"] for t in kept] == [call["trace_id"]], "a re-upload keeps what the module learned"


def test_a_key_of_one_workspace_gets_404_for_every_id_of_another(server: Server) -> None:
    key_a, key_b = server.workspace("alpha"), server.workspace("beta")
    with server.client(key_a) as a, server.client(key_b) as b:
        assert built(a, "alpha", zip_of(SUPPORT_DESK))["state"] == "succeeded"
        build_b = built(b, "beta", zip_of(SUPPORT_DESK), name="desk_b")
        trace_b = b.post(f"/v1/workspaces/beta/modules/{MODULE}:invoke", json={"input": {"message": "x"}}).json()
        job_b = b.post(f"/v1/workspaces/beta/modules/{MODULE}:train", json={}).json()["job"]
        server.store.add_adapter(make_adapter("classify@beta00000001", workspace_id="beta", module_id=MODULE))
        assert b.get("/v1/workspaces/beta/adapters/classify@beta00000001").status_code == 200

        ids_of_b = [
            ("get", "/apps"),
            ("get", "/apps/desk_b"),
            ("get", "/apps/desk_b/plan"),
            ("get", "/apps/desk_b/archive"),
            ("delete", "/apps/desk_b"),
            ("get", f"/builds/{build_b['id']}"),
            ("get", "/modules"),
            ("get", f"/modules/{MODULE}"),
            ("get", f"/traces/{trace_b['trace_id']}"),
            ("get", f"/jobs/{job_b['id']}"),
            ("post", f"/jobs/{job_b['id']}:cancel"),
            ("get", "/adapters/classify@beta00000001"),
            ("get", "/adapters/classify@beta00000001/report"),
            ("post", "/adapters/classify@beta00000001:promote"),
        ]
        for method, path in ids_of_b:
            # B's ids under B's path with A's key, and under A's own path: never found
            assert a.request(method, f"/v1/workspaces/beta{path}").status_code == 404, path
            if "desk_b" in path or "beta0" in path or any(i in path for i in (build_b["id"], job_b["id"])):
                assert a.request(method, f"/v1/workspaces/alpha{path}").status_code == 404, path
        assert a.get(f"/v1/workspaces/alpha/traces/{trace_b['trace_id']}").status_code == 404
        assert (
            a.post(f"/v1/workspaces/alpha/traces/{trace_b['trace_id']}/corrections", json={"value": "x"}).status_code
            == 404
        )
        assert a.get("/v1/workspaces/nowhere/apps").status_code == 404
        # nothing of B changed
        assert b.get(f"/v1/workspaces/beta/jobs/{job_b['id']}").json()["state"] == "queued"
        assert [x["app_name"] for x in b.get("/v1/workspaces/beta/apps").json()] == ["desk_b"]


def test_keys_only_hashes_stored_revoked_key_refused_at_once(server: Server) -> None:
    key = server.workspace("keys")
    with server.client(key) as client, server.client(ADMIN) as admin:
        assert client.get("/v1/workspaces/keys/apps").status_code == 200
        second = admin.post("/v1/workspaces/keys/keys", json={"name": "ci"}).json()
        with server.store.engine.connect() as conn:
            stored = " ".join(str(v) for row in conn.execute(text("SELECT * FROM api_keys")) for v in row)
        assert key not in stored and second["key"] not in stored
        assert key.split(".")[1] not in stored and second["key"].split(".")[1] not in stored
        assert admin.delete(f"/v1/workspaces/keys/keys/{key.split('.')[0]}").json()["revoked_at"]
        refused = client.get("/v1/workspaces/keys/apps")
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    with server.client(second["key"]) as other:
        assert other.get("/v1/workspaces/keys/apps").status_code == 200
    with server.client() as anonymous, server.client("afk_000000000000." + "A" * 43) as forged:
        assert anonymous.get("/v1/workspaces/keys/apps").status_code == 401
        assert forged.get("/v1/workspaces/keys/apps").status_code == 401
        assert anonymous.get("/v1/workspaces").status_code == 401
        assert forged.get("/metrics").status_code == 401
    with server.client(key) as revoked:
        assert revoked.post("/v1/workspaces", json={"workspace_id": "evil"}).status_code == 401


def test_hostile_and_oversized_uploads_are_refused_and_leave_nothing(server: Server) -> None:
    key = server.workspace("safe")
    slip = io.BytesIO()
    with zipfile.ZipFile(slip, "w") as archive:
        archive.writestr("app/ok.py", "x = 1\n")
        archive.writestr("../../escaped.py", "import os\n")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app/zeros.txt", b"\0" * (3 << 20))
    with server.client(key) as client:
        refused = built(client, "safe", slip.getvalue())
        assert refused["state"] == "failed" and "escaped.py" in refused["error"]
        zeros = built(client, "safe", bomb.getvalue())
        assert zeros["state"] == "failed" and "larger than" in zeros["error"]
        not_archive = client.post("/v1/workspaces/safe/apps", params={"name": "x"}, content=b"#!/bin/sh\nrm -rf /\n")
        assert not_archive.status_code == 400
        too_big = client.post(
            "/v1/workspaces/safe/apps", params={"name": "x"}, content=b"PK\x03\x04" + b"0" * (2 << 20)
        )
        assert too_big.status_code == 413
        bad_name = client.post("/v1/workspaces/safe/apps", params={"name": "../up"}, content=zip_of(SUPPORT_DESK))
        assert bad_name.status_code == 422
        assert client.get("/v1/workspaces/safe/apps").json() == []
        assert client.get("/health").json()["status"] == "ok"
    workspace = server.data / "workspaces" / "safe"
    assert [p for p in workspace.rglob("*") if p.is_file()] == []
    assert not (server.data.parent / "escaped.py").exists() and not (server.data / "escaped.py").exists()


def test_a_deleted_workspace_loses_its_keys_and_files(server: Server) -> None:
    key = server.workspace("gone")
    with server.client(key) as client, server.client(ADMIN) as admin:
        assert built(client, "gone", zip_of(SUPPORT_DESK))["state"] == "succeeded"
        assert [w["workspace_id"] for w in admin.get("/v1/workspaces").json()] == ["gone"]
        assert admin.delete("/v1/workspaces/gone").status_code == 204
        assert client.get("/v1/workspaces/gone/apps").status_code == 401
        assert admin.delete("/v1/workspaces/gone").status_code == 404
    assert not (server.data / "workspaces" / "gone").exists()


def test_builds_a_stopped_server_left_are_resumed_or_failed_with_a_reason(store: Store, tmp_path: Path) -> None:
    from agentforge.store.builds import Builds

    builds = Builds(store)
    kept, lost = builds.create("resume", "support_desk"), builds.create("resume", "lost")
    upload = tmp_path / "data" / "workspaces" / "resume" / "uploads" / kept.id / "upload"
    upload.parent.mkdir(parents=True)
    upload.write_bytes(zip_of(SUPPORT_DESK))
    app = create_service(store, TestModel(), tmp_path / "data", admin_key=ADMIN)
    with BackgroundServer(app, lifespan=True):
        deadline = time.monotonic() + 120
        while not builds.get("resume", kept.id).state.finished and time.monotonic() < deadline:
            time.sleep(0.2)
    assert builds.get("resume", kept.id).state == "succeeded"
    failed = builds.get("resume", lost.id)
    assert failed.state == "failed" and failed.error is not None and "upload it again" in failed.error
    assert not upload.parent.exists()


def test_openapi_documents_every_route_with_its_errors(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 's.db'}") as store:
        schema = create_service(store, TestModel(), tmp_path / "data").openapi()
    paths = schema["paths"]
    invoke = paths["/v1/workspaces/{workspace}/modules/{module_id}:invoke"]["post"]
    assert {"401", "404", "422", "429", "502", "503"} <= set(invoke["responses"])
    upload = paths["/v1/workspaces/{workspace}/apps"]["post"]
    assert {"400", "401", "404", "413", "422"} <= set(upload["responses"])
    assert "application/zip" in upload["requestBody"]["content"]
    for path, methods in paths.items():
        for method, operation in methods.items():
            if path.startswith("/v1/workspaces/{workspace}/") and not path.endswith("/keys") and "/keys/" not in path:
                assert "404" in operation["responses"] and "401" in operation["responses"], (method, path)
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
