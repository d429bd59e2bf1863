"""Every sample prototype: the scan finds exactly the modules its `expected_modules.json` lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentforge.scan import scan_repo

SAMPLES = Path(__file__).resolve().parents[2] / "sample_apps"
APPS = sorted(p.name for p in SAMPLES.iterdir() if (p / "expected_modules.json").is_file())


@pytest.mark.parametrize("app", APPS)
def test_scan_finds_exactly_the_listed_stubs(app: str) -> None:
    expected = json.loads((SAMPLES / app / "expected_modules.json").read_text())
    result = scan_repo(SAMPLES / app)
    found = {m.id for m in result.modules}
    assert found == set(expected["stubs"]), (
        f"missed {set(expected['stubs']) - found}, extra {found - set(expected['stubs'])}"
    )
    assert not found & set(expected["not_stubs"])
    for spec in result.modules:
        assert spec.output_schema == expected["output_schemas"][spec.id], f"{spec.id}: wrong output schema"


def test_every_sample_app_lists_its_modules() -> None:
    assert {"support_desk", "contract_review", "revops_copilot", "style_studio"} <= set(APPS)
