"""Build of JavaScript/TypeScript stubs: exact body rewrites, the generated client, and the built code run by
Node against a real HTTP server on 127.0.0.1 (see conftest)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from agentforge.build import build_app
from agentforge.build.rewrite_script import parse_script
from agentforge.errors import BuildError
from agentforge.plan import make_plan
from agentforge.scan import scan_repo

from .conftest import FakeRuntime

REPO = Path(__file__).parent / "script_repo"
NODE = shutil.which("node")
IMPORT_LINE = re.compile(rb"^(import|const) \{[^}]*\} (from|= require\() ?\"[./]*[\w/]*agentforge_client[^\n]*\n", re.M)
needs_node = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("built") / "app"
    specs = scan_repo(REPO).modules
    build_app(REPO, specs, make_plan(specs, root=str(REPO), base_model="test"), out)
    return out


def test_every_stub_is_rewritten_and_every_other_byte_is_kept(built: Path) -> None:
    specs = scan_repo(REPO).modules
    assert {s.id for s in specs} == {
        "src/lib.ts::judge",
        "src/lib.ts::Writer.greet",
        "src/lib.ts::tagline",
        "src/lib.ts::summarize",
        "src/ai.mjs::suggestTitle",
        "legacy/old.js::classify",
    }
    assert (built / "src/util.ts").read_bytes() == (REPO / "src/util.ts").read_bytes()
    for rel in {s.path for s in specs}:
        original, result = (REPO / rel).read_bytes(), (built / rel).read_bytes()
        assert not parse_script(rel, result).root_node.has_error, rel
        result, inserted = IMPORT_LINE.subn(b"", result, count=1)
        assert inserted == 1, rel
        spans = sorted((s.body_span.start_byte, s.body_span.end_byte) for s in specs if s.path == rel)
        cuts = [0, *(b for span in spans for b in span), len(original)]
        position = 0
        for start, end in zip(cuts[::2], cuts[1::2], strict=True):  # the text outside every body, in order
            found = result.find(original[start:end], position)
            assert found >= 0, f"{rel}: bytes {start}-{end} of the original are not in the build"
            position = found + end - start
        assert result.count(b"agentforgeStatic") == 2 * len(spans)


def test_import_follows_the_module_system_and_the_header(built: Path) -> None:
    lib = (built / "src/lib.ts").read_text()
    assert lib.splitlines()[:2] == [
        'import { clean } from "./util";',
        'import { agentforgeCall, agentforgeCallSync } from "./agentforge_client";',
    ]
    old = (built / "legacy/old.js").read_text().splitlines()
    assert old[:3] == [
        "#!/usr/bin/env node",
        '"use strict";',
        'const { agentforgeCallSync } = require("./agentforge_client.cjs");',
    ]
    assert 'import { agentforgeCall } from "./agentforge_client.mjs";' in (built / "src/ai.mjs").read_text()
    client = (built / "src/agentforge_client.ts").read_text()
    assert 'export type ModuleId = "legacy/old.js::classify" | "src/ai.mjs::suggestTitle" |' in client
    assert (
        "module.exports = { MODULE_IDS, AgentforgeClientError, agentforgeCall, agentforgeCallSync, "
        "agentforgePieces, agentforgeFeed };" in (built / "legacy/agentforge_client.cjs").read_text()
    )


def test_destructured_parameters_and_placeholders(built: Path) -> None:
    lib = (built / "src/lib.ts").read_text()
    assert "{ arg0: { text, limit } }" in lib
    assert "src/lib.ts::summarize has no static fallback" in lib
    assert "`${this.prefix} ${name},\nlorem ipsum dolor sit amet`" in lib  # template literal lines not re-indented


def _node(built: Path, script: str, *, esm: bool = True) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    flag = "--input-type=module" if esm else "--input-type=commonjs"
    return subprocess.run([NODE, flag, "-e", script], cwd=built, capture_output=True, text=True, timeout=60)


@needs_node
def test_built_js_calls_the_runtime_async_and_sync(built: Path, runtime: FakeRuntime) -> None:
    runtime.reply = lambda body: (200, {"output": f"from {body['module']}"})
    script = (
        'import { suggestTitle } from "./src/ai.mjs";\n'
        'import { createRequire } from "node:module";\n'
        'const { classify } = createRequire(import.meta.url)("./legacy/old.js");\n'
        'console.log(JSON.stringify([await suggestTitle("snow on the platform"), classify("refund me")]));'
    )
    run = _node(built, script)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == ["from src/ai.mjs::suggestTitle", "from legacy/old.js::classify"]
    assert [r["body"] for r in runtime.requests] == [
        {"module": "src/ai.mjs::suggestTitle", "input": {"text": "snow on the platform"}},
        {"module": "legacy/old.js::classify", "input": {"ticket": "refund me"}},
    ]
    assert "falls back" not in run.stderr


@needs_node
@pytest.mark.parametrize("status", [503, 429])
def test_an_unavailable_runtime_falls_back_to_the_static_value(built: Path, runtime: FakeRuntime, status: int) -> None:
    runtime.reply = lambda body: (status, {"detail": "busy"})
    run = _node(built, 'const { classify } = require("./legacy/old.js"); console.log(classify("x"));', esm=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "billing"
    assert f"legacy/old.js::classify falls back to its static value: runtime answered {status}: busy" in run.stderr


@needs_node
def test_an_unreachable_runtime_falls_back(built: Path, dead_url: str) -> None:
    run = _node(built, 'import { suggestTitle } from "./src/ai.mjs"; console.log(await suggestTitle("x"));')
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() in ("A", "B")
    assert "src/ai.mjs::suggestTitle falls back to its static value" in run.stderr


@needs_node
@pytest.mark.parametrize("esm", [True, False])
def test_a_refused_call_throws(built: Path, runtime: FakeRuntime, esm: bool) -> None:
    runtime.reply = lambda body: (404, {"detail": {"message": "unknown module"}})
    if esm:
        script = 'import { suggestTitle } from "./src/ai.mjs"; await suggestTitle("x");'
    else:
        script = 'require("./legacy/old.js").classify("x");'
    run = _node(built, script, esm=esm)
    assert run.returncode != 0
    assert "AgentforgeClientError" in run.stderr
    assert "refused the call (404)" in run.stderr and "unknown module" in run.stderr


def test_a_client_file_of_the_repo_is_never_overwritten(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    (repo / "src/agentforge_client.ts").write_text("export const mine = 1;\n")
    specs = scan_repo(repo).modules
    with pytest.raises(BuildError, match=r"agentforge_client\.ts already exists"):
        build_app(repo, specs, make_plan(specs, root=str(repo), base_model="test"), tmp_path / "out")
    assert not (tmp_path / "out").exists()
