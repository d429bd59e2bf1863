"""`agentforge dataset export` in its three formats, on a built sample app's real store (no model needed)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from agentforge.artifacts import Correction, RouteTaken, Trace
from agentforge.cli.main import app
from agentforge.runtime.host import open_app

SAMPLE = Path(__file__).resolve().parents[2] / "sample_apps" / "support_desk"
runner = CliRunner()


def test_dataset_export_formats(tmp_path: Path) -> None:
    built = tmp_path / "app"
    assert runner.invoke(app, ["build", str(SAMPLE), "-o", str(built)]).exit_code == 0
    opened = open_app(built)
    module_id = next(s.id for s in opened.store.list_specs("default") if s.name == "classify_intent")
    for i, (output, target) in enumerate([("lost_card", "card_declined")] * 5 + [("lost_card", "lost_card")] * 2):
        trace = Trace(module_id=module_id, input={"message": f"m{i % 6}"}, output=output, route=RouteTaken(model="m"))
        opened.store.add_trace(trace)
        opened.store.add_correction(Correction(trace_id=trace.id, module_id=module_id, value=target))
    opened.close()

    out = tmp_path / "d.jsonl"  # m0 was corrected twice (the latest wins); m1-m4 changed the output: 4 DPO pairs
    for fmt, key, lines in (("alpaca", "instruction", 6), ("chat", "messages", 6), ("dpo", "rejected", 4)):
        args = ["dataset", "export", "classify_intent", "--app", str(built), "-o", str(out), "--format", fmt]
        result = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        assert "dropped 0 duplicates and 1 contradictions" in result.output
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert len(rows) == lines and all(key in row for row in rows)
    bad = runner.invoke(app, ["dataset", "export", "nope", "--app", str(built), "-o", str(out)])
    assert bad.exit_code == 1 and "is not a module" in bad.output
