"""Incremental JS/TS rescans: an edit re-parses the edited file (and the files its types live in) only, and
the result always equals a cold scan, and the extractors' own whole-repository `extract`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tree_sitter import Parser, Tree

import agentforge.scan.cache as cache_module
from agentforge.artifacts import ScanResult
from agentforge.scan import scan_repo

from .conftest import FIXTURES
from .reference import reference_scan

SAMPLES = Path(__file__).resolve().parents[2] / "sample_apps"

FILES = {
    "web/types.ts": (
        'export interface Lead {\n  name: string;\n  score?: number;\n}\n\nexport type Tier = "gold" | "silver";\n'
    ),
    "web/api.ts": (
        'import { Lead, Tier } from "./types";\nimport { helperStub } from "./util";\n\n'
        'export function findLead(q: string): Lead {\n  return { name: "Ada" };\n}\n\n'
        'export function tierOf(lead: Lead): Tier {\n  return "gold";\n}\n\n'
        "// agentforge: dynamic\nexport function pipeline(q: string): string {\n  return helperStub() + q;\n}\n"
    ),
    "web/util.ts": 'export function helperStub(): string {\n  return "stub";\n}\n',
    "web/other.ts": "export function unrelated(): number {\n  return 42;\n}\n",
    "web/app.js": (
        "/**\n * @typedef {Object} Note\n * @property {string} text\n */\n\n"
        '/** @returns {Note} */\nexport function note() {\n  return { text: "hi" };\n}\n'
    ),
}


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The source of every file the scan pipelines parse, in order."""
    seen: list[bytes] = []
    real = cache_module._parse

    def counting(parser: Parser, source: bytes) -> Tree:
        seen.append(source)
        return real(parser, source)

    monkeypatch.setattr(cache_module, "_parse", counting)
    return seen


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "js_shop", root / "shop")
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _names(root: Path, parsed: list[bytes]) -> list[str]:
    by_source = {p.read_bytes(): p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    return [by_source[source] for source in parsed]


def _warm(repo: Path, cache: Path, parsed: list[bytes]) -> ScanResult:
    """A cached rescan, checked against a cold scan and the extractors' own result."""
    parsed.clear()
    warm = scan_repo(repo, cache_dir=cache)
    reparsed = list(parsed)
    assert warm == scan_repo(repo) == reference_scan(repo)
    parsed[:] = reparsed
    return warm


@pytest.mark.parametrize("root", [FIXTURES / "shop", FIXTURES / "js_shop", *sorted(SAMPLES.iterdir())], ids=str)
def test_uncached_scan_equals_the_extractors_own(root: Path) -> None:
    assert scan_repo(root) == reference_scan(root)


def test_cold_then_unchanged_rescan(repo: Path, tmp_path: Path, parsed: list[bytes]) -> None:
    cold = scan_repo(repo, cache_dir=tmp_path / "cache")
    assert len(parsed) == cold.files_scanned
    assert cold == reference_scan(repo)
    assert {"snapshot-typescript.json", "snapshot-javascript.json"} <= {p.name for p in (tmp_path / "cache").iterdir()}
    assert _warm(repo, tmp_path / "cache", parsed) == cold
    assert parsed == []


@pytest.mark.parametrize(
    ("edited", "reparsed"),
    [
        ("web/other.ts", ["web/other.ts"]),
        ("web/util.ts", ["web/util.ts"]),
        ("web/app.js", ["web/app.js"]),
        # api.ts's stubs return types declared in types.ts, whose declarations are read on demand
        ("web/api.ts", ["web/api.ts", "web/types.ts"]),
        ("web/types.ts", ["web/types.ts"]),
        # `Lead` is declared twice; the later file (web/types.ts) wins, as in a cold scan
        ("shop/src/components/LeadCard.tsx", ["shop/src/components/LeadCard.tsx", "web/types.ts"]),
    ],
)
def test_edit_reparses_only_the_edited_file(
    repo: Path, tmp_path: Path, parsed: list[bytes], edited: str, reparsed: list[str]
) -> None:
    scan_repo(repo, cache_dir=tmp_path / "cache")
    target = repo / edited
    target.write_text("// an edit that changes no declaration\n" + target.read_text() + "\n// edited\n")
    _warm(repo, tmp_path / "cache", parsed)
    assert _names(repo, parsed) == reparsed


def test_body_edit_changes_the_result_and_keeps_call_links(repo: Path, tmp_path: Path, parsed: list[bytes]) -> None:
    scan_repo(repo, cache_dir=tmp_path / "cache")
    util = repo / "web/util.ts"
    util.write_text(util.read_text().replace('"stub"', '"edited"'))
    warm = {m.id: m for m in _warm(repo, tmp_path / "cache", parsed).modules}
    assert _names(repo, parsed) == ["web/util.ts"]
    assert warm["web/util.ts::helperStub"].static_example == "edited"
    assert warm["web/api.ts::pipeline"].calls == ["web/util.ts::helperStub"]
    assert warm["web/util.ts::helperStub"].called_by == ["web/api.ts::pipeline"]


@pytest.mark.parametrize(
    ("rel", "old", "new"),
    [
        ("web/types.ts", "score?: number;", "score?: number;\n  email: string;"),  # a declared interface
        ("web/types.ts", '"gold" | "silver"', '"gold" | "bronze"'),
        ("web/app.js", "@property {string} text", "@property {number} text"),  # a JSDoc typedef
        ("web/other.ts", "export function", "export interface Lead {\n  id: number;\n}\n\nexport function"),
        ("web/other.ts", "return 42;", "return Math.random();"),  # a stub stops being one
        ("web/other.ts", "return 42;", "return 42;\n}\n\nexport function helperStub(): string {\n  return 'b';"),
        ("web/api.ts", 'import { helperStub } from "./util";', ""),  # an import dropped: a call link goes
    ],
)
def test_interface_and_stub_edits_stay_correct(repo: Path, tmp_path: Path, rel: str, old: str, new: str) -> None:
    scan_repo(repo, cache_dir=tmp_path / "cache")
    target = repo / rel
    assert old in target.read_text()
    target.write_text(target.read_text().replace(old, new))
    _warm(repo, tmp_path / "cache", [])


def test_interface_edit_reaches_dependent_files(repo: Path, tmp_path: Path, parsed: list[bytes]) -> None:
    scan_repo(repo, cache_dir=tmp_path / "cache")
    types = repo / "web/types.ts"
    types.write_text(types.read_text().replace("score?: number;", "score?: number;\n  email: string;"))
    warm = {m.id: m for m in _warm(repo, tmp_path / "cache", parsed).modules}
    assert "email" in warm["web/api.ts::findLead"].output_schema["properties"]


def test_files_added_removed_and_reverted(repo: Path, tmp_path: Path, parsed: list[bytes]) -> None:
    cache = tmp_path / "cache"
    first = scan_repo(repo, cache_dir=cache)
    (repo / "web/extra.ts").write_text('export function extra(text: string): string {\n  return "a canned reply";\n}\n')
    assert "web/extra.ts::extra" in {m.id for m in _warm(repo, cache, parsed).modules}
    (repo / "web/extra.ts").unlink()
    (repo / "web/other.ts").unlink()
    _warm(repo, cache, parsed)
    (repo / "web/other.ts").write_text(FILES["web/other.ts"])
    assert _warm(repo, cache, parsed) == first
    types = repo / "web/types.ts"
    types.write_text(types.read_text().replace('"silver"', '"bronze"'))
    _warm(repo, cache, parsed)
    types.write_text(FILES["web/types.ts"])  # a revert: no entry of an older context is reused
    assert _warm(repo, cache, parsed) == first


def test_corrupt_or_malformed_snapshot_is_a_miss(repo: Path, tmp_path: Path, parsed: list[bytes]) -> None:
    cache = tmp_path / "cache"
    cold = scan_repo(repo, cache_dir=cache)
    snapshot = cache / "snapshot-typescript.json"
    data = json.loads(snapshot.read_text())
    data["facts"] = {rel: {"digest": 1, "decls": None} for rel in data["facts"]}
    snapshot.write_text(json.dumps(data))
    (repo / "web/other.ts").write_text(FILES["web/other.ts"] + "// edited\n")
    _warm(repo, cache, parsed)
    assert len(parsed) == len(data["files"])  # a full TypeScript scan
    snapshot.write_text("{not json")
    assert scan_repo(repo, cache_dir=cache) == scan_repo(repo) == cold


def test_malformed_findings_are_a_miss(repo: Path, tmp_path: Path, parsed: list[bytes]) -> None:
    cache = tmp_path / "cache"
    cold = scan_repo(repo, cache_dir=cache)
    snapshot = cache / "snapshot-typescript.json"
    data = json.loads(snapshot.read_text())
    assert data["findings"], "the fixture's TypeScript files hold stubs"
    data["findings"] = dict.fromkeys(data["findings"], '{"specs": [{"id": 3}]}')
    snapshot.write_text(json.dumps(data))
    parsed.clear()
    assert scan_repo(repo, cache_dir=cache) == cold
    assert len(parsed) == len(data["files"])  # a full TypeScript scan


def test_cache_inside_the_repo_is_refused(repo: Path) -> None:
    result = scan_repo(repo, cache_dir=repo / "cache")
    assert not (repo / "cache").exists()
    assert any("inside the scanned repository" in w.message for w in result.warnings)
    assert result.modules == scan_repo(repo).modules


def test_messy_upload_matches_the_extractors_own(messy_repo: Path, tmp_path: Path) -> None:
    expected = reference_scan(messy_repo)
    assert scan_repo(messy_repo) == expected
    assert scan_repo(messy_repo, cache_dir=tmp_path / "cache") == expected
    assert scan_repo(messy_repo, cache_dir=tmp_path / "cache") == expected
