from __future__ import annotations

import hashlib
import importlib.util
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from agentforge.artifacts import ModuleSpec, Plan
from agentforge.build import MANIFEST_FILE, MERMAID_FILE, PLAN_FILE, build_app, load_manifest
from agentforge.errors import BuildError
from agentforge.plan import make_plan, plan_from_yaml
from agentforge.scan import scan_repo

from .conftest import FakeRuntime, SpecFor

ASSISTANT = b'''"""Support desk assistant: every smart part is still a hard-coded stub."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel


class Intent(str, Enum):
    LOST_CARD = "lost_card"
    BILLING = "billing"


class CaseDetails(BaseModel):
    customer: str | None = None
    amount: float | None = None


def classify_intent(message: str) -> Intent:
    """Classify the customer's message into an intent."""
    # TODO: replace with a real model
    return Intent.LOST_CARD


def extract_details(message: str) -> CaseDetails:
    """Extract the case details from the message."""
    # TODO: replace with a real model
    return CaseDetails(customer="Jane Doe", amount=42.0)


def draft_reply(message: str, intent: Intent) -> str:
    """Draft a reply to the customer."""
    # TODO: replace with a real model
    return "Thanks for reaching out, we are on it."
'''
NAMES = ("classify_intent", "extract_details", "draft_reply")
PATH = "support_desk/assistant.py"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "support_desk_app"
    files = {
        PATH: ASSISTANT,
        "support_desk/__init__.py": b"",
        "README.md": b"# Support desk\n",
        ".git/HEAD": b"ref: refs/heads/main\n",
        ".venv/lib/site.py": b"x = 1\n",
        "node_modules/left-pad/index.js": b"module.exports = 1;\n",
        "support_desk/__pycache__/assistant.cpython-311.pyc": b"\x00",
        "support_desk/stale.pyc": b"\x00",
        ".pytest_cache/v/cache/lastfailed": b"{}",
        ".agentforge/agentforge.db": b"the source's own runtime data",
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


@pytest.fixture
def specs(make_spec: SpecFor) -> list[ModuleSpec]:
    found = [make_spec(ASSISTANT, name, PATH) for name in NAMES]
    found[2].calls = [f"{PATH}::classify_intent"]
    return found


@pytest.fixture
def plan(specs: list[ModuleSpec], repo: Path) -> Plan:
    return make_plan(specs, root=str(repo), base_model="SmolLM2-135M-Instruct")


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


def load_built(path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import a built module under a fresh name (test fixture code, not a user's)."""
    name = f"built_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def test_build_writes_the_app_and_its_manifest(repo: Path, tmp_path: Path, specs: list[ModuleSpec], plan: Plan) -> None:
    out = tmp_path / "built"
    manifest = build_app(repo, specs, plan, out, workspace_id="acme")
    assert (manifest.app_name, manifest.source_root, manifest.workspace_id) == (
        "support_desk_app",
        str(repo),
        "acme",
    )
    assert load_manifest(out) == manifest
    assert plan_from_yaml((out / PLAN_FILE).read_text()).modules == plan.modules
    assert (out / MERMAID_FILE).read_text() == manifest.plan.mermaid
    assert "m2 -->|tool| m0" in manifest.plan.mermaid  # draft_reply calls classify_intent: its coordinator's tool
    copied = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert copied == sorted([MANIFEST_FILE, PLAN_FILE, MERMAID_FILE, "README.md", PATH, "support_desk/__init__.py"])
    built = (out / PATH).read_bytes()
    assert built.count(b"return call_module(") == 3
    compile(built, PATH, "exec")
    assert not list(tmp_path.glob(".built.*")), "no staging folder is left behind"


def test_the_source_repo_is_never_modified(repo: Path, tmp_path: Path, specs: list[ModuleSpec], plan: Plan) -> None:
    before = tree_hashes(repo)
    build_app(repo, specs, plan, tmp_path / "built", app_name="desk")
    assert tree_hashes(repo) == before


def test_the_built_app_calls_the_runtime_and_falls_back_to_its_static_values(
    repo: Path,
    tmp_path: Path,
    specs: list[ModuleSpec],
    plan: Plan,
    runtime: FakeRuntime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build_app(repo, specs, plan, tmp_path / "built")
    app = load_built(tmp_path / "built" / PATH, monkeypatch)
    outputs = {
        f"{PATH}::classify_intent": "billing",
        f"{PATH}::extract_details": {"customer": "Ada", "amount": 3},
        f"{PATH}::draft_reply": "Hello Ada",
    }
    runtime.reply = lambda body: (200, {"output": outputs[body["module"]]})
    assert app.classify_intent("refund please") is app.Intent.BILLING
    assert app.extract_details("Ada paid 3") == app.CaseDetails(customer="Ada", amount=3.0)
    assert app.draft_reply("hi", app.Intent.BILLING) == "Hello Ada"
    assert runtime.requests[-1]["body"] == {
        "module": f"{PATH}::draft_reply",
        "input": {"message": "hi", "intent": "billing"},
    }
    monkeypatch.setenv("AGENTFORGE_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    assert app.classify_intent("refund please") is app.Intent.LOST_CARD
    assert app.extract_details("x") == app.CaseDetails(customer="Jane Doe", amount=42.0)


def test_a_rebuild_replaces_the_previous_build_cleanly(
    repo: Path, tmp_path: Path, specs: list[ModuleSpec], plan: Plan
) -> None:
    out = tmp_path / "built"
    build_app(repo, specs, plan, out)
    (out / "leftover.txt").write_text("from the first build")
    (out / ".agentforge").mkdir()
    (out / ".agentforge" / "agentforge.db").write_text("traces and corrections")
    build_app(repo, specs, plan, out)
    assert not (out / "leftover.txt").exists()
    assert (out / ".agentforge" / "agentforge.db").read_text() == "traces and corrections"
    assert load_manifest(out).plan.modules == plan.modules
    assert sorted(p.name for p in tmp_path.iterdir()) == ["built", "support_desk_app"]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (lambda repo, tmp: repo / "out", "is inside the repository"),
        (lambda repo, tmp: repo, "is inside the repository"),
        (lambda repo, tmp: tmp, "is inside the output folder"),
        (lambda repo, tmp: repo / "README.md", "is inside the repository"),
    ],
)
def test_unsafe_output_folders_are_refused(
    repo: Path,
    tmp_path: Path,
    specs: list[ModuleSpec],
    plan: Plan,
    where: Callable[[Path, Path], Path],
    message: str,
) -> None:
    with pytest.raises(BuildError, match=message):
        build_app(repo, specs, plan, where(repo, tmp_path))


def test_a_foreign_non_empty_folder_or_a_file_is_refused(
    repo: Path, tmp_path: Path, specs: list[ModuleSpec], plan: Plan
) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(BuildError, match=r"not empty and holds no agentforge\.yaml"):
        build_app(repo, specs, plan, tmp_path / "mine")
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"
    (tmp_path / "file").write_text("x")
    with pytest.raises(BuildError, match="is not a folder"):
        build_app(repo, specs, plan, tmp_path / "file")


def test_a_failed_build_leaves_nothing_behind(repo: Path, tmp_path: Path, specs: list[ModuleSpec], plan: Plan) -> None:
    (repo / PATH).write_bytes(ASSISTANT.replace(b"Intent.LOST_CARD\n", b"Intent.BILLING\n"))
    with pytest.raises(BuildError, match="file changed since scan"):
        build_app(repo, specs, plan, tmp_path / "built")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["support_desk_app"]


def test_plan_and_specs_must_match(repo: Path, tmp_path: Path, specs: list[ModuleSpec], plan: Plan) -> None:
    with pytest.raises(BuildError, match=r"the plan has no entry for .*draft_reply"):
        build_app(repo, specs, plan.model_copy(update={"modules": plan.modules[:2]}), tmp_path / "a")
    with pytest.raises(BuildError, match=r"names modules the scan did not find: .*draft_reply"):
        build_app(repo, specs[:2], plan, tmp_path / "b")


def test_load_manifest_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="is not an app built by agentforge"):
        load_manifest(tmp_path)
    (tmp_path / MANIFEST_FILE).write_text("app_name: x\n")
    with pytest.raises(BuildError, match="invalid manifest"):
        load_manifest(tmp_path)
    (tmp_path / MANIFEST_FILE).write_text("app_name: [\n")
    with pytest.raises(BuildError, match="cannot read the manifest"):
        load_manifest(tmp_path)


def test_scan_plan_build_end_to_end(repo: Path, tmp_path: Path) -> None:
    result = scan_repo(repo)
    assert {m.name for m in result.modules} >= set(NAMES)
    plan = make_plan(result.modules, root=result.root, base_model="m")
    kinds = {m.module_id.rpartition("::")[2]: m.kind for m in plan.modules}
    assert (kinds["classify_intent"], kinds["extract_details"], kinds["draft_reply"]) == (
        "classify",
        "extract",
        "generate",
    )
    manifest = build_app(repo, result.modules, plan, tmp_path / "built")
    built = (tmp_path / "built" / PATH).read_bytes()
    assert built.count(b"return call_module(") == len(result.modules)
    assert load_manifest(tmp_path / "built") == manifest


def test_a_module_the_review_excluded_stays_static(
    repo: Path, tmp_path: Path, specs: list[ModuleSpec], plan: Plan
) -> None:
    left = specs[1].id
    reviewed = plan.model_copy(update={"modules": [m for m in plan.modules if m.module_id != left], "excluded": [left]})
    manifest = build_app(repo, specs, reviewed, tmp_path / "built")
    assert [s.id for s in manifest.specs] == [specs[0].id, specs[2].id]
    assert manifest.plan.excluded == [left]
    built = (tmp_path / "built" / PATH).read_bytes()
    assert built.count(b"return call_module(") == 2
    source = (repo / PATH).read_bytes()
    static = source[specs[1].span.start_byte : specs[1].span.end_byte]
    assert static in built
