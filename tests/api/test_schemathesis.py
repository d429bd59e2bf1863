"""Schemathesis against the multi-tenant server's served OpenAPI schema (real HTTP): every operation, with a
workspace key and then with the admin key, and no generated request may get a server error (5xx)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from agentforge.api import create_service
from agentforge.llm.testing import TestModel
from agentforge.runtime.host import BackgroundServer
from agentforge.store import Store

from .test_service import ADMIN, MODULE, SUPPORT_DESK, Server, built, zip_of

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def _run(url: str, key: str, config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [str(SCHEMATHESIS), "--config-file", str(config), "run", f"{url}/openapi.json"]
    command += ["--checks", "not_a_server_error", "-H", f"Authorization: Bearer {key}", "-n", "25", "--seed", "7"]
    command += ["--suppress-health-check", "filter_too_much,too_slow", "--request-timeout", "30", *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is not installed (the dev extra)")
def test_no_generated_request_gets_a_server_error(store: Store, tmp_path: Path) -> None:
    app = create_service(store, TestModel(), tmp_path / "data", admin_key=ADMIN)
    with BackgroundServer(app, lifespan=True) as running:
        server = Server(running.url, tmp_path / "data", store)
        key = server.workspace("fuzz")
        with server.client(key) as client:
            assert built(client, "fuzz", zip_of(SUPPORT_DESK))["state"] == "succeeded"
        config = tmp_path / "schemathesis.toml"
        config.write_text(f'[parameters]\nworkspace = "fuzz"\nmodule_id = "{MODULE}"\n')
        tenant = _run(running.url, key, config, "--exclude-tag", "admin")
        assert tenant.returncode == 0, tenant.stdout[-6000:] + tenant.stderr[-2000:]
        cases = re.search(r"(\d+) generated, (\d+) passed", tenant.stdout)
        assert cases is not None and cases.group(1) == cases.group(2) and int(cases.group(1)) >= 200, tenant.stdout
        admin = _run(running.url, ADMIN, config, "--include-tag", "admin")
        assert admin.returncode == 0, admin.stdout[-6000:] + admin.stderr[-2000:]
