"""The sample prototypes' own tests pass as they are, static stubs and all (a build must keep them green)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "sample_apps"
PYTHON_APPS = sorted(p.name for p in SAMPLES.iterdir() if (p / "tests").is_dir() and (p / "pyproject.toml").is_file())
NODE_APPS = sorted(p.name for p in SAMPLES.iterdir() if (p / "package.json").is_file())


def _run(cmd: list[str], cwd: Path) -> None:
    run = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"{' '.join(cmd)} failed:\n{run.stdout[-3000:]}\n{run.stderr[-2000:]}"


@pytest.mark.parametrize("app", PYTHON_APPS)
def test_python_sample_app_own_tests_pass(app: str) -> None:
    _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], SAMPLES / app)


@pytest.mark.parametrize("app", NODE_APPS)
def test_node_sample_app_own_tests_pass(app: str, tmp_path: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed")
    work = tmp_path / app
    shutil.copytree(SAMPLES / app, work, ignore=shutil.ignore_patterns("node_modules", "dist"))
    if (work / "package-lock.json").is_file():
        _run([npm, "ci", "--no-audit", "--no-fund"], work)
    _run([npm, "test"], work)
