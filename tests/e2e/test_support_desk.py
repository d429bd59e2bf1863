"""The sample prototype, built and served for real with the default model."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from agentforge.build import build_app
from agentforge.plan import make_plan
from agentforge.scan import scan_repo
from agentforge.store import Store

from .server import serve

SAMPLE = Path(__file__).resolve().parents[2] / "sample_apps" / "support_desk"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("built") / "support_desk"
    result = scan_repo(SAMPLE)
    build_app(SAMPLE, result.modules, make_plan(result.modules, root=str(SAMPLE), base_model="smollm2"), out)
    return out


def _counter(metrics: str, name: str, module: str, rung: str) -> float:
    labels = rf'adapter="",model="[^"]*",module="{re.escape(module)}",rung="{rung}",workspace="default"'
    pattern = rf"{name}\{{{labels}\}} ([0-9.]+)"
    found = re.search(pattern, metrics)
    return float(found.group(1)) if found else 0.0


@pytest.mark.slow
def test_built_app_own_tests_pass_against_serve(built: Path) -> None:
    with serve(built) as (url, _):
        env = {**os.environ, "AGENTFORGE_URL": url}
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
            cwd=built,
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        metrics = httpx.get(f"{url}/metrics").text
    for name in ("classify_intent", "extract_details", "draft_reply"):
        module = f"support_desk/assistant.py::{name}"
        assert _counter(metrics, "agentforge_calls_total", module, "base") > 0, name
        assert _counter(metrics, "agentforge_static_fallbacks_total", module, "static") == 0, name


@pytest.mark.slow
def test_corrections_over_http_are_validated_and_survive_sigkill(built: Path) -> None:
    db = built / ".agentforge" / "agentforge.db"
    with serve(built) as (url, proc):
        extract = httpx.post(
            f"{url}/v1/invoke",
            json={"module": "extract_details", "input": {"message": "Charged 40 EUR twice at Lidl"}},
            timeout=120,
        ).json()
        assert extract["rung"] == "base"
        bad = httpx.post(f"{url}/v1/traces/{extract['trace_id']}/corrections", json={"value": {"amount": "lots"}})
        assert bad.status_code == 422
        assert bad.json()["detail"]["field"] == "amount"
        assert httpx.post(f"{url}/v1/traces/nope/corrections", json={"value": "lost_card"}).status_code == 404
        assert httpx.post(f"{url}/v1/invoke", json={"module": "nope", "input": {}}).status_code == 404

        trace = httpx.post(
            f"{url}/v1/invoke",
            json={"module": "classify_intent", "input": {"message": "I lost my card on the bus"}},
            timeout=120,
        ).json()
        assert httpx.post(f"{url}/v1/traces/{trace['trace_id']}/corrections", json={"value": "lost"}).status_code == 422
        ack = httpx.post(f"{url}/v1/traces/{trace['trace_id']}/corrections", json={"value": "lost_card"})
        assert ack.status_code == 201
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    with Store.open(f"sqlite:///{db}") as store:
        assert store.count_corrections("default", extract["module"]) == 0
        examples = store.list_examples("default", trace["module"])
    assert [(e.trace_id, e.target) for e in examples] == [(trace["trace_id"], "lost_card")]
