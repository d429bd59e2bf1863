"""The CLI verbs on the sample prototype (no model needed for scan, plan and build)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from agentforge.cli.main import app

SAMPLE = Path(__file__).resolve().parents[2] / "sample_apps" / "support_desk"
runner = CliRunner()


def _tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()


def test_scan_json_reports_exactly_the_stubs() -> None:
    expected = json.loads((SAMPLE / "expected_modules.json").read_text())
    result = runner.invoke(app, ["scan", str(SAMPLE), "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    ids = {m["id"] for m in found["modules"]}
    assert ids == set(expected["stubs"])
    assert not ids & set(expected["not_stubs"])
    by_name = {m["name"]: m for m in found["modules"]}
    assert len(by_name["classify_intent"]["output_schema"]["enum"]) == 12
    assert "lost_card" in by_name["classify_intent"]["output_schema"]["enum"]
    assert set(by_name["extract_details"]["output_schema"]["properties"]) == {
        "amount",
        "currency",
        "merchant",
        "card_last4",
        "date",
        "urgency",
    }
    assert by_name["draft_reply"]["output_schema"]["type"] == "string"
    assert all(m["reasons"] and m["confidence"] > 0.5 for m in found["modules"])


def test_scan_table_and_missing_path(tmp_path: Path) -> None:
    assert "classify_intent" in runner.invoke(app, ["scan", str(SAMPLE)]).output
    assert runner.invoke(app, ["scan", str(tmp_path / "nope")]).exit_code != 0


def test_plan_writes_yaml_and_mermaid(tmp_path: Path) -> None:
    out = tmp_path / "plan.yaml"
    result = runner.invoke(app, ["plan", str(SAMPLE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    plan = yaml.safe_load(out.read_text())
    kinds = {m["module_id"].split("::")[1]: m["kind"] for m in plan["modules"]}
    assert kinds == {"classify_intent": "classify", "extract_details": "extract", "draft_reply": "generate"}
    assert out.with_suffix(".mmd").read_text().startswith("flowchart")


def test_build_never_touches_the_original(tmp_path: Path) -> None:
    before = _tree_hash(SAMPLE)
    result = runner.invoke(app, ["build", str(SAMPLE), "-o", str(tmp_path / "app")])
    assert result.exit_code == 0, result.output
    assert _tree_hash(SAMPLE) == before
    assert (tmp_path / "app" / "agentforge.yaml").exists()
    rewritten = (tmp_path / "app" / "support_desk" / "assistant.py").read_text()
    assert rewritten.count("call_module(") == 3
    assert "return Intent.LOST_CARD" in rewritten


def test_scan_sarif_points_at_each_stub() -> None:
    result = runner.invoke(app, ["scan", str(SAMPLE), "--format", "sarif"])
    assert result.exit_code == 0, result.output
    sarif = json.loads(result.output)
    assert sarif["version"] == "2.1.0"
    [run] = sarif["runs"]
    assert run["tool"]["driver"]["name"] == "agentforge"
    found = {r["properties"]["moduleId"]: r for r in run["results"]}
    assert set(found) == set(json.loads((SAMPLE / "expected_modules.json").read_text())["stubs"])
    location = found["support_desk/assistant.py::classify_intent"]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "support_desk/assistant.py"
    source = (SAMPLE / "support_desk" / "assistant.py").read_text().splitlines()
    assert source[location["region"]["startLine"] - 1].startswith("def classify_intent(")


def test_scan_explain_lists_what_was_left_out_and_why() -> None:
    table = runner.invoke(app, ["scan", str(SAMPLE), "--explain", "--no-cache"], env={"COLUMNS": "240"})
    assert table.exit_code == 0, table.output
    assert "Considered and not reported" in table.output
    assert "format_reply" in table.output  # a formatter: shown with the evidence against it
    assert "functions read" in table.output and "3 stubs found (min confidence 0.50)" in table.output
    plain = json.loads(runner.invoke(app, ["scan", str(SAMPLE), "--json"]).output)
    assert "candidates" not in plain  # candidates only when asked for
    explained = json.loads(runner.invoke(app, ["scan", str(SAMPLE), "--json", "--explain"]).output)
    left_out = {c["id"]: c for c in explained["candidates"]}
    assert "support_desk/formatting.py::format_reply" in left_out
    assert all(c["confidence"] < 0.5 and c["why"].endswith(".") for c in left_out.values())
    assert any(r["weight"] < 0 for r in left_out["support_desk/formatting.py::format_reply"]["reasons"])


def test_min_confidence_moves_the_threshold() -> None:
    low = json.loads(runner.invoke(app, ["scan", str(SAMPLE), "--json", "--min-confidence", "0.1"]).output)
    high = json.loads(runner.invoke(app, ["scan", str(SAMPLE), "--json", "--min-confidence", "0.99"]).output)
    assert low["min_confidence"] == 0.1 and high["min_confidence"] == 0.99
    assert {m["id"] for m in high["modules"]} < {m["id"] for m in low["modules"]}
    assert runner.invoke(app, ["scan", str(SAMPLE), "--min-confidence", "2"]).exit_code != 0
