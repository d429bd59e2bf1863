"""`agentforge dynamize`: the whole loop on one prototype, from stubs to a promoted adapter."""

from __future__ import annotations

import json
import shutil
import time
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from agentforge.artifacts import Example
from agentforge.cli.progress import progress_bar, train_with_progress
from agentforge.cli.render import modules_table, plan_table, print_warnings
from agentforge.cli.replay import Served, load_replay, read_rows, replay
from agentforge.cli.scanning import NoCacheOpt, scan_path
from agentforge.errors import AgentforgeError


def _accuracy(served: list[Served]) -> float:
    return sum(s.output == s.expected for s in served) / len(served) if served else 0.0


def dynamize(
    path: Annotated[Path, typer.Argument(help="The prototype's folder.", exists=True, file_okay=False)],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Where to build the app.")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write the figures as JSON here.")] = None,
    replay_file: Annotated[
        Path | None, typer.Option("--replay", help="Traffic to replay (default: PATH/data/replay.yaml).")
    ] = None,
    min_corrections: Annotated[int, typer.Option(help="Train modules with at least this many.")] = 50,
    recipe: Annotated[str, typer.Option(help="LoRA recipe name in adapters/ or a YAML path.")] = "cpu-default",
    model: Annotated[str, typer.Option(help="Base model name or local path.")] = "smollm2-135m-instruct",
    replace: Annotated[
        bool, typer.Option("--replace", help="Delete OUT first, its store and adapters included, and start over.")
    ] = False,
    no_cache: NoCacheOpt = False,
) -> None:
    """Scan → plan → build → serve → replay traffic with corrections → retrain → compare, on one prototype."""
    console = Console()
    target = out or Path("out") / path.resolve().name
    if target.exists():
        if not replace:
            console.print(f"[red]error:[/] {target} exists (a previous run?); pass --replace to start over")
            raise typer.Exit(code=1)
        shutil.rmtree(target)
    try:
        figures = _run(console, path, target, replay_file, min_corrections, recipe, model, no_cache)
    except AgentforgeError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(code=1) from exc
    if report:
        report.write_text(json.dumps(figures, indent=2), encoding="utf-8")
        console.print(f"report written to {report}")


def _run(
    console: Console,
    path: Path,
    out: Path,
    replay_file: Path | None,
    min_corrections: int,
    recipe: str,
    model: str,
    no_cache: bool = False,
) -> dict[str, Any]:
    from agentforge.api import create_app
    from agentforge.build import build_app
    from agentforge.cli.models import load_model
    from agentforge.plan import make_plan
    from agentforge.runtime import Engine
    from agentforge.runtime.host import BackgroundServer, open_app

    started = time.perf_counter()
    console.rule("1. scan")
    result = scan_path(path, no_cache=no_cache)
    console.print(modules_table(result))
    print_warnings(console, result)
    console.rule("2. plan")
    plan = make_plan(result.modules, root=str(path), base_model=model)
    console.print(plan_table(plan, result.modules))
    console.print(plan.mermaid)
    console.rule("3. build")
    manifest = build_app(path, result.modules, plan, out)
    console.print(f"dynamic app written to {out} ({len(manifest.specs)} modules rewritten)")
    console.rule("4. serve")
    opened = open_app(out)
    engine = Engine(opened.store, load_model(model, console), workspace_id=manifest.workspace_id)
    spec_replay, base = load_replay(replay_file or path / "data" / "replay.yaml")
    figures: dict[str, Any] = {
        "app": manifest.app_name,
        "modules_found": len(result.modules),
        "modules": [s.id for s in result.modules],
        "plan": [m.model_dump(mode="json", include={"module_id", "kind", "agent_role", "route"}) for m in plan.modules],
        "traffic": {},
        "trained": [],
    }
    with (
        BackgroundServer(create_app(engine, app_name=manifest.app_name)) as server,
        httpx.Client(base_url=server.url, timeout=300) as client,
    ):
        console.print(f"API up at {server.url}")
        console.rule("5. user traffic with corrections")
        sources = [(s, read_rows(s, base)) for s in spec_replay.traffic]
        with progress_bar(console) as bar:
            for source, rows in sources:
                task = bar.add_task(f"replay {source.module}", total=len(rows))
                served = replay(client, source, rows, correct=True, on_row=partial(bar.advance, task))
                figures["traffic"][source.module] = {
                    "calls": len(served),
                    "corrections": len(served) if source.expected is not None else 0,
                }
                if source.expected is not None:
                    figures["traffic"][source.module]["served_exact_match"] = _accuracy(served)
        console.rule("6. retrain")
        for spec in opened.store.list_specs(manifest.workspace_id):
            if opened.store.count_corrections(manifest.workspace_id, spec.id) < min_corrections:
                continue
            outcome = train_with_progress(engine, spec.id, opened.data, recipe, console)
            console.rule("7. the same held-out inputs, served again by the promoted route")
            after, rungs = _serve_again(client, spec.id, outcome.heldout)
            figures["trained"].append(
                {
                    "module": spec.id,
                    "metric": outcome.report.metric,
                    "train_examples": outcome.train_examples,
                    "heldout_examples": len(outcome.heldout),
                    "before": outcome.champion.mean,
                    "after_gate": outcome.candidate.mean,
                    "after_served": after,
                    "served_by": rungs,
                    "promoted": outcome.report.promoted,
                    "adapter": outcome.adapter.name,
                    "training_seconds": round(outcome.adapter.train_seconds, 1),
                }
            )
    opened.close()
    figures["total_seconds"] = round(time.perf_counter() - started, 1)
    console.print(_summary(figures))
    return figures


def _serve_again(client: httpx.Client, module: str, held: list[Example]) -> tuple[float, list[str]]:
    """Exact-match rate of the live API on the held-out inputs, and which rungs answered."""
    hits, rungs = 0, set()
    for ex in held:
        body = client.post("/v1/invoke", json={"module": module, "input": ex.input}).raise_for_status().json()
        hits += body["output"] == ex.target
        rungs.add(body["rung"])
    return (hits / len(held) if held else 0.0), sorted(rungs)


def _summary(figures: dict[str, Any]) -> Table:
    table = Table(title="Held-out results: before and after retraining", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    for t in figures["trained"]:
        gain = (t["after_served"] - t["before"]) * 100
        table.add_row("module", t["module"])
        table.add_row("corrections", f"{t['train_examples']} trained on, {t['heldout_examples']} held out")
        table.add_row(
            f"held-out {t['metric']}",
            f"{t['before']:.1%} before → {t['after_served']:.1%} after ({gain:+.1f} points)",
        )
        table.add_row("adapter", f"{t['adapter']} ({'promoted' if t['promoted'] else 'rejected'})")
        table.add_row("training time", f"{t['training_seconds']:.0f} s")
    table.add_row("total time", f"{figures['total_seconds']:.0f} s")
    return table
