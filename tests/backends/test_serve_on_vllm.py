"""Moving a built app from the embedded default to vLLM is configuration only: `agentforge serve --backend vllm`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from agentforge.build import build_app
from agentforge.plan import make_plan
from agentforge.scan import scan_repo
from tests.e2e.server import free_port

SAMPLE = Path(__file__).resolve().parents[2] / "sample_apps" / "support_desk"


@pytest.mark.slow
@pytest.mark.vllm
def test_serve_answers_through_vllm_by_configuration(vllm_url: str, tmp_path: Path) -> None:
    specs = scan_repo(SAMPLE).modules
    build_app(SAMPLE, specs, make_plan(specs, root=str(SAMPLE), base_model="smollm2"), tmp_path / "app")
    port = free_port()
    env = {**os.environ, "AGENTFORGE_BACKEND": "vllm", "AGENTFORGE_BACKEND_URL": vllm_url}
    command = [sys.executable, "-m", "agentforge", "serve", str(tmp_path / "app"), "--port", str(port)]
    command += ["--model", "smollm2-135m-instruct"]
    with (tmp_path / "serve.log").open("wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
                try:
                    health = httpx.get(f"{url}/health", timeout=2)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "serve did not start"
                    time.sleep(0.5)
            assert (health.json()["model"], health.json()["backend"]) == ("smollm2-135m-instruct", "OpenAICompatModel")
            answer = httpx.post(
                f"{url}/v1/invoke",
                json={"module": "classify_intent", "input": {"message": "I lost my card yesterday"}},
                timeout=120,
            ).json()
            assert answer["rung"] == "base" and not answer["fallback_used"]
            intents = next(s for s in specs if s.name == "classify_intent").output_schema["enum"]
            assert answer["output"] in intents
            metrics = httpx.get(f"{url}/metrics", timeout=10).text
            assert 'model="smollm2-135m-instruct"' in metrics
        finally:
            proc.terminate()
            proc.wait(timeout=30)
