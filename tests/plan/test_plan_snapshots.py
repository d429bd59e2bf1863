"""Snapshots of the planner's topology and of the plan of every sample app.

A planner change shows up here as a diff to review, not as a silent change of what the build emits. After an
intended change, rewrite the snapshots with `AGENTFORGE_UPDATE_SNAPSHOTS=1 pytest tests/plan` and commit the
diff with the change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from agentforge.plan import build_plan_graph, make_plan
from agentforge.scan import scan_repo

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
APPS = sorted(p.name for p in (ROOT / "sample_apps").iterdir() if p.is_dir())


def _check(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("AGENTFORGE_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no snapshot {path}; write it with AGENTFORGE_UPDATE_SNAPSHOTS=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; review, then update the snapshot"


def test_planner_topology() -> None:
    """Nodes in order, then edges (conditional ones marked), independent of LangGraph's drawing style."""
    graph = build_plan_graph().compile().get_graph()
    lines = [f"node {node}" for node in graph.nodes]
    edges = sorted((e.source, e.target, e.conditional) for e in graph.edges)
    lines += [f"edge {source} -> {target}{' (conditional)' if cond else ''}" for source, target, cond in edges]
    _check("topology.txt", "\n".join(lines) + "\n")


def test_there_are_sample_apps_to_plan() -> None:
    assert len(APPS) >= 4


@pytest.mark.parametrize("app", APPS)
def test_plan_of_each_sample_app(app: str, tmp_path: Path) -> None:
    specs = scan_repo(ROOT / "sample_apps" / app, cache_dir=tmp_path).modules
    plan = make_plan(specs, root=app, base_model="smollm2-135m-instruct")
    data = plan.model_dump(mode="json", exclude={"created_at"})
    assert data["modules"], f"{app} has no module to plan"
    _check(f"{app}.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")
