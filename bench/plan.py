"""Planning time: every sample app planned without model calls, and what LangGraph adds per node.

Scans each app in `sample_apps/` (not timed), then times `make_plan` on its module specs: the first call of the
process (which compiles the graph and loads the catalog) and the best of `--repeats` warm calls, per app and
per module. The baseline for the graph's own cost is the same seven node functions called in a plain
loop on the same state; the difference, divided by the node count, is LangGraph's overhead per node.

Run: `python bench/plan.py [--repeats 50]`. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langgraph.runtime import Runtime

from agentforge.artifacts import ModuleSpec
from agentforge.catalog import load_catalog
from agentforge.plan import PlanContext, make_plan
from agentforge.plan.graph import (
    assign_roles,
    assign_routes,
    classify_kinds,
    compose_workflows,
    emit,
    review,
    set_policies,
)
from agentforge.scan import scan_repo

ROOT = Path(__file__).resolve().parents[1]
BASE_MODEL = "smollm2-135m-instruct"
NODES = 7
"""classify_kinds, assign_roles, assign_routes, compose_workflows, set_policies, review, emit."""


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    """Fastest of `repeats` runs, in seconds: the cost of the work itself, not of what else the machine did."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def plain_plan(specs: list[ModuleSpec], root: str, context: PlanContext) -> Any:
    """The planner's seven nodes (review a pass-through, as without --review) as plain calls merging their updates."""
    runtime = Runtime(context=context)
    state: dict[str, Any] = {"root": root, "specs": specs}
    state.update(classify_kinds(state, runtime))
    state.update(assign_roles(state, runtime))
    state.update(assign_routes(state))
    state.update(compose_workflows(state, runtime))
    state.update(set_policies(state, runtime))
    state.update(review(state, runtime))
    state.update(emit(state, runtime))
    return state["plan"]


def main(repeats: int) -> dict[str, Any]:
    apps = sorted(p for p in (ROOT / "sample_apps").iterdir() if p.is_dir())
    with tempfile.TemporaryDirectory() as cache:
        specs = {app.name: scan_repo(app, cache_dir=Path(cache) / app.name).modules for app in apps}
    started = time.perf_counter()
    for name, app_specs in specs.items():
        make_plan(app_specs, root=name, base_model=BASE_MODEL)
    figures: dict[str, Any] = {"cold_all_apps_s": round(time.perf_counter() - started, 4), "apps": {}}
    context = PlanContext(catalog=load_catalog(), base_model=BASE_MODEL)
    graph_total = plain_total = 0.0
    for name, app_specs in specs.items():
        graph = best_of(repeats, lambda s=app_specs, n=name: make_plan(s, root=n, base_model=BASE_MODEL))
        plain = best_of(repeats, lambda s=app_specs, n=name: plain_plan(s, n, context))
        graph_total, plain_total = graph_total + graph, plain_total + plain
        figures["apps"][name] = {
            "modules": len(app_specs),
            "plan_ms": round(graph * 1e3, 3),
            "ms_per_module": round(graph * 1e3 / max(len(app_specs), 1), 3),
            "plain_calls_ms": round(plain * 1e3, 3),
        }
    modules = sum(len(s) for s in specs.values())
    figures["modules"] = modules
    figures["warm_all_apps_ms"] = round(graph_total * 1e3, 3)
    figures["ms_per_module"] = round(graph_total * 1e3 / modules, 3)
    figures["graph_vs_plain_ratio"] = round(graph_total / plain_total, 2)
    figures["langgraph_overhead_ms_per_node"] = round((graph_total - plain_total) * 1e3 / (NODES * len(specs)), 3)
    return figures


def print_table(figures: dict[str, Any]) -> None:
    print(f"{'app':18s} {'modules':>7s} {'plan ms':>8s} {'ms/module':>9s} {'plain ms':>9s}")
    for name, f in figures["apps"].items():
        print(f"{name:18s} {f['modules']:7d} {f['plan_ms']:8.2f} {f['ms_per_module']:9.3f} {f['plain_calls_ms']:9.3f}")
    print(
        f"all {figures['modules']} modules: {figures['cold_all_apps_s']:.3f} s cold (compile + catalog), "
        f"{figures['warm_all_apps_ms']:.2f} ms warm; graph vs plain calls {figures['graph_vs_plain_ratio']}x, "
        f"LangGraph adds {figures['langgraph_overhead_ms_per_node']:.3f} ms per node"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=50, help="warm runs per app and way; the best counts")
    args = parser.parse_args()
    result = main(args.repeats)
    print_table(result)
    print(json.dumps(result))
