"""The sample prototypes' own tests pass as they are, static stubs and all (a build must keep them green)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "sample_apps"


@pytest.mark.parametrize("app", sorted(p.name for p in SAMPLES.iterdir() if (p / "tests").is_dir()))
def test_sample_app_own_tests_pass(app: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=SAMPLES / app,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-1000:]
