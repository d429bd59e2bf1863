"""The verbs that scan use the per-file cache under AGENTFORGE_HOME by default; `--no-cache` skips it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentforge.cli.main import app
from agentforge.scan.cache import default_cache_dir

SAMPLE = Path(__file__).resolve().parents[2] / "sample_apps" / "revops_copilot"
runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AGENTFORGE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _scan(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["scan", *args, "--json"])
    assert result.exit_code == 0, result.output
    found: dict[str, object] = json.loads(result.output)
    return found


def test_scan_caches_outside_the_repo_and_no_cache_skips_it(home: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(SAMPLE, repo)
    before = sorted(p.relative_to(repo) for p in repo.rglob("*"))
    plain = _scan(str(repo), "--no-cache")
    assert not (home / "scan-cache").exists()
    assert _scan(str(repo)) == plain
    assert (default_cache_dir(repo) / "snapshot-typescript.json").is_file()
    assert default_cache_dir(repo).is_relative_to(home)
    assert _scan(str(repo)) == plain
    assert sorted(p.relative_to(repo) for p in repo.rglob("*")) == before


@pytest.mark.parametrize("verb", ["scan", "plan", "build", "dynamize"])
def test_every_scanning_verb_offers_no_cache(verb: str) -> None:
    result = runner.invoke(app, [verb, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0
    assert "--no-cache" in result.output
