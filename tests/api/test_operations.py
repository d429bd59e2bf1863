"""Request ids, body bounds, per-key rate limits (memory and Redis) and JSON access logs of the multi-tenant
server, over real HTTP."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agentforge.api import create_service
from agentforge.api.operations import RateLimit
from agentforge.errors import ConfigError
from agentforge.llm.base import ModelRequest
from agentforge.llm.testing import FunctionModel, TestModel
from agentforge.runtime.host import BackgroundServer
from agentforge.store import Store

from .test_service import ADMIN, MODULE, SUPPORT_DESK, Server, built, zip_of

REDIS = os.environ.get("AGENTFORGE_TEST_REDIS_URL", "redis://127.0.0.1:6379")


def _running(store: Store, data: Path, rate_limit: RateLimit | None = None) -> BackgroundServer:
    app = create_service(store, TestModel(), data, admin_key=ADMIN, rate_limit=rate_limit, max_body_bytes=4096)
    return BackgroundServer(app, lifespan=True)


@pytest.fixture
def limited(store: Store, tmp_path: Path) -> Iterator[Server]:
    with _running(store, tmp_path / "data", RateLimit("5/minute")) as running:
        yield Server(running.url, tmp_path / "data", store)


@pytest.fixture
def redis_url() -> str:
    if not asyncio.run(RateLimit("1/second", REDIS).limiter.storage.check()):
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS}; CI must test shared rate limits on it")
        pytest.skip(f"Redis is not reachable at {REDIS}")
    return REDIS


def test_request_ids_are_echoed_or_made_and_named_in_errors(limited: Server) -> None:
    with limited.client() as client:
        given = client.get("/health", headers={"X-Request-ID": "trace-42.a_b"})
        assert given.headers["x-request-id"] == "trace-42.a_b"
        made = client.get("/health", headers={"X-Request-ID": "no spaces <allowed>"})
        assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
        refused = client.get("/v1/workspaces/x/apps")
        assert refused.status_code == 401
        assert refused.json()["detail"]["request_id"] == refused.headers["x-request-id"]


def test_a_key_over_its_rate_gets_429_with_retry_after_and_others_do_not(limited: Server) -> None:
    key_a, key_b = limited.workspace("ra"), limited.workspace("rb")  # the admin spends two of its own five
    with limited.client(key_a) as a, limited.client(key_b) as b:
        assert [a.get("/v1/workspaces/ra/apps").status_code for _ in range(5)] == [200] * 5
        over = a.get("/v1/workspaces/ra/apps")
        assert over.status_code == 429 and 1 <= int(over.headers["retry-after"]) <= 60
        assert "5/minute" in over.json()["detail"]["message"]
        assert b.get("/v1/workspaces/rb/apps").status_code == 200
        assert a.get("/health").status_code == 200, "health checks are never limited"
    with limited.client(key_a.split(".")[0] + ".wrong-secret") as spoofer:
        assert spoofer.get("/v1/workspaces/ra/apps").status_code == 401, "a wrong secret has its own budget"


def test_limits_are_shared_through_redis_by_two_servers(store: Store, tmp_path: Path, redis_url: str) -> None:
    namespace = f"agentforge-test-{uuid.uuid4().hex}"  # Redis outlives the test: counts start from zero
    with (
        _running(store, tmp_path / "one", RateLimit("3/minute", redis_url, namespace)) as one,
        _running(store, tmp_path / "two", RateLimit("3/minute", redis_url, namespace)) as two,
    ):
        key = Server(one.url, tmp_path / "one", store).workspace("shared")
        headers = {"Authorization": f"Bearer {key}"}
        codes = [
            httpx.get(f"{url}/v1/workspaces/shared/apps", headers=headers).status_code for url in (one.url, two.url)
        ]
        codes.append(httpx.get(f"{one.url}/v1/workspaces/shared/apps", headers=headers).status_code)
        assert codes == [200, 200, 200]
        assert httpx.get(f"{two.url}/v1/workspaces/shared/apps", headers=headers).status_code == 429


def test_bodies_over_the_bound_are_413_declared_or_streamed(limited: Server) -> None:
    key = limited.workspace("big")
    with limited.client(key) as client:
        path = "/v1/workspaces/big/modules/x:invoke"
        declared = client.post(path, json={"input": {"message": "x" * 5000}})
        assert declared.status_code == 413
        chunks = (b'{"input": {"message": "' + b"y" * 2048, b"y" * 4096 + b'"}}')
        streamed = client.post(path, content=iter(chunks), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413 and "4096" in streamed.json()["detail"]["message"]
        small = client.post(path, json={"input": {}})
        assert small.status_code == 404, "a small body reaches the route (no such module)"


def test_access_logs_are_json_lines_without_secrets(limited: Server, caplog: pytest.LogCaptureFixture) -> None:
    key = limited.workspace("logs")
    with caplog.at_level(logging.INFO, logger="agentforge.api.access"), limited.client(key) as client:
        client.get("/v1/workspaces/logs/apps?token=hunter2", headers={"X-Request-ID": "r-1"})
        deadline = time.monotonic() + 5  # the line is written once the response is sent, in the server's thread
        while "r-1" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "agentforge.api.access"]
    mine = next(r for r in records if r["request_id"] == "r-1")
    assert mine == {
        "request_id": "r-1",
        "method": "GET",
        "path": "/v1/workspaces/logs/apps",
        "status": 200,
        "ms": mine["ms"],
        "workspace": "logs",
        "key": key.split(".")[0],
    }
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert key.split(".")[1] not in text and "hunter2" not in text and ADMIN not in text


def test_a_bad_rate_or_storage_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="invalid rate limit"):
        RateLimit("lots per minute")
    with pytest.raises(ConfigError, match="rate-limit storage"):
        RateLimit("1/second", "carrier-pigeon://nest")


def test_a_client_that_disconnects_cancels_its_call(store: Store, tmp_path: Path) -> None:
    started, cancelled = [], []

    async def slow(request: ModelRequest) -> str:
        started.append(request)
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.append(request)
            raise
        return "lost_card"

    app = create_service(store, FunctionModel(slow), tmp_path / "data", admin_key=ADMIN)
    with BackgroundServer(app, lifespan=True) as running:
        server = Server(running.url, tmp_path / "data", store)
        key = server.workspace("gone")
        with server.client(key) as client:
            assert built(client, "gone", zip_of(SUPPORT_DESK))["state"] == "succeeded"
            with pytest.raises(httpx.ReadTimeout):
                client.post(
                    f"/v1/workspaces/gone/modules/{MODULE}:invoke", json={"input": {"message": "hi"}}, timeout=0.5
                )
            deadline = time.monotonic() + 5
            while not cancelled and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(started) == 1 and len(cancelled) == 1, "the model call was cancelled, not left to run"
            time.sleep(0.3)
            assert client.get("/v1/workspaces/gone/traces").json() == [], "no trace for an answer nobody got"


def test_the_server_freezes_its_start_up_heap_and_gives_it_back(store: Store, tmp_path: Path) -> None:
    import gc

    before = gc.get_freeze_count()
    with _running(store, tmp_path / "data"):
        assert gc.get_freeze_count() > before, "the start-up heap is out of the collector's reach while serving"
    assert gc.get_freeze_count() == 0, "and collected as before once the server stops"
