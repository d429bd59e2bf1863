"""`agentforge dynamize` end to end on a small slice of the sample's traffic (the full run is `make demo`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from agentforge.cli.main import app

SAMPLE = Path(__file__).resolve().parents[2] / "sample_apps" / "support_desk"


@pytest.mark.slow
def test_dynamize_small_slice(tmp_path: Path) -> None:
    replay = tmp_path / "replay.yaml"
    replay.write_text(
        yaml.safe_dump(
            {
                "traffic": [
                    {
                        "module": "classify_intent",
                        "file": str(SAMPLE / "data" / "intents.jsonl"),
                        "inputs": {"message": "text"},
                        "expected": "intent",
                        "limit": 40,
                    }
                ]
            }
        )
    )
    recipe = tmp_path / "recipe.yaml"
    settings = yaml.safe_load((SAMPLE.parents[1] / "adapters" / "cpu-default.yaml").read_text())
    recipe.write_text(yaml.safe_dump({**settings, "num_epochs": 1}))
    report = tmp_path / "report.json"
    out = tmp_path / "app"
    args = ["dynamize", str(SAMPLE), "--out", str(out), "--replay", str(replay), "--report", str(report)]
    result = CliRunner().invoke(app, [*args, "--min-corrections", "30", "--recipe", str(recipe)])
    assert result.exit_code == 0, result.output
    figures = json.loads(report.read_text())
    assert figures["modules_found"] == 3
    traffic = figures["traffic"]["classify_intent"]
    assert (traffic["calls"], traffic["corrections"]) == (40, 40)
    assert 0 <= traffic["served_exact_match"] <= 1
    [trained] = figures["trained"]
    assert trained["module"] == "support_desk/assistant.py::classify_intent"
    assert trained["train_examples"] + trained["heldout_examples"] == 40
    assert 0 <= trained["before"] <= 1 and 0 <= trained["after_served"] <= 1
    assert "Held-out results" in result.output

    again = CliRunner().invoke(app, args)
    assert again.exit_code == 1
    assert "--replace" in again.output
