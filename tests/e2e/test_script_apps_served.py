"""The JS/TS sample prototypes, built and served for real with the default model: their own tests pass
with every stub answered by the runtime (no fallback to the static value)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from agentforge.build import build_app
from agentforge.plan import make_plan
from agentforge.scan import scan_repo

from .server import serve

SAMPLES = Path(__file__).resolve().parents[2] / "sample_apps"
NPM = shutil.which("npm")


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    run = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900, env=env)
    output = run.stdout + run.stderr
    assert run.returncode == 0, f"{' '.join(cmd)} failed:\n{output[-4000:]}"
    return output


@pytest.mark.slow
@pytest.mark.skipif(NPM is None, reason="npm is not installed")
@pytest.mark.parametrize("app", ["revops_copilot", "style_studio"])
def test_built_script_app_own_tests_pass_against_serve(app: str, tmp_path: Path) -> None:
    assert NPM is not None
    out = tmp_path / app
    specs = scan_repo(SAMPLES / app).modules
    build_app(SAMPLES / app, specs, make_plan(specs, root=str(SAMPLES / app), base_model="smollm2"), out)
    if (out / "package-lock.json").is_file():
        _run([NPM, "ci", "--no-audit", "--no-fund"], out)
    with serve(out) as (url, _):
        output = _run([NPM, "test"], out, env={**os.environ, "AGENTFORGE_URL": url})
        metrics = httpx.get(f"{url}/metrics", timeout=10).text
    assert "falls back to its static value" not in output
    assert re.search(r"^# fail 0$", output, re.M), output[-2000:]
    for spec in specs:
        calls = re.search(rf'agentforge_calls_total\{{[^}}]*module="{re.escape(spec.id)}"[^}}]*\}} ([0-9.]+)', metrics)
        assert calls is not None and float(calls.group(1)) >= 1, f"{spec.id} was never served"
