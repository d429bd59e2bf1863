"""`build` on every real prototype of the shared corpus: each succeeds, every rewritten file parses, and a file
that compiled (Python) or type-checked (TypeScript) before still does.

The corpus (`../shared/datasets/prototypes/`) is read in place and unpacked by the package's own unpacker into
temporary folders; nothing in it is imported or run (Python files are only byte-compiled, TypeScript files
only type-checked).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from agentforge.build import build_app
from agentforge.build.manifest import Manifest
from agentforge.build.rewrite_script import parse_script
from agentforge.plan import make_plan
from agentforge.scan import scan_repo
from agentforge.scan.archives import unpack_archive
from agentforge.scan.python.syntax import new_parser

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "datasets" / "prototypes"
TYPESCRIPT = "5.9.3"
pytestmark = pytest.mark.skipif(not (CORPUS / "truth.json").is_file(), reason="the shared prototype corpus is absent")


def _repos() -> list[str]:
    if not (CORPUS / "truth.json").is_file():
        return []
    return [repo["archive"] for repo in json.loads((CORPUS / "truth.json").read_text(encoding="utf-8"))["repos"]]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path, Manifest]]:
    """Every corpus repository unpacked, scanned, planned and built: archive -> (source, built app, manifest)."""
    out: dict[str, tuple[Path, Path, Manifest]] = {}
    for archive in _repos():
        work = tmp_path_factory.mktemp("corpus")
        root = unpack_archive(CORPUS / archive, work / "src").root
        result = scan_repo(root)
        plan = make_plan(result.modules, root=str(root), base_model="smollm2-135m-instruct")
        out[archive] = root, work / "app", build_app(root, result.modules, plan, work / "app")
    return out


def test_every_repository_builds_with_every_stub_rewritten(built: dict[str, tuple[Path, Path, Manifest]]) -> None:
    assert set(built) == set(_repos())
    for archive, (_, app, manifest) in built.items():
        assert manifest.specs, archive
        for spec in manifest.specs:
            rewritten = (app / spec.path).read_text(encoding="utf-8", errors="replace")
            assert f"module {spec.id})" in rewritten, spec.id


def test_every_rewritten_file_parses_and_python_still_compiles(built: dict[str, tuple[Path, Path, Manifest]]) -> None:
    parser = new_parser()
    for root, app, manifest in built.values():
        for rel in {spec.path for spec in manifest.specs}:
            before, after = (root / rel).read_bytes(), (app / rel).read_bytes()
            if rel.endswith(".py"):
                had_errors = parser.parse(before).root_node.has_error
                assert had_errors or not parser.parse(after).root_node.has_error, rel
                if _compiles(before, rel):
                    assert _compiles(after, rel), rel
            else:
                had_errors = parse_script(rel, before).root_node.has_error
                assert had_errors or not parse_script(rel, after).root_node.has_error, rel


def _compiles(source: bytes, rel: str) -> bool:
    try:
        compile(source, rel, "exec", dont_inherit=True)  # byte-compiled, never run
    except (SyntaxError, ValueError):
        return False
    return True


@pytest.fixture(scope="module")
def tsc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed")
    prefix = tmp_path_factory.mktemp("typescript")
    done = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--prefix", str(prefix), f"typescript@{TYPESCRIPT}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return prefix / "node_modules" / ".bin" / "tsc"


@pytest.mark.slow
def test_rewritten_typescript_adds_no_type_error(tsc: Path, built: dict[str, tuple[Path, Path, Manifest]]) -> None:
    """Each rewritten TypeScript file is checked alone (its imports unresolved, as the prototypes' own
    packages are not installed) before and after, with the generated client beside it: the rewrite may add
    no diagnostic that the original did not have."""
    checked = 0
    for root, app, manifest in built.values():
        files = sorted({s.path for s in manifest.specs if s.path.endswith((".ts", ".tsx"))})
        if not files:
            continue
        before = _diagnostics(tsc, root, files)
        client = sorted(p.relative_to(app).as_posix() for p in app.rglob("agentforge_client.ts"))
        after = _diagnostics(tsc, app, files + client)
        assert after - before == Counter(), f"{files}: new diagnostics {after - before}"
        checked += len(files)
    assert checked >= 5


_DIAGNOSTIC = re.compile(r"^(?P<file>[^(]+)\(\d+,\d+\): error (?P<code>TS\d+): (?P<message>.*)$", re.MULTILINE)


def _diagnostics(tsc: Path, cwd: Path, files: list[str]) -> Counter[tuple[str, str, str]]:
    options = ["--noEmit", "--noResolve", "--skipLibCheck", "--target", "es2022", "--module", "esnext",
               "--moduleResolution", "bundler", "--jsx", "preserve", "--lib", "es2022,dom"]  # fmt: skip
    done = subprocess.run([str(tsc), *options, *files], cwd=cwd, capture_output=True, text=True, timeout=300)
    return Counter((m["file"], m["code"], m["message"]) for m in _DIAGNOSTIC.finditer(done.stdout))
