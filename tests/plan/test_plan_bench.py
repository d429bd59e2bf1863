"""`bench/plan.py` runs and reports every figure for every sample app (its timings are read, not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_plan_bench_reports_every_app() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "plan.py"), "--repeats", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    apps = sorted(p.name for p in (ROOT / "sample_apps").iterdir() if p.is_dir())
    assert sorted(figures["apps"]) == apps
    assert figures["modules"] == sum(f["modules"] for f in figures["apps"].values()) > 0
    for key in ("cold_all_apps_s", "warm_all_apps_ms", "ms_per_module", "graph_vs_plain_ratio"):
        assert figures[key] > 0
    assert "langgraph_overhead_ms_per_node" in figures
